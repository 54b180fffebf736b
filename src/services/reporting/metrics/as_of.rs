//! The board as it stood at the end of a past day: which deals were open, in which
//! stage, for what amount and close date, and whose; converted at the rates in force that
//! day, with the same rounding and the same filters as today's board.

use super::tally::Tally;
use super::{Board, BoardQuery};
use crate::domain::{DealSource, Segment};
use crate::money::{Currency, FxRate};
use crate::services::{fx, pipeline, Workspace};
use crate::store::as_of::PastDays;
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::{Datelike, NaiveDate};
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

pub fn board_as_of(ws: &Workspace, query: &BoardQuery, day: NaiveDate) -> Result<Board> {
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
    })?;
    super::board::finish(&open_stages, total, columns, reporting, unconverted)
}
