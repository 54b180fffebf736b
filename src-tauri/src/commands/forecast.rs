//! The forecast screen: the roll-up for a period (everyone for a sales leader, one's own
//! row for anyone else), quotas, and each member's call with leaders' adjustments.

use super::me;
use crate::dto::{Int, MoneyDto};
use crate::{ApiError, AppState};
use keel::domain::TeamMemberId;
use keel::services::metrics::forecast;
use keel::services::team;
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastRowDto {
    pub owner_id: Option<Int>,
    pub owner_name: String,
    pub quota: Option<MoneyDto>,
    pub closed_won: MoneyDto,
    pub commit: MoneyDto,
    pub best_case: MoneyDto,
    pub pipeline: MoneyDto,
    pub omitted: MoneyDto,
    pub attainment_bp: Option<Int>,
    pub gap: Option<MoneyDto>,
    pub call: Option<MoneyDto>,
    pub adjusted: Option<MoneyDto>,
    pub open_deals: Int,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastCallDto {
    pub owner_id: Int,
    /// `call` or `adjustment`.
    pub kind: String,
    pub amount: MoneyDto,
    pub note: String,
    pub by_name: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastDto {
    pub period: String,
    pub from: String,
    pub to: String,
    pub owners: Vec<ForecastRowDto>,
    pub team: ForecastRowDto,
    pub calls: Vec<ForecastCallDto>,
    pub unconverted_count: Int,
}

fn row(r: &forecast::ForecastRow, c: keel::money::Currency) -> ForecastRowDto {
    let m = |minor: i64| MoneyDto::of(minor, c);
    ForecastRowDto {
        owner_id: r.owner_id.map(|id| id.0.into()),
        owner_name: r.owner_name.clone(),
        quota: r.quota_minor.map(m),
        closed_won: m(r.closed_won_minor),
        commit: m(r.commit_minor),
        best_case: m(r.best_case_minor),
        pipeline: m(r.pipeline_minor),
        omitted: m(r.omitted_minor),
        attainment_bp: r.attainment_bp.map(Int),
        gap: r.gap_minor.map(m),
        call: r.call_minor.map(m),
        adjusted: r.adjusted_minor.map(m),
        open_deals: r.open_deals.into(),
    }
}

/// The roll-up for a period (`2026-Q4` or `2026-11`; this quarter when none is given).
#[tauri::command(async)]
#[specta::specta]
pub fn forecast(state: State<'_, AppState>, period: Option<String>) -> Result<ForecastDto, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let period =
        period.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| forecast::current_quarter(ws.today()));
    let report = forecast::forecast(&ws, actor, &period, None)?;
    let c = report.currency;
    Ok(ForecastDto {
        period: report.period.name.clone(),
        from: report.period.from.to_string(),
        to: report.period.to.to_string(),
        owners: report.owners.iter().map(|r| row(r, c)).collect(),
        team: row(&report.team, c),
        calls: report
            .calls
            .iter()
            .map(|call| ForecastCallDto {
                owner_id: call.member_id.0.into(),
                kind: call.kind.clone(),
                amount: MoneyDto::from(call.amount),
                note: call.note.clone(),
                by_name: call.by_name.clone(),
                at: call.at.to_rfc3339(),
            })
            .collect(),
        unconverted_count: report.unconverted_count.into(),
    })
}

fn name_of(ws: &keel::services::Workspace, id: Int) -> Result<String, ApiError> {
    Ok(team::get(ws, TeamMemberId(id.0))?.name)
}

/// Sets a member's quota for a period (sales leaders).
#[tauri::command(async)]
#[specta::specta]
pub fn set_quota(
    state: State<'_, AppState>,
    owner_id: Int,
    period: String,
    amount: String,
) -> Result<(), ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    if ws.is_replica() {
        let owner = name_of(&ws, owner_id)?;
        crate::team::Line::new(&[
            "quota", "set", "--owner", &owner, "--period", &period, "--amount", &amount,
        ])
        .send(&mut ws)?;
        return Ok(());
    }
    forecast::set_quota(&mut ws, actor, TeamMemberId(owner_id.0), &period, &amount, None)?;
    Ok(())
}

/// Calls one's own number for a period, with a note.
#[tauri::command(async)]
#[specta::specta]
pub fn call_forecast(
    state: State<'_, AppState>,
    period: String,
    amount: String,
    note: String,
) -> Result<(), ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    if ws.is_replica() {
        crate::team::Line::new(&["forecast", "submit", "--period", &period, "--amount", &amount])
            .flag("--note", Some(note))
            .send(&mut ws)?;
        return Ok(());
    }
    forecast::submit_call(&mut ws, actor, &period, &amount, &note)?;
    Ok(())
}

/// Adjusts a member's call (sales leaders), with a reason.
#[tauri::command(async)]
#[specta::specta]
pub fn adjust_forecast(
    state: State<'_, AppState>,
    owner_id: Int,
    period: String,
    amount: String,
    reason: String,
) -> Result<(), ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    if ws.is_replica() {
        let owner = name_of(&ws, owner_id)?;
        crate::team::Line::new(&[
            "forecast", "adjust", "--owner", &owner, "--period", &period, "--amount", &amount,
        ])
        .flag("--reason", Some(reason))
        .send(&mut ws)?;
        return Ok(());
    }
    forecast::adjust_call(&mut ws, actor, TeamMemberId(owner_id.0), &period, &amount, &reason)?;
    Ok(())
}
