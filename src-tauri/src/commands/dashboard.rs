//! The leadership dashboard: `keel metrics` for a period and filters, the deals behind
//! each figure, and the reporting currency with its exchange rates.

use super::{given, me};
use crate::dto::{DealCard, Int, Page};
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::DealId;
use keel::services::metrics::{self, Figure, Figures, Group};
use keel::services::{deals, fx, team, Workspace};
use keel_api::filters::metrics_query;
pub use keel_api::filters::DashboardQuery;
use serde::Serialize;
use tauri::State;

/// One group's figures; money in minor units of the reporting currency, rates in bp.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct FiguresDto {
    pub won_count: Int,
    pub lost_count: Int,
    pub win_rate: Option<Int>,
    pub won_value_minor: Int,
    pub avg_deal_size_minor: Option<Int>,
    pub median_cycle_days: Option<f64>,
    pub mean_cycle_days: Option<f64>,
    pub open_count: Int,
    pub pipeline_value_minor: Int,
    pub weighted_pipeline_value_minor: Int,
    pub partner_sourced_revenue_minor: Int,
    pub partner_influenced_revenue_minor: Int,
    pub sales_velocity_minor_per_day: Option<Int>,
}

impl From<&Figures> for FiguresDto {
    fn from(f: &Figures) -> Self {
        FiguresDto {
            won_count: f.won_count.into(),
            lost_count: f.lost_count.into(),
            win_rate: f.win_rate.map(Int::from),
            won_value_minor: f.won_value_minor.into(),
            avg_deal_size_minor: f.avg_deal_size_minor.map(Int),
            median_cycle_days: f.median_cycle_days,
            mean_cycle_days: f.mean_cycle_days,
            open_count: f.open_count.into(),
            pipeline_value_minor: f.pipeline_value_minor.into(),
            weighted_pipeline_value_minor: f.weighted_pipeline_value_minor.into(),
            partner_sourced_revenue_minor: f.partner_sourced_revenue_minor.into(),
            partner_influenced_revenue_minor: f.partner_influenced_revenue_minor.into(),
            sales_velocity_minor_per_day: f.sales_velocity_minor_per_day.map(Int),
        }
    }
}

