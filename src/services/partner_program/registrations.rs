//! Deal registration: submitted → approved | rejected | returned (resubmittable) →
//! converted into a deal, or expired when protection runs out. Conflicts are
//! checked at submission and again at approval.

use crate::domain::{
    check_date_range, normalize_domain, normalize_email, optional_text, required_text, AccountId, DealSource,
    DealType, PartnerId, PartnerStatus, RegistrationId, RegistrationStatus, Segment, TeamMemberId, TextKind,
    UseCase,
};
use crate::money::{BasisPoints, Currency, Money};
use crate::services::partners::program_settings;
use crate::services::policy::{self, Principal};
use crate::services::{deals, Workspace};
use crate::store::registrations::{NewRegistration, Registration, Review};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{Duration, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct RegistrationInput {
    pub partner_id: PartnerId,
    pub company_name: String,
    pub domain: String,
    pub country: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: Money,
    pub expected_close_date: NaiveDate,
    pub use_case: Option<UseCase>,
    pub notes: Option<String>,
}

/// A registration as people type it (the CLI's flags, the desktop's form). It is read
/// here, once, so every front door refuses the same mistake naming the same field.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationForm {
    pub partner_id: PartnerId,
    pub company_name: String,
    pub domain: String,
    pub country: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// A decimal amount as typed ("80,000").
    pub estimated_value: String,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    pub use_case: Option<String>,
    pub notes: Option<String>,
}

impl RegistrationForm {
    /// The typed input, or the first field that cannot be read (in the form's order).
    pub fn read(self) -> Result<RegistrationInput> {
        let blank_is_none =
            |text: Option<String>| text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let currency = Currency::parse("currency", self.currency.trim())?;
        Ok(RegistrationInput {
            estimated_value: Money::parse("value", &self.estimated_value, currency)?,
            expected_close_date: crate::domain::parse_date("close_date", self.close_date.trim())?,
            use_case: blank_is_none(self.use_case).map(|u| UseCase::parse("use_case", &u)).transpose()?,
            partner_id: self.partner_id,
            company_name: self.company_name,
            domain: self.domain,
            country: blank_is_none(self.country),
            contact_name: blank_is_none(self.contact_name),
            contact_email: blank_is_none(self.contact_email),
            notes: blank_is_none(self.notes),
        })
    }
}

/// A registration with what it collides with and whether its review is overdue.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RegistrationView {
    pub registration: Registration,
    pub conflicts: Vec<String>,
    /// Submitted and waiting for review longer than the program allows (48 h).
    pub review_overdue: bool,
    /// For a converted registration: where its deal stands now (won, lost or open stage).
    pub deal_stage: Option<String>,
}

struct ValidRegistration {
    company_name: String,
    domain: String,
    registrable_domain: String,
    country: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    value: Money,
    expected_close_date: NaiveDate,
    use_case: Option<UseCase>,
    notes: Option<String>,
}

impl ValidRegistration {
    fn record(&self, partner_id: PartnerId) -> NewRegistration<'_> {
        NewRegistration {
            partner_id,
            company_name: &self.company_name,
            domain: &self.domain,
            registrable_domain: &self.registrable_domain,
            country: self.country.as_deref(),
            contact_name: self.contact_name.as_deref(),
            contact_email: self.contact_email.as_deref(),
            estimated_value: self.value,
            expected_close_date: self.expected_close_date,
            use_case: self.use_case,
            notes: self.notes.as_deref(),
        }
    }
}

/// The registrable domain ("eu.acme.co.uk" → "acme.co.uk"), so subdomains count as
/// the same company.
pub fn registrable_domain(domain: &str) -> String {
    psl::domain_str(domain).unwrap_or(domain).to_string()
}

