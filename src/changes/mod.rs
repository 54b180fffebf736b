//! The application layer: a write any front door makes, as one typed value ([`Change`]),
//! applied by one function ([`apply`]) wherever it runs (a solo workspace, a team copy
//! while offline, the team server). The CLI turns its flags into a `Change`, the desktop
//! its forms; both hand it to [`submit`], which applies it, sends it to the team server,
//! or keeps it in the outbox while the server cannot be reached.
//!
//! A change carries what people typed, as typed (amounts, dates, statuses as text), and
//! the records it names by id, so the one reading in the core names the one field a
//! mistake is in, whichever door it came through.

mod examples;
mod field_work;
mod forms;
mod kinds;
mod partner_program;
mod reporting;
mod submit;
mod workspace;

pub use forms::{
    AccountForm, AccountUpdateForm, ActivityUpdateForm, BantForm, ImportFile, ImportForm, PartnerForm,
    PocForm, TargetForm,
};
pub use submit::{submit, submit_with_progress, Submitted};
pub use workspace::SALESFORCE_EXPORT;

use crate::domain::{
    AccountId, ActivityId, ContactId, DealId, ImportBatchId, LedgerEntryId, OnboardingPlanId, PartnerId,
    QbrId, RegistrationId, StatementId, TeamMemberId,
};
use crate::services::policy::Principal;
use crate::services::{
    activities, contacts, deals, duplicates, fx, moves, partners, payouts, registrations, revenue, Workspace,
};
use crate::Result;
use serde::{Deserialize, Serialize};

/// One write, as a front door asks for it. The variants are the changes a member may
/// make through a team copy; `may_queue` says which may wait offline.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    DealAdd {
        form: deals::DealForm,
    },
    DealUpdate {
        deal: DealId,
        form: deals::DealUpdateForm,
    },
    DealMove {
        deal: DealId,
        form: moves::MoveInput,
    },
    DealBant {
        deal: DealId,
        form: BantForm,
    },
    DealPoc {
        deal: DealId,
        form: PocForm,
    },
    DealChecklist {
        deal: DealId,
        item: String,
        status: String,
        date: Option<String>,
    },
    ActivityAdd {
        form: activities::ActivityForm,
    },
    ActivityDone {
        activity: ActivityId,
    },
    ActivityUpdate {
        activity: ActivityId,
        form: ActivityUpdateForm,
    },
    AccountAdd {
        form: AccountForm,
    },
    AccountUpdate {
        account: AccountId,
        form: AccountUpdateForm,
    },
    ContactAdd {
        form: contacts::ContactInput,
    },
    ContactUpdate {
        contact: ContactId,
        form: contacts::ContactChanges,
    },
    OnboardingStepDone {
        plan: OnboardingPlanId,
        step: String,
        date: Option<String>,
    },
    QbrAdd {
        account: AccountId,
        date: String,
        owner: Option<TeamMemberId>,
    },
    QbrHeld {
        qbr: QbrId,
        date: Option<String>,
        notes: Option<String>,
    },
    // Online only from here on.
    AccountMerge {
        keep: AccountId,
        other: AccountId,
    },
    PartnerAdd {
        form: PartnerForm,
    },
    /// A commission plan version: the share in percent, from a day (today by default).
    PartnerRate {
        partner: PartnerId,
        share: String,
        from: Option<String>,
    },
    PartnerStatus {
        partner: PartnerId,
        status: String,
        certified: Option<String>,
    },
    ProgramSetting {
        name: String,
        value: u32,
    },
    PortalInvite {
        partner: PartnerId,
        email: String,
        name: Option<String>,
    },
    PortalRemove {
        email: String,
    },
    RegistrationSubmit {
        form: registrations::RegistrationForm,
    },
    RegistrationApprove {
        registration: RegistrationId,
        override_reason: Option<String>,
    },
    RegistrationReject {
        registration: RegistrationId,
        reason: String,
    },
    RegistrationReturn {
        registration: RegistrationId,
        reason: String,
    },
    RegistrationResubmit {
        registration: RegistrationId,
        form: registrations::RegistrationForm,
    },
    RegistrationExtend {
        registration: RegistrationId,
        reason: String,
    },
    RegistrationConvert {
        registration: RegistrationId,
        owner: Option<TeamMemberId>,
    },
    /// Writes down the expiry of every approved registration whose protection has ended.
    RegistrationsExpire,
    /// A payment, or with `refund` a refund, in the deal's currency.
    RevenueRecord {
        deal: DealId,
        amount: String,
        date: String,
        refund: bool,
    },
    RevenueReverse {
        entry: LedgerEntryId,
        reason: String,
    },
    PayoutRun {
        period: String,
    },
    StatementApprove {
        statement: StatementId,
    },
    StatementPaid {
        statement: StatementId,
        reference: String,
        date: Option<String>,
    },
    FxRate {
        form: fx::RateForm,
    },
    ReportingCurrency {
        currency: String,
    },
    TargetSet {
        form: TargetForm,
    },
    TargetPhases {
        start: String,
    },
    TargetRemove {
        name: String,
    },
    QuotaSet {
        member: TeamMemberId,
        period: String,
        amount: String,
        currency: Option<String>,
    },
    ForecastCall {
        period: String,
        amount: String,
        note: String,
    },
    ForecastAdjust {
        member: TeamMemberId,
        period: String,
        amount: String,
        reason: String,
    },
    MemberAdd {
        name: String,
        role: String,
        segment: Option<String>,
    },
    MemberRole {
        member: TeamMemberId,
        role: String,
        segment: Option<String>,
    },
    MemberDeactivate {
        member: TeamMemberId,
    },
    /// A new one-time invitation code for a member (the team server keeps the codes).
    MemberInvite {
        member: TeamMemberId,
    },
    /// A stage's default probability (percent) and stall limit (days, or "none").
    StageUpdate {
        stage: String,
        probability: Option<String>,
        stall_days: Option<String>,
    },
    PocBounds {
        min_days: u32,
        max_days: u32,
    },
    /// An import of a file: online only, and on a team copy sent with its file, run as a job.
    Import {
        file: ImportFile,
        form: ImportForm,
    },
    ImportRevert {
        batch: ImportBatchId,
    },
}

