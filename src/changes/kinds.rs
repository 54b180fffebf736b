//! What each kind of change is: its area (and so whether it may wait offline), the records
//! it names (the typed walk that points a queued change at the server's ids), the fields it
//! sets (what a queued change is expected to find as it was), and its words for a list.

use super::{Applied, Area, Change};

impl Change {
    /// The kind's name on the wire (`deal_add`), as its `change` field spells it.
    pub fn kind(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut fields)) => match fields.remove("change") {
                Some(serde_json::Value::String(kind)) => kind,
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    /// The change in a few words, for a list of what waits to be sent.
    pub fn summary(&self) -> String {
        match self {
            Change::DealAdd { form } => format!("add deal \"{}\" to account {}", form.name, form.account_id),
            Change::DealUpdate { deal, .. } => format!("update deal {deal}"),
            Change::DealMove { deal, form } => format!("move deal {deal} to {}", form.stage),
            Change::DealBant { deal, .. } => format!("qualify deal {deal} (BANT)"),
            Change::DealPoc { deal, .. } => format!("record deal {deal}'s proof of concept"),
            Change::DealChecklist { deal, item, status, .. } => {
                format!("set deal {deal}'s {item} to {status}")
            }
            Change::ActivityAdd { form } => format!("log {} \"{}\"", form.kind, form.subject),
            Change::ActivityDone { activity } => format!("mark activity {activity} done"),
            Change::ActivityUpdate { activity, .. } => format!("update activity {activity}"),
            Change::AccountAdd { form } => format!("add account \"{}\"", form.name),
            Change::AccountUpdate { account, .. } => format!("update account {account}"),
            Change::ContactAdd { form } => {
                format!("add contact \"{}\" at account {}", form.name, form.account_id)
            }
            Change::ContactUpdate { contact, .. } => format!("update contact {contact}"),
            Change::OnboardingStepDone { plan, step, .. } => {
                format!("mark onboarding plan {plan}'s {step} done")
            }
            Change::QbrAdd { account, date, .. } => {
                format!("schedule a QBR with account {account} on {date}")
            }
            Change::QbrHeld { qbr, .. } => format!("record QBR {qbr} as held"),
            // Online-only changes, in the words a refusal to make one offline uses.
            other => other.area().words().to_string(),
        }
    }

    /// Whether the change may wait in the outbox while the team server cannot be
    /// reached. Field work may (records, deals and their moves, qualification, proof of
    /// concept, checklist, activities and tasks, onboarding and QBRs); money, the partner
    /// program, plans, rates, targets, the team and the pipeline's settings are decided
    /// online only.
    pub fn may_queue(&self) -> bool {
        self.area() == Area::FieldWork
    }

    /// The change's area, each kind listed once: a new kind must say where it belongs (and
    /// so whether it may wait offline).
    pub fn area(&self) -> Area {
        match self {
            Change::DealAdd { .. }
            | Change::DealUpdate { .. }
            | Change::DealMove { .. }
            | Change::DealBant { .. }
            | Change::DealPoc { .. }
            | Change::DealChecklist { .. }
            | Change::ActivityAdd { .. }
            | Change::ActivityDone { .. }
            | Change::ActivityUpdate { .. }
            | Change::AccountAdd { .. }
            | Change::AccountUpdate { .. }
            | Change::ContactAdd { .. }
            | Change::ContactUpdate { .. }
            | Change::OnboardingStepDone { .. }
            | Change::QbrAdd { .. }
            | Change::QbrHeld { .. } => Area::FieldWork,
            Change::AccountMerge { .. } => Area::Merging,
            Change::PartnerAdd { .. }
            | Change::PartnerRate { .. }
            | Change::PartnerStatus { .. }
            | Change::ProgramSetting { .. }
            | Change::PortalInvite { .. }
            | Change::PortalRemove { .. } => Area::Partners,
            Change::RegistrationSubmit { .. }
            | Change::RegistrationApprove { .. }
            | Change::RegistrationReject { .. }
            | Change::RegistrationReturn { .. }
            | Change::RegistrationResubmit { .. }
            | Change::RegistrationExtend { .. }
            | Change::RegistrationConvert { .. }
            | Change::RegistrationsExpire => Area::Registrations,
            Change::RevenueRecord { .. } | Change::RevenueReverse { .. } => Area::Revenue,
            Change::PayoutRun { .. } | Change::StatementApprove { .. } | Change::StatementPaid { .. } => {
                Area::Payouts
            }
            Change::FxRate { .. } | Change::ReportingCurrency { .. } => Area::Rates,
            Change::TargetSet { .. } | Change::TargetPhases { .. } | Change::TargetRemove { .. } => {
                Area::Targets
            }
            Change::QuotaSet { .. } | Change::ForecastCall { .. } | Change::ForecastAdjust { .. } => {
                Area::Forecasting
            }
            Change::MemberAdd { .. }
            | Change::MemberRole { .. }
            | Change::MemberDeactivate { .. }
            | Change::MemberInvite { .. } => Area::Team,
            Change::StageUpdate { .. } | Change::PocBounds { .. } => Area::PipelineSettings,
            Change::Import { .. } | Change::ImportRevert { .. } => Area::Imports,
        }
    }

    /// Every record the change names by id, as (table, the id), in a fixed order: the
    /// walk that points a queued change at the server's ids.
    pub fn references_mut(&mut self) -> Vec<(&'static str, &mut i64)> {
        let mut refs: Vec<(&'static str, &mut i64)> = Vec::new();
        match self {
            Change::DealAdd { form } => {
                refs.push(("accounts", &mut form.account_id.0));
                if let Some(expands) = &mut form.expands_deal_id {
                    refs.push(("deals", &mut expands.0));
                }
            }
            Change::DealUpdate { deal, form } => {
                refs.push(("deals", &mut deal.0));
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::DealMove { deal, .. }
            | Change::DealBant { deal, .. }
            | Change::DealPoc { deal, .. }
            | Change::DealChecklist { deal, .. } => refs.push(("deals", &mut deal.0)),
            Change::ActivityAdd { form } => {
                if let Some(deal) = &mut form.deal_id {
                    refs.push(("deals", &mut deal.0));
                }
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::ActivityDone { activity } | Change::ActivityUpdate { activity, .. } => {
                refs.push(("activities", &mut activity.0))
            }
            Change::AccountAdd { .. } => {}
            Change::AccountUpdate { account, .. } => refs.push(("accounts", &mut account.0)),
            Change::ContactAdd { form } => refs.push(("accounts", &mut form.account_id.0)),
            Change::ContactUpdate { contact, form } => {
                refs.push(("contacts", &mut contact.0));
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::OnboardingStepDone { plan, .. } => refs.push(("onboarding_plans", &mut plan.0)),
            Change::QbrAdd { account, .. } => refs.push(("accounts", &mut account.0)),
            Change::QbrHeld { qbr, .. } => refs.push(("qbrs", &mut qbr.0)),
            // Records a member may have made offline, named by an online-only change.
            Change::AccountMerge { keep, other } => {
                refs.push(("accounts", &mut keep.0));
                refs.push(("accounts", &mut other.0));
            }
            Change::RevenueRecord { deal, .. } => refs.push(("deals", &mut deal.0)),
            // The rest name records no one makes offline (partners, registrations,
            // statements, members, stages, imports).
            _ => {}
        }
        refs
    }

    /// What the change came to, from the records it created: for a server that applied it
    /// but stopped before it could keep its answer (a retry then gets this one; a move's
    /// overridden criteria are in the deal's stage history).
    pub fn applied_from(&self, created: &[(String, i64)]) -> Option<Applied> {
        let made =
            |table: &str| created.iter().find(|(t, _)| t == table).map(|(_, id)| Applied::of(table, *id));
        match self {
            Change::DealAdd { .. } => made("deals"),
            Change::ActivityAdd { .. } => made("activities"),
            Change::AccountAdd { .. } => made("accounts"),
            Change::ContactAdd { .. } => made("contacts"),
            Change::QbrAdd { .. } => made("qbrs"),
            Change::PartnerAdd { .. } => made("partners"),
            Change::PortalInvite { .. } => made("partner_users"),
            Change::RegistrationSubmit { .. } => made("registrations"),
            Change::RevenueRecord { .. } => made("revenue_events"),
            Change::RevenueReverse { .. } => made("commission_ledger"),
            Change::MemberAdd { .. } => made("team_members"),
            // Every other change's first reference is the record it changes.
            _ => self.references().first().map(|(table, id)| Applied::of(table, *id)),
        }
    }

    /// The records the change names, as (table, id).
    pub fn references(&self) -> Vec<(&'static str, i64)> {
        let mut copy = self.clone();
        copy.references_mut().into_iter().map(|(table, id)| (table, *id)).collect()
    }

    /// The fields (table, column) the change sets as typed: each is expected when the
    /// change waits offline, even when the value typed equals the one shown, so sending
    /// it cannot silently undo another member's change to that field.
    pub fn fields_set(&self) -> Vec<(String, String)> {
        let mut set: Vec<(&str, &str)> = Vec::new();
        let mut when = |given: bool, table: &'static str, column: &'static str| {
            if given {
                set.push((table, column));
            }
        };
        match self {
            Change::DealUpdate { form, .. } => {
                when(form.name.is_some(), "deals", "name");
                when(form.account_id.is_some(), "deals", "account_id");
                when(form.owner_id.is_some(), "deals", "owner_id");
                when(form.amount.is_some(), "deals", "amount_minor");
                when(form.currency.is_some(), "deals", "currency");
                when(form.expected_close_date.is_some(), "deals", "expected_close_date");
                when(form.source.is_some(), "deals", "source");
                when(form.deal_type.is_some(), "deals", "deal_type");
                when(form.probability.is_some(), "deals", "probability_override_bp");
                when(form.forecast.is_some(), "deals", "forecast_override");
            }
            Change::DealMove { .. } => when(true, "deals", "stage_id"),
            Change::DealBant { form, .. } => {
                when(form.budget.is_some(), "qualifications", "budget_status");
                when(form.budget_note.is_some(), "qualifications", "budget_note");
                when(form.authority.is_some(), "qualifications", "authority_status");
                when(form.authority_note.is_some(), "qualifications", "authority_note");
                when(form.need.is_some(), "qualifications", "need_status");
                when(form.need_note.is_some(), "qualifications", "need_note");
                when(form.timeline.is_some(), "qualifications", "timeline_status");
                when(form.timeline_note.is_some(), "qualifications", "timeline_note");
            }
            Change::AccountUpdate { form, .. } => {
                when(form.name.is_some(), "accounts", "name");
                when(form.domain.is_some(), "accounts", "domain");
                when(form.segment.is_some(), "accounts", "segment");
                when(form.vertical.is_some(), "accounts", "vertical");
                when(form.region.is_some(), "accounts", "region");
            }
            Change::ContactUpdate { form, .. } => {
                when(form.account_id.is_some(), "contacts", "account_id");
                when(form.name.is_some(), "contacts", "name");
                when(form.email.is_some(), "contacts", "email");
                when(form.title.is_some(), "contacts", "title");
            }
            Change::ActivityUpdate { form, .. } => {
                when(form.subject.is_some(), "activities", "subject");
                when(form.notes.is_some(), "activities", "notes");
                when(form.owner_id.is_some(), "activities", "owner_id");
                when(form.due.is_some(), "activities", "due_date");
            }
            _ => {}
        }
        set.into_iter().map(|(t, c)| (t.to_string(), c.to_string())).collect()
    }
}
