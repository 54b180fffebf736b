//! Pipeline inspection: what changed between two days for a period's close window (the
//! waterfall of `keel pipeline changes`), with each movement's deals.

use super::{date, me};
use crate::dto::{Int, MoneyDto};
use crate::{ApiError, AppState};
use keel::domain::DealId;
use keel::services::metrics::changes;
use keel::services::metrics::forecast;
use keel::services::{deals, policy};
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MovedDealDto {
    pub deal_id: Int,
    pub name: String,
    pub owner_name: String,
    pub start: MoneyDto,
    pub end: MoneyDto,
    pub change: MoneyDto,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MovementDto {
    /// new, pulled_in, pushed_out, amount_changed, reassigned, won, lost.
    pub movement: String,
    pub total: MoneyDto,
    pub deals: Vec<MovedDealDto>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PipelineChangesDto {
    pub from: String,
    pub to: String,
    pub period: String,
    pub start: MoneyDto,
    pub end: MoneyDto,
    pub movements: Vec<MovementDto>,
    pub moved_forward: Int,
    pub moved_backward: Int,
    pub slipped_more_than_once: Int,
}

/// The waterfall between the ends of `from` and `to` (today by default) for the deals
/// expected to close in `period` (this quarter by default). Sales leaders see the team's;
/// anyone else their own deals'.
#[tauri::command(async)]
#[specta::specta]
pub fn pipeline_changes(
    state: State<'_, AppState>,
    from: String,
    to: Option<String>,
    period: Option<String>,
) -> Result<PipelineChangesDto, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    // A leader inspects the team's pipeline; everyone else their own.
    let owner = (!actor.may(policy::Capability::LeadSales)).then_some(actor.member());
    let from =
        date("from", Some(from))?.ok_or_else(|| keel::KeelError::invalid("from", "choose the first day"))?;
    let to = date("to", to)?.unwrap_or(ws.today());
    let period =
        period.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| forecast::current_quarter(ws.today()));
    let report = changes::pipeline_changes(&ws, actor, from, to, &period, owner)?;
    let c = report.currency;
    let m = |minor: i64| MoneyDto::of(minor, c);
    let mut movements = Vec::new();
    for (movement, total) in &report.movements {
        let name = serde_json::to_value(movement)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut moved = Vec::new();
        for d in report.deals.iter().filter(|d| d.movement == *movement) {
            let deal = deals::get(&ws, actor, DealId(d.deal_id))?;
            moved.push(MovedDealDto {
                deal_id: d.deal_id.into(),
                name: deal.name,
                owner_name: deal.owner_name,
                start: m(d.start_minor),
                end: m(d.end_minor),
                change: m(d.change_minor),
            });
        }
        movements.push(MovementDto { movement: name, total: m(*total), deals: moved });
    }
    Ok(PipelineChangesDto {
        from: report.from.to_string(),
        to: report.to.to_string(),
        period: report.period.name.clone(),
        start: m(report.start_minor),
        end: m(report.end_minor),
        movements,
        moved_forward: report.moved_forward.into(),
        moved_backward: report.moved_backward.into(),
        slipped_more_than_once: (report.slipped_more_than_once.len() as i64).into(),
    })
}
