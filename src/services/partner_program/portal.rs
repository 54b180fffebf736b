//! The partner portal: what a partner's own people see and do. Everything here is
//! scoped to the signed-in person's partner: another partner's registration or
//! statement is "not found", and a conflict with another partner or an existing
//! customer shows only as "needs review", never with its name, deal or value.
//! Partner managers invite and remove the people (`invite`, `remove`, `users`). What
//! crosses the wire is keel-api's `portal` module, built from these.

use super::registrations::{self, RegistrationForm, Submitter};
use crate::domain::StatementStatus;
use crate::domain::{PartnerId, PartnerUserId, RegistrationId, RegistrationStatus, StatementId};
use crate::money::Money;
use crate::services::policy::{self, Capability, Principal};
use crate::services::Workspace;
use crate::store;
use crate::store::partner_users::{self, Earning, PartnerUser};
use crate::{KeelError, Result};
use chrono::NaiveDate;

/// An amount as the portal shows it: minor units, the currency and its decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalMoney {
    pub minor: i64,
    pub currency: &'static str,
    pub exponent: u8,
}

impl From<Money> for PortalMoney {
    fn from(money: Money) -> PortalMoney {
        PortalMoney {
            minor: money.amount_minor,
            currency: money.currency.code(),
            exponent: money.currency.exponent(),
        }
    }
}

/// A partner's person as the portal knows them once signed in (the team server
/// authenticates them; this checks they are still on the partner's list).
pub fn signed_in(ws: &Workspace, id: PartnerUserId) -> Result<PartnerUser> {
    match partner_users::get(ws.conn(), id)? {
        Some(user) if user.removed_at.is_none() => Ok(user),
        _ => Err(KeelError::Forbidden("this partner portal account has been removed".into())),
    }
}

/// Invites one of a partner's people to the portal (or back, after a removal). The team
/// server gives them a one-time code; a partner manager or sales leader invites.
pub fn invite(
    ws: &mut Workspace,
    who: Principal,
    partner: PartnerId,
    email: &str,
    name: Option<&str>,
) -> Result<PartnerUser> {
    let email = crate::domain::normalize_email("email", email)?;
    let id = ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::RunPartnerProgram, "invite partners' people to the portal")?;
        let partner = store::partners::get(tx, partner)?;
        let id = match partner_users::find_by_email(tx, &email)? {
            Some(existing) if existing.partner_id != partner.id => {
                return Err(KeelError::Duplicate {
                    field: "email",
                    value: email.clone(),
                    entity: "portal user of partner",
                    existing: existing.partner_name,
                })
            }
            Some(existing) => {
                partner_users::reinstate(tx, existing.id, who.member(), now)?;
                existing.id
            }
            None => partner_users::insert(tx, partner.id, &email, name, who.member(), now)?,
        };
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "partner_user.invite",
            "partner",
            partner.id.0,
            serde_json::json!({"after": {"email": email, "partner": partner.name}}),
        )?;
        Ok(id)
    })?;
    partner_users::get(ws.conn(), id)?.ok_or_else(|| KeelError::not_found("portal user", id))
}

/// Takes a person off the portal: their sessions end at once (the server checks).
pub fn remove(ws: &mut Workspace, who: Principal, email: &str) -> Result<PartnerUser> {
    let user = ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::RunPartnerProgram, "remove partners' people from the portal")?;
        let user = partner_users::find_by_email(tx, email.trim())?
            .filter(|u| u.removed_at.is_none())
            .ok_or_else(|| KeelError::not_found("portal user", email.trim()))?;
        partner_users::remove(tx, user.id, now)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "partner_user.remove",
            "partner",
            user.partner_id.0,
            serde_json::json!({"before": {"email": user.email}}),
        )?;
        Ok(user.id)
    })?;
    partner_users::get(ws.conn(), user)?.ok_or_else(|| KeelError::not_found("portal user", user))
}

/// The portal's people, of one partner or all, for the partner program.
pub fn users(ws: &Workspace, who: Principal, partner: Option<PartnerId>) -> Result<Vec<PartnerUser>> {
    policy::require(ws.conn(), who, Capability::RunPartnerProgram, "see partners' portal users")?;
    partner_users::list(ws.conn(), partner)
}