fn validate(ws: &Workspace, input: &RegistrationInput) -> Result<ValidRegistration> {
    let domain = normalize_domain("domain", &input.domain)?;
    check_date_range("close_date", input.expected_close_date)?;
    if input.expected_close_date < ws.today() {
        return Err(KeelError::invalid(
            "close_date",
            format!("{} is in the past", input.expected_close_date),
        ));
    }
    Ok(ValidRegistration {
        company_name: required_text("company", &input.company_name, TextKind::Line)?,
        registrable_domain: registrable_domain(&domain),
        domain,
        country: optional_text("country", input.country.as_deref(), TextKind::Line)?,
        contact_name: optional_text("contact_name", input.contact_name.as_deref(), TextKind::Line)?,
        contact_email: input
            .contact_email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| normalize_email("contact_email", e))
            .transpose()?,
        value: Money::non_negative(
            "value",
            input.estimated_value.amount_minor,
            input.estimated_value.currency,
        )?,
        expected_close_date: input.expected_close_date,
        use_case: input.use_case,
        notes: optional_text("notes", input.notes.as_deref(), TextKind::Note)?,
    })
}

/// What a registration on `registrable_domain` by `partner` collides with: accounts
/// with an open deal, existing customers, and other partners' live registrations
/// that came first (the earliest wins).
fn conflicts(
    conn: &rusqlite::Connection,
    partner: PartnerId,
    registrable_domain: &str,
    this: Option<&Registration>,
) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for account in store::registrations::accounts_on_domain(conn, registrable_domain)? {
        if this.and_then(|r| r.deal_id).is_some() {
            break; // a converted registration's own account is not a conflict
        }
        if account.is_customer {
            found.push(format!(
                "account {} ({}, {}) is an existing customer",
                account.id, account.name, account.domain
            ));
        }
        if account.has_open_deal {
            found.push(format!(
                "account {} ({}, {}) has an open deal",
                account.id, account.name, account.domain
            ));
        }
    }
    for other in store::registrations::live_on_domain(conn, registrable_domain, this.map(|r| r.id))? {
        let came_first = this.is_none_or(|r| (other.submitted_at, other.id) < (r.submitted_at, r.id));
        if other.partner_id != partner && came_first {
            found.push(format!(
                "registration {} by {} for {} ({}) came first",
                other.id, other.partner_name, other.company_name, other.status
            ));
        }
    }
    Ok(found)
}

fn view_of(ws: &Workspace, registration: Registration) -> Result<RegistrationView> {
    let settings = program_settings(ws)?;
    let live = matches!(registration.status, RegistrationStatus::Submitted | RegistrationStatus::Approved);
    let conflicts = if live {
        conflicts(ws.conn(), registration.partner_id, &registration.registrable_domain, Some(&registration))?
    } else {
        Vec::new()
    };
    let review_overdue = registration.status == RegistrationStatus::Submitted
        && ws.now() - registration.submitted_at > Duration::hours(i64::from(settings.review_within_hours));
    let deal_stage = match registration.deal_id {
        Some(deal) => Some(store::deals::get(ws.conn(), deal, ws.now())?.stage_name),
        None => None,
    };
    Ok(RegistrationView { registration, conflicts, review_overdue, deal_stage })
}

/// A registration as of `today`: an approved one whose protection has ended reads as
/// expired whether or not the expiry has been written yet, so reads need not write.
fn as_of(mut registration: Registration, today: chrono::NaiveDate) -> Registration {
    if registration.status == RegistrationStatus::Approved
        && registration.protected_until.is_some_and(|until| until < today)
    {
        registration.status = RegistrationStatus::Expired;
    }
    registration
}

/// Writes the expiries that are due, inside the caller's transaction: every command
/// that decides something about registrations runs it first, so it decides on today's
/// states and a refused command leaves no expiry behind. Each is audited as the
/// system's act.
fn expire_due_in(
    tx: &rusqlite::Connection,
    now: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
) -> Result<Vec<RegistrationId>> {
    let due = store::registrations::approved_past_protection(tx, today)?;
    for id in &due {
        store::registrations::set_status(tx, *id, RegistrationStatus::Expired)?;
        crate::services::record(
            tx,
            now,
            None,
            "registration.expire",
            "registration",
            id.0,
            serde_json::json!({
                "before": {"status": "approved"}, "after": {"status": "expired"},
            }),
        )?;
    }
    Ok(due)
}