/// What a change came to: the record it made or changed (read it back by `table` and
/// `id` where it was applied), and for a change whose answer cannot be read back, the
/// answer itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Applied {
    /// The replicated table of the record (`deals`, `activities`, …).
    pub table: String,
    pub id: i64,
    /// A move made despite missing criteria: the criteria overridden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<String>,
    /// The service's own answer to an online-only change (`{kind, value}`: the partner, the
    /// registration, the statement… as it now stands), absent for field work.
    #[serde(default, skip_serializing_if = "Outcome::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub outcome: Outcome,
    /// On a team server, for a change that invites someone (a member added or invited
    /// again, a partner's person invited to the portal): the one-time code they join with,
    /// shown once to who made the change. The server keeps the codes, never a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<Invitation>,
}

/// A one-time invitation code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Invitation {
    /// Who it is for: the member's name, or the portal user's e-mail.
    pub to: String,
    pub code: String,
    pub valid_days: u32,
}

/// The service's own answer to an online-only change, as it stood when it applied.
// Built once per change and moved whole: boxing the larger answers would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    None,
    Merged(duplicates::MergeReport),
    Partner(crate::store::partners::Partner),
    Plans(Vec<crate::store::partners::CommissionPlan>),
    ProgramSettings(partners::ProgramSettings),
    PortalUser(crate::store::partner_users::PartnerUser),
    Registration(registrations::RegistrationView),
    Expired(Vec<RegistrationId>),
    Revenue(revenue::RevenueOutcome),
    Ledger(crate::store::revenue::LedgerEntry),
    Statements(Vec<payouts::StatementView>),
    Statement(payouts::StatementView),
    Rate(crate::store::fx::StoredRate),
    Currency(crate::money::Currency),
    Quota(crate::store::forecast::Quota),
    Call(crate::store::forecast::ForecastCall),
    Member(crate::store::team::TeamMember),
    Stage(crate::store::stages::Stage),
    Settings(crate::services::Settings),
    Reverted(crate::services::import::RevertReport),
    Imported(crate::services::import::ImportReport),
    /// A whole Salesforce Data Export: its accounts, contacts, deals, history and activities.
    SalesforceImported(Box<crate::services::import::salesforce::SalesforceReport>),
}

impl Outcome {
    fn is_none(&self) -> bool {
        matches!(self, Outcome::None)
    }
}

impl Applied {
    pub(crate) fn of(table: &str, id: i64) -> Applied {
        Applied {
            table: table.to_string(),
            id,
            overridden: Vec::new(),
            outcome: Outcome::None,
            invitation: None,
        }
    }

    /// A change's answer that names a record and nothing more.
    pub fn of_record(table: &str, id: i64) -> Applied {
        Applied::of(table, id)
    }

    pub(crate) fn with(table: &str, id: i64, outcome: Outcome) -> Applied {
        Applied { outcome, ..Applied::of(table, id) }
    }
}

/// A change that reached an `apply` of another area (a bug in the dispatch, never input).
fn not_here(change: &Change) -> crate::KeelError {
    crate::KeelError::Schema(format!("{} is not applied here", change.summary()))
}

/// Applies a change as `who`, in one transaction (each service call writes once; a long
/// import on a team server in slices it commits one after another).
pub fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
    apply_with_progress(ws, who, change, &mut |_, _| {})
}

/// [`apply`], telling `progress` (done, total) how far a long change (an import) has come.
pub fn apply_with_progress(
    ws: &mut Workspace,
    who: Principal,
    change: Change,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Applied> {
    if let Change::Import { file, form } = change {
        return workspace::import(ws, who, file, form, progress);
    }
    match change.area() {
        Area::FieldWork => field_work::apply(ws, who, change),
        Area::Partners | Area::Registrations | Area::Revenue | Area::Payouts => {
            partner_program::apply(ws, who, change)
        }
        Area::Rates | Area::Targets | Area::Forecasting => reporting::apply(ws, who, change),
        Area::Merging | Area::Team | Area::PipelineSettings | Area::Imports => {
            workspace::apply(ws, who, change)
        }
    }
}

/// What part of the business a change belongs to: where it is applied, whether it may wait
/// offline, and how a refusal to keep it offline names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// What a member may do offline: records, deals and their moves, qualification, proof of
    /// concept, checklist, activities, onboarding and QBRs.
    FieldWork,
    Merging,
    Partners,
    Registrations,
    Revenue,
    Payouts,
    Rates,
    Targets,
    Forecasting,
    Team,
    PipelineSettings,
    Imports,
}

impl Area {
    /// The area in the words a refusal to make its changes offline uses.
    fn words(self) -> &'static str {
        match self {
            Area::FieldWork => "field work",
            Area::Merging => "merging accounts",
            Area::Partners => "partners, plans and rates",
            Area::Registrations => "deal registrations and their reviews",
            Area::Revenue => "recording revenue",
            Area::Payouts => "payout runs and statements",
            Area::Rates => "exchange rates",
            Area::Targets => "targets",
            Area::Forecasting => "quotas and forecast calls",
            Area::Team => "team changes",
            Area::PipelineSettings => "the pipeline's settings",
            Area::Imports => "imports",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