/// A group of the report: its key (owner, month, source or segment) and figures.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct GroupDto {
    pub key: String,
    /// For an owner: the member's id, so the group drills down by owner.
    pub owner_id: Option<Int>,
    pub figures: FiguresDto,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct FunnelDto {
    pub stage: String,
    pub entered_count: Int,
    pub advanced_count: Int,
    pub conversion_rate: Option<Int>,
    pub median_days_in_stage: Option<f64>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TargetDto {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub as_of: String,
    pub customers_target: Int,
    pub customers: Int,
    pub customers_progress_bp: Option<Int>,
    pub enterprise_deals_target: Int,
    pub enterprise_deals: Int,
    pub enterprise_deals_progress_bp: Option<Int>,
    pub arr_target_minor: Option<Int>,
    pub arr_minor: Int,
    pub arr_progress_bp: Option<Int>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Dashboard {
    pub currency: String,
    pub exponent: u8,
    pub figures: FiguresDto,
    pub by_month: Vec<GroupDto>,
    pub by_owner: Vec<GroupDto>,
    pub by_source: Vec<GroupDto>,
    pub by_segment: Vec<GroupDto>,
    pub funnel: Vec<FunnelDto>,
    pub targets: Vec<TargetDto>,
    /// Deals left out of money figures because their currency has no rate.
    pub unconverted_count: Int,
}

fn groups(groups: &[Group], key: fn(&Group) -> Option<&String>, ids: &[(String, i64)]) -> Vec<GroupDto> {
    groups
        .iter()
        .map(|g| {
            let key = key(g).cloned().unwrap_or_default();
            GroupDto {
                owner_id: ids.iter().find(|(name, _)| *name == key).map(|(_, id)| Int(*id)),
                figures: FiguresDto::from(&g.figures),
                key,
            }
        })
        .collect()
}

/// Every figure of `keel metrics` for the same period and filters.
#[tauri::command(async)]
#[specta::specta]
pub fn dashboard(state: State<'_, AppState>, query: DashboardQuery) -> Result<Dashboard, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let m = match metrics_query(query)? {
        (q, Some(day)) => metrics::compute_as_of(&ws, actor, &q, day)?,
        (q, None) => metrics::compute(&ws, actor, &q)?,
    };
    let owners: Vec<(String, i64)> = team::list(&ws)?.into_iter().map(|t| (t.name, t.id.0)).collect();
    Ok(Dashboard {
        currency: m.currency.code().to_string(),
        exponent: m.currency.exponent(),
        figures: FiguresDto::from(&m.figures),
        by_month: groups(&m.by_month, |g| g.month.as_ref(), &[]),
        by_owner: groups(&m.by_owner, |g| g.owner.as_ref(), &owners),
        by_source: groups(&m.by_source, |g| g.source.as_ref(), &[]),
        by_segment: groups(&m.by_segment, |g| g.segment.as_ref(), &[]),
        funnel: m
            .funnel
            .iter()
            .map(|f| FunnelDto {
                stage: f.stage.clone(),
                entered_count: f.entered_count.into(),
                advanced_count: f.advanced_count.into(),
                conversion_rate: f.conversion_rate.map(Int::from),
                median_days_in_stage: f.median_days_in_stage,
            })
            .collect(),
        targets: m
            .targets
            .iter()
            .map(|t| TargetDto {
                name: t.name.clone(),
                starts_on: t.starts_on.to_string(),
                ends_on: t.ends_on.to_string(),
                as_of: t.as_of.to_string(),
                customers_target: t.customers_target.into(),
                customers: t.customers.into(),
                customers_progress_bp: t.customers_progress_bp.map(Int::from),
                enterprise_deals_target: t.enterprise_deals_target.into(),
                enterprise_deals: t.enterprise_deals.into(),
                enterprise_deals_progress_bp: t.enterprise_deals_progress_bp.map(Int::from),
                arr_target_minor: t.arr_target_minor.map(Int),
                arr_minor: t.arr_minor.into(),
                arr_progress_bp: t.arr_progress_bp.map(Int::from),
            })
            .collect(),
        unconverted_count: (m.unconverted.len() as u64).into(),
    })
}

/// A deal behind a figure, with what it adds in the reporting currency.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DrillDeal {
    pub deal: DealCard,
    pub value_minor: Option<Int>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DrillPage {
    pub currency: String,
    pub exponent: u8,
    /// Σ of every row's value, not only this page's.
    pub value_minor: Int,
    pub page: Page<DrillDeal>,
}

/// The deals behind one figure (`won`, `lost`, `open`, `partner-sourced`,
/// `partner-influenced`, `entered:<stage>`), optionally in one month, a page at a time.
#[tauri::command(async)]
#[specta::specta]
pub fn dashboard_deals(
    state: State<'_, AppState>,
    query: DashboardQuery,
    figure: String,
    month: Option<String>,
    offset: Int,
    limit: Int,
) -> Result<DrillPage, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let (q, as_of) = metrics_query(query)?;
    let (figure, month) = (Figure::parse(&figure)?, given(month));
    let drill = match as_of {
        Some(day) => metrics::drill_as_of(&ws, actor, &q, &figure, month.as_deref(), day)?,
        None => metrics::drill(&ws, actor, &q, &figure, month.as_deref())?,
    };
    let now = ws.now();
    let offset = offset.0.max(0) as usize;
    let rows = drill
        .rows
        .iter()
        .skip(offset)
        .take(limit.0.clamp(0, 500) as usize)
        .map(|r| {
            Ok(DrillDeal {
                deal: DealCard::of(&deals::get(&ws, actor, DealId(r.deal_id))?, now),
                value_minor: r.value_minor.map(Int),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(DrillPage {
        currency: drill.currency.code().to_string(),
        exponent: drill.currency.exponent(),
        value_minor: drill.value_minor.into(),
        page: Page { total: (drill.rows.len() as u64).into(), offset: (offset as u64).into(), rows },
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RateDto {
    pub currency: String,
    pub quote: String,
    pub effective_on: String,
    /// Units of the reporting currency per unit, as a decimal (up to 9 places).
    pub rate: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CurrencySettings {
    pub reporting_currency: String,
    pub rates: Vec<RateDto>,
}

fn currency_settings(ws: &Workspace) -> Result<CurrencySettings, ApiError> {
    let who = me(ws)?;
    Ok(CurrencySettings {
        reporting_currency: fx::reporting_currency(ws)?.code().to_string(),
        rates: fx::rates(ws, who, None)?
            .into_iter()
            .map(|r| RateDto {
                currency: r.currency,
                quote: r.quote,
                effective_on: r.effective_on.to_string(),
                rate: r.rate.to_string(),
            })
            .collect(),
    })
}

#[tauri::command(async)]
#[specta::specta]
pub fn currency_settings_get(state: State<'_, AppState>) -> Result<CurrencySettings, ApiError> {
    currency_settings(&state.open()?)
}

/// Changes the reporting currency (every figure is recomputed in it).
#[tauri::command(async)]
#[specta::specta]
pub fn set_reporting_currency(
    state: State<'_, AppState>,
    currency: String,
) -> Result<CurrencySettings, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    crate::team::submit(&mut ws, actor, Change::ReportingCurrency { currency })?;
    currency_settings(&ws)
}

/// The rate form as the core reads it (the same reading as `keel fx set`).
fn rate_form(currency: String, effective_on: String, rate: String) -> fx::RateForm {
    fx::RateForm { currency, effective_on, rate }
}

/// Sets the rate of `currency` into the reporting currency from `effective_on`.
#[tauri::command(async)]
#[specta::specta]
pub fn set_fx_rate(
    state: State<'_, AppState>,
    currency: String,
    effective_on: String,
    rate: String,
) -> Result<CurrencySettings, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    crate::team::submit(&mut ws, actor, Change::FxRate { form: rate_form(currency, effective_on, rate) })?;
    currency_settings(&ws)
}

#[cfg(test)]
mod rate_form_test {
    use super::rate_form;

    /// The same mistakes the CLI is tested with (tests/it/cli.rs,
    /// `bad_activity_and_rate_inputs_get_the_same_code_and_field_as_in_the_desktop`),
    /// through the desktop's rate form: the same code and field for each.
    #[test]
    fn the_rate_form_names_the_same_field_as_the_command_line() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/bad-rate-inputs.json"))
                .expect("table");
        let form = |input: &serde_json::Map<String, serde_json::Value>| {
            let text = |field: &str| input[field].as_str().expect("text").to_string();
            rate_form(text("currency"), text("effective_on"), text("rate"))
        };
        let valid = table["valid"].as_object().expect("valid");
        for case in table["cases"].as_array().expect("cases") {
            let mut input = valid.clone();
            for (k, v) in case["change"].as_object().expect("change") {
                input.insert(k.clone(), v.clone());
            }
            let error =
                serde_json::to_value(crate::ApiError::from(form(&input).read().expect_err("refused")))
                    .expect("json");
            assert_eq!((&error["code"], &error["field"]), (&case["code"], &case["field"]), "{case}: {error}");
        }
        assert_eq!(form(valid).read().expect("the valid input reads").rate.to_string(), "1.0842");
    }
}