/// Writes due expiries as a job of its own (`keel registration expire`); reads show
/// them as expired already.
pub fn expire_due(ws: &mut Workspace, who: Principal) -> Result<Vec<RegistrationId>> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "write down due registration expiries",
    )?;
    let today = ws.today();
    ws.write_as(who, |tx, now| expire_due_in(tx, now, today))
}

/// Every check a submission passes, whether first submitted or resubmitted after a
/// return (`this`): the partner is active and holds no other live registration for the
/// domain. Returns the conflicts to record; they do not refuse a submission.
fn check_submission(
    tx: &rusqlite::Connection,
    partner: &crate::store::partners::Partner,
    valid: &ValidRegistration,
    this: Option<RegistrationId>,
) -> Result<Vec<String>> {
    if partner.status != PartnerStatus::Active {
        return Err(KeelError::NotAllowed(format!(
            "partner {} is {}; only active partners register deals",
            partner.name, partner.status
        )));
    }
    let mine = store::registrations::live_on_domain(tx, &valid.registrable_domain, this)?
        .into_iter()
        .find(|r| r.partner_id == partner.id);
    if let Some(existing) = mine {
        return Err(KeelError::Duplicate {
            field: "domain",
            value: valid.registrable_domain.clone(),
            entity: "live registration of this partner",
            existing: existing.id.to_string(),
        });
    }
    let current = this.map(|id| store::registrations::get(tx, id)).transpose()?;
    conflicts(tx, partner.id, &valid.registrable_domain, current.as_ref())
}

pub fn submit(ws: &mut Workspace, who: Principal, input: RegistrationInput) -> Result<RegistrationView> {
    let id = submit_by(ws, Submitter::Member(who.member()), input)?;
    get(ws, who, id)
}

/// Who sends a registration in: a team member on the partner's behalf, or one of the
/// partner's own people through the partner portal (the audit log names them).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Submitter<'a> {
    Member(TeamMemberId),
    PartnerUser(&'a crate::store::partner_users::PartnerUser),
}

impl Submitter<'_> {
    fn member(&self) -> Option<TeamMemberId> {
        match self {
            Submitter::Member(id) => Some(*id),
            Submitter::PartnerUser(_) => None,
        }
    }

    /// A member submits only while on the team (a partner's user is checked by the portal).
    fn still_acting(&self, tx: &rusqlite::Connection) -> Result<()> {
        match self {
            Submitter::Member(id) => crate::services::policy::active_member(tx, *id).map(|_| ()),
            Submitter::PartnerUser(_) => Ok(()),
        }
    }

    fn portal_user(&self) -> Option<&str> {
        match self {
            Submitter::Member(_) => None,
            Submitter::PartnerUser(user) => Some(&user.email),
        }
    }
}

pub(crate) fn submit_by(
    ws: &mut Workspace,
    by: Submitter<'_>,
    input: RegistrationInput,
) -> Result<RegistrationId> {
    let valid = validate(ws, &input)?;
    let today = ws.today();
    ws.write(|tx, now| {
        by.still_acting(tx)?;
        expire_due_in(tx, now, today)?;
        let partner = store::partners::get(tx, input.partner_id)?;
        let found = check_submission(tx, &partner, &valid, None)?;
        let id = store::registrations::insert(tx, &valid.record(partner.id), now, by.member())?;
        crate::services::record(
            tx,
            now,
            by.member(),
            "registration.submit",
            "registration",
            id.0,
            serde_json::json!({
                "after": {"partner": partner.name, "company": valid.company_name, "domain": valid.domain,
                          "value_minor": valid.value.amount_minor, "currency": valid.value.currency},
                "conflicts": found,
                "portal_user": by.portal_user(),
            }),
        )?;
        Ok(id)
    })
}