/// The partner as its people see it: tier, the rate in force, their partner manager and
/// the program's terms.
#[derive(Debug, Clone)]
pub struct PortalProfile {
    pub partner: String,
    pub you: String,
    pub category: String,
    pub tier: String,
    pub rate_bp: Option<u32>,
    pub partner_manager: Option<String>,
    pub protection_days: u32,
    pub holding_days: u32,
    pub minimum_payout_major: u32,
}

pub fn profile(ws: &Workspace, who: &PartnerUser) -> Result<PortalProfile> {
    let partner = store::partners::get(ws.conn(), who.partner_id)?;
    let settings = super::partners::program_settings(ws)?;
    let rate = store::partners::plan_in_force(ws.conn(), partner.id, ws.today())?.map(|p| p.rate.0);
    Ok(PortalProfile {
        you: who.email.clone(),
        category: partner.category.as_str().into(),
        tier: partner.tier.as_str().into(),
        rate_bp: rate,
        partner_manager: partner.manager_name.clone(),
        protection_days: settings.protection_days(partner.tier),
        holding_days: settings.holding_days,
        minimum_payout_major: settings.min_payout_major,
        partner: partner.name,
    })
}

/// A registration as its partner follows it.
#[derive(Debug, Clone)]
pub struct PortalRegistration {
    pub id: RegistrationId,
    pub company: String,
    pub domain: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: PortalMoney,
    pub expected_close_date: NaiveDate,
    pub use_case: Option<String>,
    pub notes: Option<String>,
    /// submitted, returned, approved, rejected, converted, expired.
    pub status: String,
    /// Submitted and overlapping other business: a manager looks at it. What it overlaps
    /// with is never shown here.
    pub needs_review: bool,
    /// The manager's question (returned) or reason (rejected).
    pub manager_note: Option<String>,
    pub protected_until: Option<NaiveDate>,
    /// The rate locked at approval.
    pub rate_bp: Option<u32>,
    /// For a converted registration: won, lost or open.
    pub deal_outcome: Option<String>,
    pub submitted_at: String,
}

fn portal_view(ws: &Workspace, view: registrations::RegistrationView) -> Result<PortalRegistration> {
    let r = view.registration;
    let deal_outcome = match r.deal_id {
        Some(deal) => {
            let deal = store::deals::get(ws.conn(), deal, ws.now())?;
            Some(
                if deal.is_won {
                    "won"
                } else if deal.is_closed {
                    "lost"
                } else {
                    "open"
                }
                .to_string(),
            )
        }
        None => None,
    };
    Ok(PortalRegistration {
        id: r.id,
        company: r.company_name,
        domain: r.domain,
        contact_name: r.contact_name,
        contact_email: r.contact_email,
        estimated_value: r.estimated_value.into(),
        expected_close_date: r.expected_close_date,
        use_case: r.use_case.map(|u| u.as_str().to_string()),
        notes: r.notes,
        needs_review: r.status == RegistrationStatus::Submitted && !view.conflicts.is_empty(),
        manager_note: match r.status {
            RegistrationStatus::Returned | RegistrationStatus::Rejected => r.decision_reason,
            _ => None,
        },
        protected_until: r.protected_until,
        rate_bp: r.rate.map(|bp| bp.0),
        status: r.status.as_str().to_string(),
        deal_outcome,
        submitted_at: r.submitted_at.to_rfc3339(),
    })
}

pub fn registrations(ws: &Workspace, who: &PartnerUser) -> Result<Vec<PortalRegistration>> {
    let mut all: Vec<PortalRegistration> = registrations::list_of(ws, None, Some(who.partner_id))?
        .into_iter()
        .map(|view| portal_view(ws, view))
        .collect::<Result<_>>()?;
    all.reverse(); // newest first
    Ok(all)
}

/// One of the partner's registrations; another partner's is "not found".
pub fn registration(ws: &Workspace, who: &PartnerUser, id: RegistrationId) -> Result<PortalRegistration> {
    let view = own_registration(ws, who, id)?;
    portal_view(ws, view)
}

fn own_registration(
    ws: &Workspace,
    who: &PartnerUser,
    id: RegistrationId,
) -> Result<registrations::RegistrationView> {
    let found = store::registrations::get(ws.conn(), id).ok().filter(|r| r.partner_id == who.partner_id);
    match found {
        Some(_) => registrations::viewed(ws, id),
        None => Err(KeelError::not_found("registration", id)),
    }
}

