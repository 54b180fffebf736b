//! The pipeline board and the deal table: column figures from the core's board
//! query (never summed from loaded cards), pages of cards, and moves.

use super::{date, given, me};
use crate::dto::{mark_waiting, DealCard, Int, MoneyDto, Page};
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::DealId;
use keel::services::deals::{self, DealQuery};
use keel::services::metrics::{self, BoardQuery};
use keel::services::moves::MoveInput;
use keel::services::{pipeline, Workspace};
use keel::store::deals::{DealSort, DealStatus};
use keel_api::filters::resolve;
pub use keel_api::filters::DealFilter;
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BoardColumn {
    pub stage_id: Int,
    pub stage: String,
    pub probability_bp: Int,
    pub count: Int,
    pub value: MoneyDto,
    pub weighted: MoneyDto,
    /// The column's first cards in expected-close order (as many as asked for), so
    /// the board draws in one round trip; later windows come from `board_cards`.
    pub cards: Vec<DealCard>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BoardDto {
    pub columns: Vec<BoardColumn>,
    pub open_count: Int,
    /// Equal to `keel metrics`' pipeline_value_minor for the same filters.
    pub pipeline_value: MoneyDto,
    pub weighted_pipeline_value: MoneyDto,
    pub unconverted_count: Int,
}

/// The board's figures and, when `first_cards` is set, each column's first cards
/// (listed with `cards_query`, the same filter as the figures).
pub(crate) fn board_of(
    ws: &Workspace,
    query: &BoardQuery,
    first_cards: Option<(&DealQuery, u32)>,
) -> Result<BoardDto, ApiError> {
    let who = me(ws)?;
    let board = metrics::board(ws, who, query)?;
    let now = ws.now();
    dto_of(&board, |col| match first_cards {
        Some((cards_query, limit)) if limit > 0 && col.count > 0 => {
            let query = DealQuery {
                stage: Some(col.stage.clone()),
                status: DealStatus::Open,
                limit: Some(limit),
                ..cards_query.clone()
            };
            let mut cards: Vec<DealCard> =
                deals::list(ws, who, &query)?.iter().map(|d| DealCard::of(d, now)).collect();
            mark_waiting(ws, &mut cards)?;
            Ok(cards)
        }
        _ => Ok(Vec::new()),
    })
}

/// The end of a past day, for what a card counts as "days in stage" then.
fn end_of(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_hms_milli_opt(23, 59, 59, 999).unwrap_or_default().and_utc()
}

/// The board as it stood at the end of `day`, with each column's first cards as they stood.
fn board_then(
    ws: &Workspace,
    query: &BoardQuery,
    day: chrono::NaiveDate,
    limit: u32,
) -> Result<BoardDto, ApiError> {
    let then = metrics::board_as_of_with_cards(ws, me(ws)?, query, day, None, 0, limit as usize)?;
    let mut cards = then.cards.into_iter();
    dto_of(&then.board, |_| {
        Ok(cards.next().unwrap_or_default().iter().map(|d| DealCard::of(d, end_of(day))).collect())
    })
}

fn dto_of(
    board: &metrics::Board,
    mut cards_of: impl FnMut(&metrics::BoardColumn) -> Result<Vec<DealCard>, ApiError>,
) -> Result<BoardDto, ApiError> {
    let c = board.currency;
    let mut columns = Vec::with_capacity(board.columns.len());
    for col in &board.columns {
        let cards = cards_of(col)?;
        columns.push(BoardColumn {
            stage_id: col.stage_id.into(),
            stage: col.stage.clone(),
            probability_bp: col.probability_bp.into(),
            count: col.count.into(),
            value: MoneyDto::of(col.value_minor, c),
            weighted: MoneyDto::of(col.weighted_minor, c),
            cards,
        });
    }
    Ok(BoardDto {
        columns,
        open_count: board.open_count.into(),
        pipeline_value: MoneyDto::of(board.pipeline_value_minor, c),
        weighted_pipeline_value: MoneyDto::of(board.weighted_pipeline_value_minor, c),
        unconverted_count: board.unconverted_count.into(),
    })
}

/// Column figures for the board: count, value and weighted value of every open deal
/// matching the filter, computed in the database; with each column's first
/// `cards_per_column` cards.
#[tauri::command(async)]
#[specta::specta]
pub fn board(
    state: State<'_, AppState>,
    filter: DealFilter,
    cards_per_column: u32,
    as_of: Option<String>,
) -> Result<BoardDto, ApiError> {
    let ws = state.open()?;
    let resolved = resolve(&ws, filter)?;
    if let Some(day) = date("as_of", as_of)? {
        return board_then(&ws, &resolved.board_query(), day, cards_per_column);
    }
    let cards_query = DealQuery { search: None, ..resolved.deal_query()? };
    board_of(&ws, &resolved.board_query(), Some((&cards_query, cards_per_column)))
}

/// One window of a column's cards, in expected-close order.
#[tauri::command(async)]
#[specta::specta]
pub fn board_cards(
    state: State<'_, AppState>,
    filter: DealFilter,
    stage_id: Int,
    offset: u32,
    limit: u32,
    as_of: Option<String>,
) -> Result<Vec<DealCard>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let stage = pipeline::stages(&ws)?
        .into_iter()
        .find(|s| s.id.0 == stage_id.0)
        .ok_or_else(|| keel::KeelError::not_found("stage", stage_id.0))?;
    let resolved = resolve(&ws, filter)?;
    if let Some(day) = date("as_of", as_of)? {
        let then = metrics::board_as_of_with_cards(
            &ws,
            actor,
            &resolved.board_query(),
            day,
            Some(stage.id),
            offset as usize,
            limit as usize,
        )?;
        let cards = then.cards.into_iter().flatten();
        return Ok(cards.map(|d| DealCard::of(&d, end_of(day))).collect());
    }
    let mut query = resolved.deal_query()?;
    query.search = None;
    let query = DealQuery {
        stage: Some(stage.name),
        status: DealStatus::Open,
        offset: Some(offset),
        limit: Some(limit),
        ..query
    };
    let now = ws.now();
    let mut cards: Vec<DealCard> =
        deals::list(&ws, actor, &query)?.iter().map(|d| DealCard::of(d, now)).collect();
    mark_waiting(&ws, &mut cards)?;
    Ok(cards)
}