pub fn get(ws: &Workspace, who: Principal, id: RegistrationId) -> Result<RegistrationView> {
    policy::reading(ws.conn(), who)?;
    viewed(ws, id)
}

/// A registration as it reads today, for a caller its own service has authorized (the
/// portal checks that the partner's user asks for their own).
pub(crate) fn viewed(ws: &Workspace, id: RegistrationId) -> Result<RegistrationView> {
    let registration = as_of(store::registrations::get(ws.conn(), id)?, ws.today());
    view_of(ws, registration)
}

/// The registration a deal was converted from, if any (the deal page links to it).
pub fn for_deal(ws: &Workspace, who: Principal, deal: crate::domain::DealId) -> Result<Option<Registration>> {
    policy::reading(ws.conn(), who)?;
    Ok(store::registrations::for_deal(ws.conn(), deal)?.map(|r| as_of(r, ws.today())))
}

/// Registrations, oldest first (the review queue order), as of today. Reading writes
/// nothing: due expiries show as expired (see `as_of`).
pub fn list(
    ws: &Workspace,
    who: Principal,
    status: Option<RegistrationStatus>,
) -> Result<Vec<RegistrationView>> {
    policy::reading(ws.conn(), who)?;
    list_of(ws, status, None)
}

/// One partner's registrations, or everyone's, as of today.
pub(crate) fn list_of(
    ws: &Workspace,
    status: Option<RegistrationStatus>,
    partner: Option<crate::domain::PartnerId>,
) -> Result<Vec<RegistrationView>> {
    let today = ws.today();
    // Stored approved ones may read as expired, so the status filter applies after.
    let stored = match status {
        Some(RegistrationStatus::Approved | RegistrationStatus::Expired) | None => None,
        other => other,
    };
    store::registrations::list(ws.conn(), stored, partner)?
        .into_iter()
        .map(|r| as_of(r, today))
        .filter(|r| status.is_none_or(|s| r.status == s))
        .map(|r| view_of(ws, r))
        .collect()
}

fn expect_status(r: &Registration, allowed: &[RegistrationStatus], action: &str) -> Result<()> {
    if allowed.contains(&r.status) {
        Ok(())
    } else {
        Err(KeelError::NotAllowed(format!("registration {} is {}; it cannot be {action}", r.id, r.status)))
    }
}

/// Approves a submitted registration, locking the rate in force today and starting
/// its protection. Conflicts (checked again now) need an override reason.
pub fn approve(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    override_reason: Option<String>,
) -> Result<RegistrationView> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "approve registrations",
    )?;
    let override_reason = optional_text("override", override_reason.as_deref(), TextKind::Note)?;
    let settings = program_settings(ws)?;
    let today = ws.today();
    ws.write_as(who, |tx, now| {
        expire_due_in(tx, now, today)?;
        let registration = store::registrations::get(tx, id)?;
        expect_status(&registration, &[RegistrationStatus::Submitted], "approved")?;
        let partner = store::partners::get(tx, registration.partner_id)?;
        let found = conflicts(tx, partner.id, &registration.registrable_domain, Some(&registration))?;
        if !found.is_empty() && override_reason.is_none() {
            return Err(KeelError::Conflict {
                action: format!("registration {id} conflicts; approve with an override reason"),
                conflicts: found,
            });
        }
        // Technology partners earn no share and may have no plan; any other tier must
        // have a plan in force, or the approval would silently lock 0 %.
        let plan = store::partners::plan_in_force(tx, partner.id, today)?;
        let rate = match (&plan, partner.tier) {
            (Some(plan), _) => plan.rate,
            (None, crate::domain::PartnerTier::Technology) => BasisPoints(0),
            (None, tier) => {
                return Err(KeelError::NotAllowed(format!(
                    "{} ({tier}) has no commission plan in force on {today}; add one with a rate first",
                    partner.name
                )))
            }
        };
        let protected_until = today + Duration::days(i64::from(settings.protection_days(partner.tier)));
        store::registrations::review(
            tx,
            id,
            &Review {
                status: RegistrationStatus::Approved,
                at: now,
                by: who.member(),
                decision_reason: None,
                override_reason: override_reason.as_deref().filter(|_| !found.is_empty()),
                plan_id: plan.as_ref().map(|p| p.id),
                rate: Some(rate),
                protected_until: Some(protected_until),
            },
        )?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "registration.approve",
            "registration",
            id.0,
            serde_json::json!({
                "before": {"status": "submitted"},
                "after": {"status": "approved", "rate_bp": rate.0, "protected_until": protected_until},
                "conflicts": found, "override_reason": override_reason,
            }),
        )
    })?;
    get(ws, who, id)
}