/// A deal registration as the partner's person typed it (the partner is theirs).
#[derive(Debug, Clone, Default)]
pub struct PortalRegistrationForm {
    pub company: String,
    pub domain: String,
    pub country: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: String,
    pub currency: String,
    pub expected_close_date: String,
    pub use_case: Option<String>,
    pub notes: Option<String>,
}

impl PortalRegistrationForm {
    fn for_partner(self, partner: PartnerId) -> RegistrationForm {
        RegistrationForm {
            partner_id: partner,
            company_name: self.company,
            domain: self.domain,
            country: self.country,
            contact_name: self.contact_name,
            contact_email: self.contact_email,
            estimated_value: self.estimated_value,
            currency: self.currency,
            close_date: self.expected_close_date,
            use_case: self.use_case,
            notes: self.notes,
        }
    }
}

/// Registers a deal for the signed-in person's partner. Accepted for review, or refused
/// as a duplicate of the partner's own live registration.
pub fn register(
    ws: &mut Workspace,
    who: &PartnerUser,
    form: PortalRegistrationForm,
) -> Result<PortalRegistration> {
    let user = signed_in(ws, who.id)?;
    let input = form.for_partner(user.partner_id).read()?;
    let id = registrations::submit_by(ws, Submitter::PartnerUser(&user), input)?;
    registration(ws, &user, id)
}

/// Answers the manager's question on a returned registration and sends it in again,
/// with whatever the form corrects.
pub fn answer(
    ws: &mut Workspace,
    who: &PartnerUser,
    id: RegistrationId,
    answer: &str,
    form: PortalRegistrationForm,
) -> Result<PortalRegistration> {
    let user = signed_in(ws, who.id)?;
    let current = own_registration(ws, &user, id)?.registration;
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(KeelError::invalid("answer", "say what the partner manager asked"));
    }
    let question = current.decision_reason.clone().unwrap_or_default();
    let mut form = form.for_partner(user.partner_id);
    let earlier = form.notes.take().or(current.notes.clone()).unwrap_or_default();
    let exchange = format!("Q: {question}\nA: {answer}");
    form.notes =
        Some(if earlier.trim().is_empty() { exchange } else { format!("{}\n\n{exchange}", earlier.trim()) });
    let input = form.read()?;
    registrations::resubmit_by(ws, Submitter::PartnerUser(&user), id, input, Some(answer))?;
    registration(ws, &user, id)
}

/// One commission entry as its partner sees it.
#[derive(Debug, Clone)]
pub struct PortalEarning {
    pub deal_name: String,
    /// `accrual`, `clawback` or `reversal`.
    pub kind: String,
    pub amount: PortalMoney,
    pub accrued_on: NaiveDate,
    pub payable_on: NaiveDate,
    pub statement_period: Option<String>,
    /// in holding (until `payable_on`), payable, on a statement (approved), paid,
    /// clawed back.
    pub standing: String,
}

/// Per currency: everything earned, and how much of it stands where.
#[derive(Debug, Clone)]
pub struct EarningTotals {
    pub earned: PortalMoney,
    pub in_holding: PortalMoney,
    pub payable: PortalMoney,
    pub on_statements: PortalMoney,
    pub paid: PortalMoney,
}

#[derive(Debug, Clone)]
pub struct PortalEarnings {
    pub entries: Vec<PortalEarning>,
    pub totals: Vec<EarningTotals>,
}

fn standing(entry: &Earning, today: NaiveDate) -> &'static str {
    if entry.kind != "accrual" {
        return "clawed back";
    }
    match entry.statement_status.as_deref() {
        Some("paid") => "paid",
        Some("approved") => "on a statement",
        _ if entry.payable_on > today => "in holding",
        _ => "payable",
    }
}