/// A window of the deal table: any status, any sort, with the total on the first page.
#[tauri::command(async)]
#[specta::specta]
pub fn deal_table(
    state: State<'_, AppState>,
    filter: DealFilter,
    status: String,
    sort: String,
    descending: bool,
    offset: u32,
    limit: u32,
) -> Result<Page<DealCard>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let status = DealStatus::parse(&status)?;
    let query = DealQuery {
        status,
        sort: DealSort::parse(&sort)?,
        descending,
        offset: Some(offset),
        limit: Some(limit),
        ..resolve(&ws, filter)?.deal_query()?
    };
    let now = ws.now();
    let mut rows: Vec<DealCard> =
        deals::list(&ws, actor, &query)?.iter().map(|d| DealCard::of(d, now)).collect();
    mark_waiting(&ws, &mut rows)?;
    Ok(Page { total: deals::count(&ws, actor, &query)?.into(), offset: offset.into(), rows })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MoveResult {
    pub deal: DealCard,
    /// Criteria that were missing and overridden (empty for a clean move).
    pub overridden: Vec<String>,
}

/// Moves a deal. A refusal comes back as `criteria_unmet` with the missing items in
/// `details`, for the board to show beside the card.
#[tauri::command(async)]
#[specta::specta]
pub fn move_deal(
    state: State<'_, AppState>,
    deal_id: Int,
    stage: String,
    override_reason: Option<String>,
    loss_reason: Option<String>,
) -> Result<MoveResult, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = MoveInput { stage, override_reason: given(override_reason), loss_reason: given(loss_reason) };
    let applied = crate::team::submit(&mut ws, actor, Change::DealMove { deal: DealId(deal_id.0), form })?;
    let deal = deals::get(&ws, actor, DealId(deal_id.0))?;
    let mut card = [DealCard::of(&deal, ws.now())];
    mark_waiting(&ws, &mut card)?;
    let [deal] = card;
    Ok(MoveResult { deal, overridden: applied.overridden })
}