fn decide(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    reason: &str,
    to: RegistrationStatus,
    verb: &str,
) -> Result<RegistrationView> {
    let reason = required_text("reason", reason, TextKind::Note)?;
    ws.write(|tx, now| {
        crate::services::policy::require(
            tx,
            who,
            crate::services::policy::Capability::RunPartnerProgram,
            &format!("{verb} registrations"),
        )?;
        let registration = store::registrations::get(tx, id)?;
        expect_status(&registration, &[RegistrationStatus::Submitted], &format!("{verb}ed"))?;
        store::registrations::review(
            tx,
            id,
            &Review {
                status: to,
                at: now,
                by: who.member(),
                decision_reason: Some(&reason),
                override_reason: None,
                plan_id: None,
                rate: None,
                protected_until: None,
            },
        )?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            &format!("registration.{verb}"),
            "registration",
            id.0,
            serde_json::json!({
                "before": {"status": "submitted"}, "after": {"status": to.as_str()}, "reason": reason,
            }),
        )
    })?;
    get(ws, who, id)
}

pub fn reject(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    reason: &str,
) -> Result<RegistrationView> {
    decide(ws, who, id, reason, RegistrationStatus::Rejected, "reject")
}

/// Sends a registration back to the partner for more information.
pub fn send_back(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    reason: &str,
) -> Result<RegistrationView> {
    decide(ws, who, id, reason, RegistrationStatus::Returned, "return")
}

/// Resubmits a returned registration with corrected details.
pub fn resubmit(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    input: RegistrationInput,
) -> Result<RegistrationView> {
    resubmit_by(ws, Submitter::Member(who.member()), id, input, None)?;
    get(ws, who, id)
}

/// A resubmission, with the partner's answer to the manager's question when it comes
/// through the portal.
pub(crate) fn resubmit_by(
    ws: &mut Workspace,
    by: Submitter<'_>,
    id: RegistrationId,
    input: RegistrationInput,
    answer: Option<&str>,
) -> Result<()> {
    let current = store::registrations::get(ws.conn(), id)?;
    expect_status(&current, &[RegistrationStatus::Returned], "resubmitted")?;
    if input.partner_id != current.partner_id {
        return Err(KeelError::invalid("partner", "a resubmission keeps its partner"));
    }
    let valid = validate(ws, &input)?;
    let partner = store::partners::get(ws.conn(), current.partner_id)?;
    let today = ws.today();
    ws.write(|tx, now| {
        by.still_acting(tx)?;
        expire_due_in(tx, now, today)?;
        let found = check_submission(tx, &partner, &valid, Some(id))?;
        store::registrations::resubmit(tx, id, &valid.record(current.partner_id), now)?;
        crate::services::record(tx, now, by.member(), "registration.resubmit", "registration", id.0, serde_json::json!({
            "before": {"status": "returned", "domain": current.domain, "value_minor": current.estimated_value.amount_minor},
            "after": {"status": "submitted", "domain": valid.domain, "value_minor": valid.value.amount_minor},
            "conflicts": found,
            "portal_user": by.portal_user(),
            "answer": answer,
        }))
    })
}

