//! The forecast screen: the roll-up for a period (everyone for a sales leader, one's own
//! row for anyone else), quotas, and each member's call with leaders' adjustments.

use super::{given, me};
use crate::dto::{DealCard, Int, MoneyDto, Page};
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::{DealId, ForecastCategory, TeamMemberId};
use keel::services::metrics::forecast;
use keel::services::{deals, Workspace};
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
    let change = Change::QuotaSet { member: TeamMemberId(owner_id.0), period, amount, currency: None };
    crate::team::submit(&mut ws, actor, change)?;
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
    crate::team::submit(&mut ws, actor, Change::ForecastCall { period, amount, note })?;
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
    let change = Change::ForecastAdjust { member: TeamMemberId(owner_id.0), period, amount, reason };
    crate::team::submit(&mut ws, actor, change)?;
    Ok(())
}

/// An open deal behind the roll-up's category columns.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastDealDto {
    pub deal: DealCard,
    /// `commit`, `best-case`, `pipeline`, `omitted` or `closed`: the owner's call, else the stage's.
    pub forecast_category: String,
    /// The owner's call rather than the stage's category.
    pub overridden: bool,
    /// Whether the person at the keyboard may change the category (the core's rule).
    pub may_change: bool,
}

fn forecast_deal(
    ws: &Workspace,
    actor: keel::services::policy::Principal,
    deal: &keel::store::deals::Deal,
) -> ForecastDealDto {
    ForecastDealDto {
        deal: DealCard::of(deal, ws.now()),
        forecast_category: deal.forecast_category.as_str().into(),
        overridden: deal.forecast_override.is_some(),
        may_change: deals::may_call_forecast(ws, actor, deal).is_ok(),
    }
}

/// How many open deals of the period a category holds.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CategoryCount {
    pub category: String,
    pub count: Int,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ForecastDealsDto {
    /// The categories that hold any of the member's open deals of the period.
    pub by_category: Vec<CategoryCount>,
    pub page: Page<ForecastDealDto>,
}

/// One member's open deals expected to close in the period (one's own unless a sales
/// leader asks for another's), of one category or all, a page at a time.
#[tauri::command(async)]
#[specta::specta]
pub fn forecast_deals(
    state: State<'_, AppState>,
    period: String,
    owner_id: Option<Int>,
    category: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<ForecastDealsDto, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let owner = owner_id.map(|id| TeamMemberId(id.0));
    let category = given(category).map(|c| ForecastCategory::parse("category", &c)).transpose()?;
    let found = forecast::deals_in_period(&ws, actor, &period, owner, category, offset, limit)?;
    Ok(ForecastDealsDto {
        by_category: found
            .by_category
            .iter()
            .map(|(c, n)| CategoryCount { category: c.as_str().into(), count: (*n).into() })
            .collect(),
        page: Page {
            total: found.total.into(),
            offset: offset.into(),
            rows: found.deals.iter().map(|d| forecast_deal(&ws, actor, d)).collect(),
        },
    })
}

/// Changes a deal's forecast category (`none`: back to its stage's), as its owner or a
/// sales leader.
#[tauri::command(async)]
#[specta::specta]
pub fn set_forecast_category(
    state: State<'_, AppState>,
    deal_id: Int,
    category: String,
) -> Result<ForecastDealDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let category = match category.trim() {
        "none" | "" => None,
        other => Some(ForecastCategory::parse("forecast", other)?),
    };
    let form = deals::DealUpdateForm {
        forecast: Some(category.map_or("none", |c| c.as_str()).to_string()),
        ..Default::default()
    };
    crate::team::submit(&mut ws, actor, Change::DealUpdate { deal: DealId(deal_id.0), form })?;
    Ok(forecast_deal(&ws, actor, &deals::get(&ws, actor, DealId(deal_id.0))?))
}
