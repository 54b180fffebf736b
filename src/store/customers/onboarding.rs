//! Onboarding plans and quarterly business reviews: the account's life after a win.

use crate::domain::{AccountId, DealId, OnboardingPlanId, OnboardingStep, QbrId, TeamMemberId};
use crate::store::{day_text, found, get_day, get_instant, get_opt_day, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct OnboardingPlan {
    pub id: OnboardingPlanId,
    pub account_id: AccountId,
    pub deal_id: DealId,
    pub created_at: DateTime<Utc>,
    pub steps: Vec<PlanStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    pub step: OnboardingStep,
    pub owner_id: TeamMemberId,
    pub owner_name: String,
    pub due_date: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

pub fn plan_for_deal(conn: &Connection, deal: DealId) -> Result<Option<OnboardingPlanId>> {
    Ok(conn
        .query_row("SELECT id FROM onboarding_plans WHERE deal_id = ?1", [deal], |r| r.get(0))
        .optional()?)
}

pub fn insert_plan(
    conn: &Connection,
    account: AccountId,
    deal: DealId,
    at: DateTime<Utc>,
    steps: &[(OnboardingStep, TeamMemberId, NaiveDate)],
) -> Result<OnboardingPlanId> {
    conn.prepare_cached(
        "INSERT INTO onboarding_plans (account_id, deal_id, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![account, deal, instant_text(at)])?;
    let plan = OnboardingPlanId(conn.last_insert_rowid());
    let mut stmt = conn.prepare_cached(
        "INSERT INTO onboarding_steps (plan_id, step, owner_id, due_date) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (step, owner, due) in steps {
        stmt.execute(params![plan, step, owner, day_text(*due)])?;
    }
    Ok(plan)
}

pub fn plans_for_account(conn: &Connection, account: AccountId) -> Result<Vec<OnboardingPlan>> {
    let mut plans: Vec<OnboardingPlan> = conn
        .prepare("SELECT id, account_id, deal_id, created_at FROM onboarding_plans WHERE account_id = ?1 ORDER BY id")?
        .query_map([account], |r| {
            Ok(OnboardingPlan {
                id: r.get("id")?,
                account_id: r.get("account_id")?,
                deal_id: r.get("deal_id")?,
                created_at: get_instant(r, "created_at")?,
                steps: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT s.step, s.owner_id, t.name AS owner_name, s.due_date, s.done_on
         FROM onboarding_steps s JOIN team_members t ON t.id = s.owner_id
         WHERE s.plan_id = ?1 ORDER BY s.due_date",
    )?;
    for plan in &mut plans {
        plan.steps = stmt
            .query_map([plan.id], |r| {
                Ok(PlanStep {
                    step: r.get("step")?,
                    owner_id: r.get("owner_id")?,
                    owner_name: r.get("owner_name")?,
                    due_date: get_day(r, "due_date")?,
                    done_on: get_opt_day(r, "done_on")?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(plans)
}

/// Marks a step done and returns the plan's account.
pub fn complete_step(
    conn: &Connection,
    plan: OnboardingPlanId,
    step: OnboardingStep,
    on: NaiveDate,
) -> Result<AccountId> {
    let changed = conn.execute(
        "UPDATE onboarding_steps SET done_on = ?3 WHERE plan_id = ?1 AND step = ?2",
        params![plan, step, day_text(on)],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("onboarding plan", plan));
    }
    Ok(conn.query_row("SELECT account_id FROM onboarding_plans WHERE id = ?1", [plan], |r| r.get(0))?)
}

#[derive(Debug, Clone, Serialize)]
pub struct Qbr {
    pub id: QbrId,
    pub account_id: AccountId,
    pub scheduled_on: NaiveDate,
    pub owner_id: TeamMemberId,
    pub owner_name: String,
    pub held_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

pub fn insert_qbr(
    conn: &Connection,
    account: AccountId,
    on: NaiveDate,
    owner: TeamMemberId,
) -> Result<QbrId> {
    conn.prepare_cached("INSERT INTO qbrs (account_id, scheduled_on, owner_id) VALUES (?1, ?2, ?3)")?
        .execute(params![account, day_text(on), owner])?;
    Ok(QbrId(conn.last_insert_rowid()))
}

pub fn qbrs_for_account(conn: &Connection, account: AccountId) -> Result<Vec<Qbr>> {
    let rows = conn
        .prepare(
            "SELECT q.id, q.account_id, q.scheduled_on, q.owner_id, t.name AS owner_name, q.held_on, q.notes
             FROM qbrs q JOIN team_members t ON t.id = q.owner_id WHERE q.account_id = ?1 ORDER BY q.scheduled_on",
        )?
        .query_map([account], |r| {
            Ok(Qbr {
                id: r.get("id")?,
                account_id: r.get("account_id")?,
                scheduled_on: get_day(r, "scheduled_on")?,
                owner_id: r.get("owner_id")?,
                owner_name: r.get("owner_name")?,
                held_on: get_opt_day(r, "held_on")?,
                notes: r.get("notes")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn record_qbr_held(
    conn: &Connection,
    id: QbrId,
    on: NaiveDate,
    notes: Option<&str>,
) -> Result<AccountId> {
    found(
        conn.query_row(
            "UPDATE qbrs SET held_on = ?2, notes = ?3 WHERE id = ?1 RETURNING account_id",
            params![id, day_text(on), notes],
            |r| r.get(0),
        ),
        "QBR",
        id,
    )
}

/// The account an onboarding plan belongs to.
pub fn plan_account(conn: &Connection, plan: OnboardingPlanId) -> Result<Option<AccountId>> {
    Ok(conn
        .query_row("SELECT account_id FROM onboarding_plans WHERE id = ?1", [plan.0], |r| {
            r.get(0).map(AccountId)
        })
        .optional()?)
}

/// The account a QBR is with.
pub fn qbr_account(conn: &Connection, qbr: QbrId) -> Result<Option<AccountId>> {
    Ok(conn
        .query_row("SELECT account_id FROM qbrs WHERE id = ?1", [qbr.0], |r| r.get(0).map(AccountId))
        .optional()?)
}
