//! The board as it stood at the end of a past day: which deals were open, in which
//! stage, for what amount and close date, and whose; converted at the rates in force that
//! day, with the same rounding and the same filters as today's board.

use super::tally::Tally;
use super::{Board, BoardQuery};
use crate::money::{Currency, FxRate};
use crate::services::{fx, pipeline, Workspace};
use crate::store::as_of;
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::NaiveDate;
use std::collections::HashMap;

pub fn board_as_of(ws: &Workspace, query: &BoardQuery, day: NaiveDate) -> Result<Board> {
    if day > ws.today() {
        return Err(KeelError::invalid(
            "as_of",
            format!("{day} has not ended yet: the board shows the past or today"),
        ));
    }
    let end = crate::store::instant_text(
        day.and_hms_milli_opt(23, 59, 59, 999)
            .ok_or_else(|| KeelError::invalid("as_of", "is not a day"))?
            .and_utc(),
    );
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let open_stages: Vec<_> = pipeline::stages(ws)?.into_iter().filter(|s| !s.is_closed).collect();
    let position: HashMap<i64, usize> = open_stages.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();
    let day_text = day.to_string();
    let mut total = Tally::default();
    let mut columns = vec![Tally::default(); open_stages.len()];
    let mut unconverted = 0u64;
    let mut currencies: HashMap<String, Option<(Currency, Option<FxRate>)>> = HashMap::new();
    for deal in as_of::deals_then(ws.conn(), &end)? {
        let Some(&at) = position.get(&deal.stage_id) else { continue }; // closed then
        if query.owner.is_some_and(|o| o.0 != deal.owner_id)
            || query.source.is_some_and(|s| s.as_str() != deal.source)
            || query.segment.is_some_and(|s| deal.segment.as_deref() != Some(s.as_str()))
        {
            continue;
        }
        let close =
            deal.expected_close_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let outside = |bound: Option<NaiveDate>, keep: fn(NaiveDate, NaiveDate) -> bool| {
            bound.is_some_and(|b| close.is_none_or(|c| !keep(c, b)))
        };
        if outside(query.close_from, |c, b| c >= b) || outside(query.close_to, |c, b| c <= b) {
            continue;
        }
        let converted = currencies
            .entry(deal.currency.clone())
            .or_insert_with(|| {
                Currency::parse("currency", &deal.currency).ok().map(|c| {
                    let rate = if c == reporting {
                        Some(FxRate::IDENTITY)
                    } else {
                        rates.on(&deal.currency, &day_text).map(|(_, r)| r)
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
    }
    super::board::finish(&open_stages, total, columns, reporting, unconverted)
}
