//! The board as it stood at the end of a past day: which deals were open, in which
//! stage, for what amount and close date, and whose; converted at the rates in force that
//! day, with the same rounding and the same filters as today's board.

use super::tally::Tally;
use super::{Board, BoardQuery};
use crate::domain::{DealId, StageId, TeamMemberId};
use crate::domain::{DealSource, Segment};
use crate::money::{BasisPoints, Currency, FxRate, Money};
use crate::services::policy::{self, Principal};
use crate::services::{deals, fx, pipeline, team, Workspace};
use crate::store::as_of::PastDays;
use crate::store::deals::Deal;
use crate::store::fx::RateTable;
use crate::store::stages::Stage;
use crate::{KeelError, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::HashMap;

/// Refuses a day that has not ended yet: the past cannot be read from the future.
pub(super) fn check_past(ws: &Workspace, field: &str, day: NaiveDate) -> Result<()> {
    if day > ws.today() {
        return Err(KeelError::invalid(
            field,
            format!("{day} has not ended yet: choose today or an earlier day"),
        ));
    }
    Ok(())
}

pub fn board_as_of(ws: &Workspace, who: Principal, query: &BoardQuery, day: NaiveDate) -> Result<Board> {
    policy::reading(ws.conn(), who)?;
    Ok(scan_board(ws, query, day, false)?.0)
}

/// A past day's board and its cards: each open stage's deals as they stood then (stage,
/// owner, amount, currency, close date, days in the stage), in the board's card order
/// (expected close date, then id).
pub struct BoardThen {
    pub board: Board,
    /// By column, in the board's column order; `limit` deals from `offset` of each column.
    pub cards: Vec<Vec<Deal>>,
}

/// The board as of `day` with a window of each column's cards (or of one column's).
pub fn board_as_of_with_cards(
    ws: &Workspace,
    who: Principal,
    query: &BoardQuery,
    day: NaiveDate,
    stage: Option<StageId>,
    offset: usize,
    limit: usize,
) -> Result<BoardThen> {
    policy::reading(ws.conn(), who)?;
    let (board, columns) = scan_board(ws, query, day, true)?;
    let stages = pipeline::stages(ws)?;
    let end = day.and_hms_milli_opt(23, 59, 59, 999).map_or_else(|| ws.now(), |t| t.and_utc());
    let mut cards = Vec::with_capacity(columns.len());
    for (column, mut then) in board.columns.iter().zip(columns) {
        if stage.is_some_and(|s| s.0 != column.stage_id) {
            cards.push(Vec::new());
            continue;
        }
        // Today's card order: no close date first (as SQLite sorts NULL), then by date and id.
        then.sort_by_key(|c| (c.expected_close_day, c.deal_id));
        let mut window = Vec::new();
        for card in then.into_iter().skip(offset).take(limit) {
            window.push(card.as_deal(ws, who, &stages, end)?);
        }
        cards.push(window);
    }
    Ok(BoardThen { board, cards })
}

/// What a card needs of a deal as it stood.
struct CardThen {
    deal_id: i64,
    stage_id: i64,
    owner_id: i64,
    amount_minor: Option<i64>,
    currency: String,
    /// 0 when not known (sorts first, as a NULL date does today).
    expected_close_day: i32,
    probability_override_bp: Option<i64>,
    /// The day it entered its stage then.
    entered_day: i32,
}

impl CardThen {
    /// The deal as it stands, with what it was then in place of what it is now.
    fn as_deal(&self, ws: &Workspace, who: Principal, stages: &[Stage], end: DateTime<Utc>) -> Result<Deal> {
        let mut deal = deals::get(ws, who, DealId(self.deal_id))?;
        let stage = stages
            .iter()
            .find(|s| s.id.0 == self.stage_id)
            .ok_or_else(|| KeelError::not_found("stage", self.stage_id))?;
        if deal.owner_id.0 != self.owner_id {
            deal.owner_id = TeamMemberId(self.owner_id);
            deal.owner_name = team::get(ws, deal.owner_id)?.name;
        }
        deal.stage_id = stage.id;
        deal.stage_name = stage.name.clone();
        deal.is_closed = false;
        deal.is_won = false;
        deal.closed_on = None;
        deal.loss_reason = None;
        deal.currency = Currency::parse("currency", &self.currency).unwrap_or(deal.currency);
        deal.amount = self.amount_minor.map(|amount_minor| Money { amount_minor, currency: deal.currency });
        deal.expected_close_date = crate::store::facts::day_date(self.expected_close_day);
        deal.probability_override =
            self.probability_override_bp.and_then(|p| u32::try_from(p).ok()).map(BasisPoints);
        deal.probability = deal.probability_override.unwrap_or(stage.default_probability);
        deal.stage_entered_at = crate::store::facts::day_date(self.entered_day)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(end, |d| d.and_utc());
        // Whether it had gone quiet then is not kept; the board of a past day does not say.
        deal.stalled = false;
        Ok(deal)
    }
}

fn scan_board(
    ws: &Workspace,
    query: &BoardQuery,
    day: NaiveDate,
    keep_cards: bool,
) -> Result<(Board, Vec<Vec<CardThen>>)> {
    check_past(ws, "as_of", day)?;
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let open_stages: Vec<_> = stages.iter().filter(|s| !s.is_closed).cloned().collect();
    let position: HashMap<i64, usize> = open_stages.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();
    let day_text = day.to_string();
    let source = query.source.and_then(|s| DealSource::ALL.iter().position(|v| *v == s));
    let segment = query.segment.and_then(|s| Segment::ALL.iter().position(|v| *v == s));
    let close_from = query.close_from.map(|d| d.num_days_from_ce());
    let close_to = query.close_to.map(|d| d.num_days_from_ce());
    let mut total = Tally::default();
    let mut columns = vec![Tally::default(); open_stages.len()];
    let mut unconverted = 0u64;
    let mut currencies: HashMap<String, Option<(Currency, Option<FxRate>)>> = HashMap::new();
    let mut cards: Vec<Vec<CardThen>> = (0..open_stages.len()).map(|_| Vec::new()).collect();
    PastDays::new([day], &stages, &rates, reporting.code()).scan(ws.conn(), |[then]| {
        let Some(deal) = then.as_ref().map(|t| &t.fact) else { return };
        let Some(&at) = position.get(&deal.stage_id) else { return }; // closed then
                                                                      // A close date not known is outside any bound.
        let close = (deal.expected_close_day > 0).then_some(deal.expected_close_day);
        if query.owner.is_some_and(|o| o.0 != deal.owner_id)
            || source.is_some_and(|s| s != deal.source)
            || (query.segment.is_some() && segment != Some(deal.segment))
            || close_from.is_some_and(|b| close.is_none_or(|c| c < b))
            || close_to.is_some_and(|b| close.is_none_or(|c| c > b))
        {
            return;
        }
        let converted = currencies
            .entry(deal.currency.to_string())
            .or_insert_with(|| {
                Currency::parse("currency", deal.currency).ok().map(|c| {
                    let rate = if c == reporting {
                        Some(FxRate::IDENTITY)
                    } else {
                        rates.on(deal.currency, &day_text).map(|(_, r)| r)
                    };
                    (c, rate)
                })
            })
            .and_then(|(c, rate)| Some(rate?.convert(deal.amount_minor?, c, reporting)));
        if converted.is_none() && deal.amount_minor.is_some() {
            unconverted += 1;
        }
        let probability =
            deal.probability_override_bp.unwrap_or(i64::from(open_stages[at].default_probability.0));
        total.add_open(converted, probability);
        columns[at].add_open(converted, probability);
        if keep_cards {
            cards[at].push(CardThen {
                deal_id: deal.deal_id,
                stage_id: deal.stage_id,
                owner_id: deal.owner_id,
                amount_minor: deal.amount_minor,
                currency: deal.currency.to_string(),
                expected_close_day: deal.expected_close_day,
                probability_override_bp: deal.probability_override_bp,
                entered_day: crate::store::facts::unpack_history(deal.history).last().map_or(0, |e| e.day),
            });
        }
    })?;
    Ok((super::board::finish(&open_stages, total, columns, reporting, unconverted)?, cards))
}