/// Extends an approved registration's protection once, with a reason.
pub fn extend(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    reason: &str,
) -> Result<RegistrationView> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "extend registrations",
    )?;
    let reason = required_text("reason", reason, TextKind::Note)?;
    let settings = program_settings(ws)?;
    let today = ws.today();
    ws.write_as(who, |tx, now| {
        expire_due_in(tx, now, today)?;
        let registration = store::registrations::get(tx, id)?;
        expect_status(&registration, &[RegistrationStatus::Approved], "extended")?;
        if registration.extension_reason.is_some() {
            return Err(KeelError::NotAllowed(format!("registration {id} was already extended once")));
        }
        let before = registration.protected_until.unwrap_or(now.date_naive());
        let until = before + Duration::days(i64::from(settings.extension_days));
        store::registrations::extend(tx, id, until, &reason)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "registration.extend",
            "registration",
            id.0,
            serde_json::json!({
                "before": {"protected_until": before}, "after": {"protected_until": until}, "reason": reason,
            }),
        )
    })?;
    get(ws, who, id)
}

/// Converts an approved registration into a deal (source: partner) on the account
/// with its domain, creating the account if there is none. One transaction.
pub fn convert(
    ws: &mut Workspace,
    who: Principal,
    id: RegistrationId,
    owner: Option<TeamMemberId>,
) -> Result<RegistrationView> {
    let registration = as_of(store::registrations::get(ws.conn(), id)?, ws.today());
    expect_status(&registration, &[RegistrationStatus::Approved], "converted")?;
    // The account with the exact domain, else the company's main one (eu.acme.com → acme.com).
    let existing = match store::accounts::find_by_domain(ws.conn(), &registration.domain)? {
        Some(account) => Some(account.id),
        None => store::accounts::find_by_domain(ws.conn(), &registration.registrable_domain)?.map(|a| a.id),
    };
    let input = deals::DealInput {
        name: format!("{} (via {})", registration.company_name, registration.partner_name),
        account_id: existing.unwrap_or(AccountId(0)),
        owner_id: owner,
        amount_minor: registration.estimated_value.amount_minor,
        currency: registration.estimated_value.currency.code().to_string(),
        expected_close_date: registration.expected_close_date,
        source: DealSource::Partner,
        deal_type: DealType::NewBusiness,
        stage: None,
        probability_override_bp: None,
        forecast_override: None,
        expands_deal_id: None,
    };
    let today = ws.today();
    ws.write_as(who, |tx, now| {
        expire_due_in(tx, now, today)?;
        // Decided again inside the write: another command may have acted since.
        expect_status(&store::registrations::get(tx, id)?, &[RegistrationStatus::Approved], "converted")?;
        // A converted deal is handed to someone who carries deals (the acting AE by default).
        if let Some(owner) = owner {
            crate::services::policy::require_of(tx, owner, crate::services::policy::Capability::OwnDeals, "own deals")?;
        }
        let mut prepared = deals::prepare(tx, now, today, who.member(), input)?;
        let account = match existing {
            Some(account) => account,
            None => {
                let fields = store::accounts::AccountFields {
                    name: &registration.company_name,
                    domain: Some(&registration.domain),
                    segment: Segment::SmbMidMarket,
                    vertical: None,
                    region: registration.country.as_deref(),
                };
                let account = store::accounts::insert(tx, &fields, now, Some(who.member()))?;
                crate::services::record(tx, now, Some(who.member()), "account.create", "account", account.0, serde_json::json!({
                    "name": registration.company_name, "domain": registration.domain, "from_registration": id,
                }))?;
                account
            }
        };
        prepared.set_account(account);
        let deal = deals::insert_prepared(tx, now, who.member(), &prepared)?;
        store::registrations::mark_converted(tx, id, deal)?;
        crate::services::record(tx, now, Some(who.member()), "registration.convert", "registration", id.0, serde_json::json!({
            "before": {"status": "approved"}, "after": {"status": "converted", "deal_id": deal},
        }))
    })?;
    get(ws, who, id)
}