/// The partner's commission entries, newest first, each with where it stands, and the
/// totals per currency.
pub fn earnings(ws: &Workspace, who: &PartnerUser) -> Result<PortalEarnings> {
    let today = ws.today();
    let entries = partner_users::earnings(ws.conn(), who.partner_id)?;
    let mut totals: Vec<EarningTotals> = Vec::new();
    for entry in &entries {
        let zero = PortalMoney { minor: 0, ..PortalMoney::from(entry.amount) };
        let index = match totals.iter().position(|t| t.earned.currency == zero.currency) {
            Some(i) => i,
            None => {
                totals.push(EarningTotals {
                    earned: zero,
                    in_holding: zero,
                    payable: zero,
                    on_statements: zero,
                    paid: zero,
                });
                totals.len() - 1
            }
        };
        let t = &mut totals[index];
        let amount = entry.amount.amount_minor;
        t.earned.minor += amount;
        match standing(entry, today) {
            "paid" => t.paid.minor += amount,
            "on a statement" => t.on_statements.minor += amount,
            "in holding" => t.in_holding.minor += amount,
            "payable" => t.payable.minor += amount,
            // A clawback stands against what was earned, wherever that stands.
            _ => {}
        }
    }
    let entries = entries
        .into_iter()
        .map(|entry| PortalEarning {
            standing: standing(&entry, today).into(),
            deal_name: entry.deal_name,
            kind: entry.kind,
            amount: entry.amount.into(),
            accrued_on: entry.accrued_on,
            payable_on: entry.payable_on,
            statement_period: entry.statement_period,
        })
        .collect();
    Ok(PortalEarnings { entries, totals })
}

/// A statement as its partner sees it.
#[derive(Debug, Clone)]
pub struct PortalStatement {
    pub id: StatementId,
    pub period: String,
    pub status: String,
    pub total: PortalMoney,
    pub approved_at: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    /// Only on one statement's page.
    pub lines: Vec<PortalStatementLine>,
}

#[derive(Debug, Clone)]
pub struct PortalStatementLine {
    /// payment, clawback, reversal or carried.
    pub kind: String,
    pub deal_name: Option<String>,
    pub accrued_on: Option<NaiveDate>,
    pub base: Option<PortalMoney>,
    pub rate_bp: Option<u32>,
    pub amount: PortalMoney,
}

fn portal_statement(
    statement: &store::payouts::Statement,
    lines: &[store::payouts::StatementLine],
) -> PortalStatement {
    let currency = statement.total.currency;
    let money = |minor: i64| PortalMoney::from(Money { amount_minor: minor, currency });
    PortalStatement {
        id: statement.id,
        period: statement.period.clone(),
        status: statement.status.as_str().into(),
        total: statement.total.into(),
        approved_at: statement.approved_at.map(|t| t.to_rfc3339()),
        paid_on: statement.paid_on,
        paid_reference: statement.paid_reference.clone(),
        lines: lines
            .iter()
            .map(|l| PortalStatementLine {
                kind: l.kind.as_str().into(),
                deal_name: l.deal_name.clone(),
                accrued_on: l.accrued_on,
                base: l.base_minor.map(money),
                rate_bp: l.rate_bp,
                amount: money(l.amount_minor),
            })
            .collect(),
    }
}

/// Statements the partner may see: approved, paid, or carried into the next period.
/// Drafts are the program's own working papers.
fn visible(status: StatementStatus) -> bool {
    status != StatementStatus::Draft
}

pub fn statements(ws: &Workspace, who: &PartnerUser) -> Result<Vec<PortalStatement>> {
    let mut all: Vec<PortalStatement> = store::payouts::list(ws.conn(), None, Some(who.partner_id))?
        .iter()
        .filter(|s| visible(s.status))
        .map(|s| portal_statement(s, &[]))
        .collect();
    all.reverse();
    Ok(all)
}

/// One of the partner's statements with its lines; another partner's, or a draft, is
/// "not found".
fn own_statement(
    ws: &Workspace,
    who: &PartnerUser,
    id: StatementId,
) -> Result<super::payouts::StatementView> {
    let statement = store::payouts::get(ws.conn(), id)
        .ok()
        .filter(|s| s.partner_id == who.partner_id && visible(s.status))
        .ok_or_else(|| KeelError::not_found("statement", id))?;
    Ok(super::payouts::StatementView { lines: store::payouts::lines(ws.conn(), id)?, statement })
}

pub fn statement(ws: &Workspace, who: &PartnerUser, id: StatementId) -> Result<PortalStatement> {
    let view = own_statement(ws, who, id)?;
    Ok(portal_statement(&view.statement, &view.lines))
}

/// The statement as the same CSV or PDF the partner manager exports.
pub fn statement_file(
    ws: &Workspace,
    who: &PartnerUser,
    id: StatementId,
    format: super::payouts::ExportFormat,
) -> Result<Vec<u8>> {
    let view = own_statement(ws, who, id)?;
    Ok(match format {
        super::payouts::ExportFormat::Csv => super::statement_export::csv(&view).into_bytes(),
        super::payouts::ExportFormat::Pdf => super::statement_export::pdf(&view),
    })
}
