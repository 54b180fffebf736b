//! The partner manager's screens: the desk, partners, and the registration queue
//! with its reviews. The core decides who may act; these commands only adapt shapes.

use super::{given, me};
use crate::dto::{DealCard, Int, MoneyDto, RegistrationDto};
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::{PartnerId, RegistrationId, RegistrationStatus, TeamMemberId};
use keel::services::partners::{self, PartnerSummary};
use keel::services::registrations::{self, RegistrationView};
use keel::store::payouts::Statement;
use serde::{Deserialize, Serialize};
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StatementDto {
    pub id: Int,
    pub partner_id: Int,
    pub partner_name: String,
    pub period: String,
    pub status: String,
    pub total: MoneyDto,
    pub created_at: String,
    pub approved_at: Option<String>,
    pub paid_on: Option<String>,
    pub paid_reference: Option<String>,
    pub carried_into: Option<Int>,
}

impl From<&Statement> for StatementDto {
    fn from(s: &Statement) -> Self {
        StatementDto {
            id: s.id.0.into(),
            partner_id: s.partner_id.0.into(),
            partner_name: s.partner_name.clone(),
            period: s.period.clone(),
            status: s.status.as_str().to_string(),
            total: s.total.into(),
            created_at: s.created_at.to_rfc3339(),
            approved_at: s.approved_at.map(|t| t.to_rfc3339()),
            paid_on: s.paid_on.map(|d| d.to_string()),
            paid_reference: s.paid_reference.clone(),
            carried_into: s.carried_into.map(|c| c.0.into()),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PartnerDesk {
    pub to_review: Vec<RegistrationDto>,
    pub conflicted: Vec<RegistrationDto>,
    pub expiring: Vec<RegistrationDto>,
    pub statements_to_approve: Vec<StatementDto>,
    pub expiry_warning_days: Int,
    /// The program's promise: a registration is reviewed within this many hours.
    pub review_within_hours: Int,
    /// What partners' people did lately through the partner portal, newest first.
    pub portal_activity: Vec<super::portal_users::PortalActivityDto>,
}

/// The partner manager's home: reviews waiting (oldest first), conflicts, expiring
/// protection and statements to approve.
#[tauri::command(async)]
#[specta::specta]
pub fn partner_desk(state: State<'_, AppState>) -> Result<PartnerDesk, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let desk = partners::desk(&ws, actor)?;
    let all = |views: Vec<RegistrationView>| views.into_iter().map(RegistrationDto::from).collect();
    Ok(PartnerDesk {
        to_review: all(desk.to_review),
        conflicted: all(desk.conflicted),
        expiring: all(desk.expiring),
        statements_to_approve: desk.statements_to_approve.iter().map(StatementDto::from).collect(),
        expiry_warning_days: partners::EXPIRY_WARNING_DAYS.into(),
        review_within_hours: i64::from(partners::program_settings(&ws)?.review_within_hours).into(),
        portal_activity: super::portal_users::activity(&desk.portal_activity),
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PartnerRow {
    pub id: Int,
    pub name: String,
    pub domain: String,
    pub category: String,
    pub tier: String,
    pub status: String,
    /// The commission rate in force today.
    pub rate_bp: Int,
    pub manager_name: Option<String>,
    pub certified_on: Option<String>,
}

impl From<&PartnerSummary> for PartnerRow {
    fn from(s: &PartnerSummary) -> Self {
        let p = &s.partner;
        PartnerRow {
            id: p.id.0.into(),
            name: p.name.clone(),
            domain: p.domain.clone(),
            category: p.category.as_str().to_string(),
            tier: p.tier.as_str().to_string(),
            status: p.status.as_str().to_string(),
            rate_bp: i64::from(s.rate.0).into(),
            manager_name: p.manager_name.clone(),
            certified_on: p.certified_on.map(|d| d.to_string()),
        }
    }
}

#[tauri::command(async)]
#[specta::specta]
pub fn partners(state: State<'_, AppState>) -> Result<Vec<PartnerRow>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    Ok(partners::list(&ws, actor)?.iter().map(PartnerRow::from).collect())
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CommissionPlanDto {
    pub rate_bp: Int,
    pub effective_from: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BalanceDto {
    pub accrued: MoneyDto,
    pub paid: MoneyDto,
    /// Under the minimum payout (or negative), waiting for a later statement.
    pub carried: MoneyDto,
    pub owed: MoneyDto,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PartnerPage {
    pub partner: PartnerRow,
    pub plans: Vec<CommissionPlanDto>,
    pub registrations: Vec<RegistrationDto>,
    pub deals: Vec<DealCard>,
    pub sourced: Vec<MoneyDto>,
    pub commission: Vec<BalanceDto>,
    pub statements: Vec<StatementDto>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn partner_page(state: State<'_, AppState>, partner_id: Int) -> Result<PartnerPage, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let id = PartnerId(partner_id.0);
    let view = partners::view(&ws, actor, id)?;
    let now = ws.now();
    let statements = view.statements.clone();
    Ok(PartnerPage {
        partner: PartnerRow::from(&PartnerSummary { partner: view.partner.clone(), rate: view.rate }),
        plans: view
            .plans
            .iter()
            .map(|p| CommissionPlanDto {
                rate_bp: i64::from(p.rate.0).into(),
                effective_from: p.effective_from.to_string(),
                created_at: p.created_at.to_rfc3339(),
            })
            .collect(),
        registrations: view.registrations.iter().map(RegistrationDto::of).collect(),
        deals: view.deals.iter().map(|d| DealCard::of(d, now)).collect(),
        sourced: view.sourced.into_iter().map(MoneyDto::from).collect(),
        commission: view
            .commission
            .iter()
            .map(|b| BalanceDto {
                accrued: MoneyDto::of(b.accrued_minor, b.currency),
                paid: MoneyDto::of(b.paid_minor, b.currency),
                carried: MoneyDto::of(b.carried_minor, b.currency),
                owed: MoneyDto::of(b.owed_minor, b.currency),
            })
            .collect(),
        statements: statements.iter().map(StatementDto::from).collect(),
    })
}

/// Registrations, oldest first; `status` narrows to one state.
#[tauri::command(async)]
#[specta::specta]
pub fn registrations(
    state: State<'_, AppState>,
    status: Option<String>,
) -> Result<Vec<RegistrationDto>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let status = given(status).map(|s| RegistrationStatus::parse("status", &s)).transpose()?;
    Ok(registrations::list(&ws, actor, status)?.into_iter().map(RegistrationDto::from).collect())
}

#[tauri::command(async)]
#[specta::specta]
pub fn registration(state: State<'_, AppState>, registration_id: Int) -> Result<RegistrationDto, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    Ok(registrations::get(&ws, actor, RegistrationId(registration_id.0))?.into())
}

/// A registration as a form sends it: the value as typed, dates as `YYYY-MM-DD`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewRegistration {
    pub partner_id: Int,
    pub company_name: String,
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

/// Submits a registration on a partner's behalf; conflicts are found now and shown.
#[tauri::command(async)]
#[specta::specta]
pub fn submit_registration(
    state: State<'_, AppState>,
    input: NewRegistration,
) -> Result<RegistrationDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = registrations::RegistrationForm {
        partner_id: PartnerId(input.partner_id.0),
        company_name: input.company_name,
        domain: input.domain,
        country: input.country,
        contact_name: input.contact_name,
        contact_email: input.contact_email,
        estimated_value: input.estimated_value,
        currency: input.currency,
        close_date: input.expected_close_date,
        use_case: input.use_case,
        notes: input.notes,
    };
    let applied = crate::team::submit(&mut ws, actor, Change::RegistrationSubmit { form })?;
    Ok(registrations::get(&ws, actor, RegistrationId(applied.id))?.into())
}

/// One review decision on a registration. `reason` is the override reason for an
/// approval (needed only when it conflicts) and the stated reason for the others.
#[tauri::command(async)]
#[specta::specta]
pub fn review_registration(
    state: State<'_, AppState>,
    registration_id: Int,
    decision: String,
    reason: Option<String>,
) -> Result<RegistrationDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let registration = RegistrationId(registration_id.0);
    let reason = given(reason);
    let text = reason.clone().unwrap_or_default();
    let change = match decision.as_str() {
        "approve" => Change::RegistrationApprove { registration, override_reason: reason },
        "reject" => Change::RegistrationReject { registration, reason: text },
        "return" => Change::RegistrationReturn { registration, reason: text },
        "extend" => Change::RegistrationExtend { registration, reason: text },
        other => {
            return Err(keel::KeelError::invalid(
                "decision",
                format!("'{other}' is not approve, reject, return or extend"),
            )
            .into())
        }
    };
    crate::team::submit(&mut ws, actor, change)?;
    Ok(registrations::get(&ws, actor, registration)?.into())
}

/// Converts an approved registration into a partner deal owned by `owner_id` (or me).
#[tauri::command(async)]
#[specta::specta]
pub fn convert_registration(
    state: State<'_, AppState>,
    registration_id: Int,
    owner_id: Option<Int>,
) -> Result<RegistrationDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let registration = RegistrationId(registration_id.0);
    let owner = owner_id.map(|o| TeamMemberId(o.0));
    crate::team::submit(&mut ws, actor, Change::RegistrationConvert { registration, owner })?;
    Ok(registrations::get(&ws, actor, registration)?.into())
}
