//! Revenue on won deals, and payout runs: statements per partner with their lines,
//! approved and marked paid, exported as CSV or a printable PDF.

use super::partners::StatementDto;
use super::workspace::Written;
use super::{date, me};
use crate::dto::{Int, MoneyDto};
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::{DealId, RevenueKind, StatementId};
use keel::services::payouts::{self, ExportFormat, StatementView};
use keel::services::revenue;
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RevenueEventDto {
    pub id: Int,
    pub kind: String,
    pub amount: MoneyDto,
    pub occurred_on: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LedgerDto {
    pub id: Int,
    pub kind: String,
    pub base: MoneyDto,
    pub rate_bp: Int,
    pub amount: MoneyDto,
    pub accrued_on: String,
    pub payable_on: String,
    pub reverses_id: Option<Int>,
}

/// What a won deal collected and the commission it accrued.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DealRevenueDto {
    pub events: Vec<RevenueEventDto>,
    pub ledger: Vec<LedgerDto>,
    pub net_collected: MoneyDto,
}

fn revenue_of(ws: &keel::services::Workspace, deal: DealId) -> Result<DealRevenueDto, ApiError> {
    let who = me(ws)?;
    let currency = keel::services::deals::get(ws, who, deal)?.currency;
    let r = revenue::for_deal(ws, who, deal)?;
    Ok(DealRevenueDto {
        events: r
            .events
            .iter()
            .map(|e| RevenueEventDto {
                id: e.id.0.into(),
                kind: e.kind.as_str().to_string(),
                amount: e.amount.into(),
                occurred_on: e.occurred_on.to_string(),
            })
            .collect(),
        ledger: r
            .ledger
            .iter()
            .map(|l| LedgerDto {
                id: l.id.0.into(),
                kind: l.kind.as_str().to_string(),
                base: MoneyDto::of(l.base_minor, l.amount.currency),
                rate_bp: i64::from(l.rate.0).into(),
                amount: l.amount.into(),
                accrued_on: l.accrued_on.to_string(),
                payable_on: l.payable_on.to_string(),
                reverses_id: l.reverses_id.map(|r| r.0.into()),
            })
            .collect(),
        net_collected: MoneyDto::of(r.net_collected_minor, currency),
    })
}

#[tauri::command(async)]
#[specta::specta]
pub fn deal_revenue(state: State<'_, AppState>, deal_id: Int) -> Result<DealRevenueDto, ApiError> {
    let ws = state.open()?;
    me(&ws)?;
    revenue_of(&ws, DealId(deal_id.0))
}

/// Records a payment or refund on a won deal (amount as typed, in the deal's currency;
/// the date defaults to today).
#[tauri::command(async)]
#[specta::specta]
pub fn record_revenue(
    state: State<'_, AppState>,
    deal_id: Int,
    kind: String,
    amount: String,
    occurred_on: Option<String>,
) -> Result<DealRevenueDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let deal = DealId(deal_id.0);
    let refund = RevenueKind::parse("kind", &kind)? == RevenueKind::Refund;
    let date = date("date", occurred_on)?.unwrap_or(ws.today()).to_string();
    crate::team::submit(&mut ws, actor, Change::RevenueRecord { deal, amount, date, refund })?;
    revenue_of(&ws, deal)
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StatementLineDto {
    pub id: Int,
    /// `payment`, `clawback`, `reversal` or `carried`.
    pub kind: String,
    pub deal_id: Option<Int>,
    pub deal_name: Option<String>,
    pub accrued_on: Option<String>,
    pub base: Option<MoneyDto>,
    pub rate_bp: Option<Int>,
    pub amount: MoneyDto,
    pub carried_statement_id: Option<Int>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StatementPage {
    pub statement: StatementDto,
    pub lines: Vec<StatementLineDto>,
}

impl From<StatementView> for StatementPage {
    fn from(v: StatementView) -> Self {
        let currency = v.statement.total.currency;
        StatementPage {
            statement: StatementDto::from(&v.statement),
            lines: v
                .lines
                .iter()
                .map(|l| StatementLineDto {
                    id: l.id.into(),
                    kind: l.kind.as_str().to_string(),
                    deal_id: l.deal_id.map(Int),
                    deal_name: l.deal_name.clone(),
                    accrued_on: l.accrued_on.map(|d| d.to_string()),
                    base: l.base_minor.map(|b| MoneyDto::of(b, currency)),
                    rate_bp: l.rate_bp.map(Int::from),
                    amount: MoneyDto::of(l.amount_minor, currency),
                    carried_statement_id: l.carried_statement_id.map(|s| s.0.into()),
                })
                .collect(),
        }
    }
}

/// Statements, newest period first; `period` (`YYYY-MM`) narrows to one run.
#[tauri::command(async)]
#[specta::specta]
pub fn statements(state: State<'_, AppState>, period: Option<String>) -> Result<Vec<StatementDto>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let period = super::given(period);
    let mut all = payouts::list(&ws, actor, period.as_deref())?;
    all.reverse();
    Ok(all.iter().map(StatementDto::from).collect())
}

/// Runs a payout period (`YYYY-MM`): a statement per partner and currency.
#[tauri::command(async)]
#[specta::specta]
pub fn run_payouts(state: State<'_, AppState>, period: String) -> Result<Vec<StatementDto>, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    crate::team::submit(&mut ws, actor, Change::PayoutRun { period: period.clone() })?;
    Ok(payouts::list(&ws, actor, Some(&period))?.iter().map(StatementDto::from).collect())
}

#[tauri::command(async)]
#[specta::specta]
pub fn statement(state: State<'_, AppState>, statement_id: Int) -> Result<StatementPage, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    Ok(payouts::show(&ws, actor, StatementId(statement_id.0))?.into())
}

#[tauri::command(async)]
#[specta::specta]
pub fn approve_statement(state: State<'_, AppState>, statement_id: Int) -> Result<StatementPage, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let statement = StatementId(statement_id.0);
    crate::team::submit(&mut ws, actor, Change::StatementApprove { statement })?;
    Ok(payouts::show(&ws, actor, statement)?.into())
}

/// Marks an approved statement paid with the payment's reference (date defaults to today).
#[tauri::command(async)]
#[specta::specta]
pub fn mark_statement_paid(
    state: State<'_, AppState>,
    statement_id: Int,
    reference: String,
    paid_on: Option<String>,
) -> Result<StatementPage, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let statement = StatementId(statement_id.0);
    // A blank date is today's.
    let date = super::given(paid_on);
    crate::team::submit(&mut ws, actor, Change::StatementPaid { statement, reference, date })?;
    Ok(payouts::show(&ws, actor, statement)?.into())
}

/// Writes the statement as `csv` or a printable `pdf` to `path` (from the save dialog).
#[tauri::command(async)]
#[specta::specta]
pub fn export_statement(
    state: State<'_, AppState>,
    statement_id: Int,
    format: String,
    path: String,
) -> Result<Written, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let format = match format.as_str() {
        "csv" => ExportFormat::Csv,
        "pdf" => ExportFormat::Pdf,
        other => {
            return Err(keel::KeelError::invalid("format", format!("'{other}' is not csv or pdf")).into())
        }
    };
    let bytes = payouts::export(&ws, actor, StatementId(statement_id.0), format)?;
    std::fs::write(&path, &bytes)
        .map_err(|source| keel::KeelError::Io { context: format!("writing {path}"), source })?;
    Ok(Written { path, amount: (bytes.len() as u64).into() })
}
