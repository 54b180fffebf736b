//! Onboarding and quarterly business reviews: what happens to an account after a win.

use crate::domain::{
    check_date_range, optional_text, AccountId, OnboardingPlanId, OnboardingStep, QbrId, Role, TeamMemberId,
    TextKind,
};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::deals::Deal;
use crate::store::onboarding::{OnboardingPlan, Qbr};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Connection;

/// Days after the win each onboarding step is due (the seed's onboarding sequence).
const STEP_OFFSETS: [(OnboardingStep, i64); 4] = [
    (OnboardingStep::KickOff, 7),
    (OnboardingStep::TechnicalIntegration, 30),
    (OnboardingStep::Training, 45),
    (OnboardingStep::GoLive, 60),
];

/// The first QBR is a quarter after the win.
const FIRST_QBR_AFTER_DAYS: i64 = 90;

/// Creates the onboarding plan and first QBR for a won deal, owned by the first
/// customer-success member (else the deal owner). Runs inside the move's transaction.
pub(crate) fn start_for_won_deal(
    tx: &Connection,
    now: DateTime<Utc>,
    deal: &Deal,
    actor: TeamMemberId,
) -> Result<()> {
    if store::onboarding::plan_for_deal(tx, deal.id)?.is_some() {
        return Ok(()); // won before, reopened, won again: the plan already exists
    }
    let account = deal.account_id.ok_or_else(|| {
        KeelError::NotAllowed(format!(
            "deal {} has no account: attach one before winning it (onboarding starts with the account)",
            deal.id
        ))
    })?;
    let owner = store::team::first_with_role(tx, Role::CustomerSuccess)?.map_or(deal.owner_id, |m| m.id);
    let won_on = now.date_naive();
    let steps: Vec<_> =
        STEP_OFFSETS.iter().map(|&(step, days)| (step, owner, won_on + Duration::days(days))).collect();
    let plan = store::onboarding::insert_plan(tx, account, deal.id, now, &steps)?;
    store::onboarding::insert_qbr(tx, account, won_on + Duration::days(FIRST_QBR_AFTER_DAYS), owner)?;
    crate::services::record(
        tx,
        now,
        Some(actor),
        "onboarding.start",
        "onboarding_plan",
        plan.0,
        serde_json::json!({
            "deal_id": deal.id, "account_id": deal.account_id, "owner_id": owner,
        }),
    )
}

pub fn plans(ws: &Workspace, who: Principal, account: AccountId) -> Result<Vec<OnboardingPlan>> {
    policy::reading(ws.conn(), who)?;
    store::accounts::get(ws.conn(), account)?;
    store::onboarding::plans_for_account(ws.conn(), account)
}

pub fn complete_step(
    ws: &mut Workspace,
    who: Principal,
    plan: OnboardingPlanId,
    step: OnboardingStep,
    on: Option<NaiveDate>,
) -> Result<AccountId> {
    let on = on.unwrap_or(ws.today());
    check_date_range("date", on)?;
    ws.write_as(who, |tx, now| {
        let account = store::onboarding::complete_step(tx, plan, step, on)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "onboarding.step_done",
            "onboarding_plan",
            plan.0,
            serde_json::json!({
                "step": step.as_str(), "on": on,
            }),
        )?;
        Ok(account)
    })
}

pub fn qbrs(ws: &Workspace, who: Principal, account: AccountId) -> Result<Vec<Qbr>> {
    policy::reading(ws.conn(), who)?;
    store::accounts::get(ws.conn(), account)?;
    store::onboarding::qbrs_for_account(ws.conn(), account)
}

pub fn schedule_qbr(
    ws: &mut Workspace,
    who: Principal,
    account: AccountId,
    on: NaiveDate,
    owner: Option<TeamMemberId>,
) -> Result<QbrId> {
    check_date_range("date", on)?;
    store::accounts::get(ws.conn(), account)?;
    let owner = owner.unwrap_or(who.member());
    store::team::get(ws.conn(), owner)?;
    ws.write_as(who, |tx, now| {
        let id = store::onboarding::insert_qbr(tx, account, on, owner)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "qbr.schedule",
            "qbr",
            id.0,
            serde_json::json!({"account_id": account, "on": on}),
        )?;
        Ok(id)
    })
}

/// The account an onboarding plan belongs to.
pub fn plan_account(ws: &Workspace, who: Principal, plan: OnboardingPlanId) -> Result<AccountId> {
    policy::reading(ws.conn(), who)?;
    store::onboarding::plan_account(ws.conn(), plan)?
        .ok_or_else(|| KeelError::not_found("onboarding plan", plan))
}

/// The account a QBR is with.
pub fn qbr_account(ws: &Workspace, who: Principal, qbr: QbrId) -> Result<AccountId> {
    policy::reading(ws.conn(), who)?;
    store::onboarding::qbr_account(ws.conn(), qbr)?.ok_or_else(|| KeelError::not_found("QBR", qbr))
}

pub fn record_qbr(
    ws: &mut Workspace,
    who: Principal,
    id: QbrId,
    on: Option<NaiveDate>,
    notes: Option<String>,
) -> Result<Vec<Qbr>> {
    let on = on.unwrap_or(ws.today());
    check_date_range("date", on)?;
    let notes = optional_text("notes", notes.as_deref(), TextKind::Note)?;
    let account = ws.write_as(who, |tx, now| {
        let account = store::onboarding::record_qbr_held(tx, id, on, notes.as_deref())?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "qbr.held",
            "qbr",
            id.0,
            serde_json::json!({"on": on}),
        )?;
        Ok(account)
    })?;
    store::onboarding::qbrs_for_account(ws.conn(), account)
}
