//! The pipeline board's column figures: open deals by stage, counted and summed in
//! the database over every matching deal, converted exactly as `keel metrics`
//! converts them, so the board's total is the report's pipeline figure.

use super::{fact_filter, Currencies, MetricsQuery};
use crate::money::Currency;
use crate::services::policy::{self, Principal};
use crate::services::{fx, pipeline, Workspace};
use crate::store::facts;
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

use super::tally::{apportion, Tally};

/// Which open deals the board shows. The close period bounds the expected close date.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    /// Only this member's deals (an id, as every filter of deals takes it).
    pub owner: Option<crate::domain::TeamMemberId>,
    pub segment: Option<crate::domain::Segment>,
    pub source: Option<crate::domain::DealSource>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardColumn {
    pub stage_id: i64,
    pub stage: String,
    pub probability_bp: i64,
    pub count: u64,
    /// Converted into the reporting currency (deals without a rate are left out).
    pub value_minor: i64,
    /// This column's share of the board's weighted total: Σ value × probability, floored,
    /// plus one minor unit for the columns with the largest remainders, so the columns
    /// add up to the total (which is rounded half-even once, as in `keel metrics`).
    pub weighted_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    pub currency: Currency,
    /// The open stages, in pipeline order.
    pub columns: Vec<BoardColumn>,
    pub open_count: u64,
    /// Equal to `keel metrics`' `pipeline_value_minor` for the same filters.
    pub pipeline_value_minor: i64,
    /// Equal to `keel metrics`' `weighted_pipeline_value_minor` (rounded once, over all).
    pub weighted_pipeline_value_minor: i64,
    /// Open deals counted but left out of the sums: their currency has no rate.
    pub unconverted_count: u64,
}

pub fn board(ws: &Workspace, who: Principal, query: &BoardQuery) -> Result<Board> {
    policy::reading(ws.conn(), who)?;
    if let (Some(from), Some(to)) = (query.close_from, query.close_to) {
        if to < from {
            return Err(KeelError::invalid("close_to", format!("must not be before close_from ({from})")));
        }
    }
    let filter = fact_filter(
        ws,
        &MetricsQuery {
            owner: query.owner,
            segment: query.segment,
            source: query.source,
            ..MetricsQuery::default()
        },
    )?;
    // Closed deals have closed_day > 0, so "closed since the end of time" keeps the open ones.
    let filter = facts::FactFilter { closed_since: Some(i32::MAX), ..filter };
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let open_stages: Vec<_> = pipeline::stages(ws)?.into_iter().filter(|s| !s.is_closed).collect();
    let position: HashMap<i64, usize> = open_stages.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();
    let from_day = query.close_from.map_or(i32::MIN, |d| d.num_days_from_ce());
    let to_day = query.close_to.map_or(i32::MAX, |d| d.num_days_from_ce());

    let mut currencies = Currencies { reporting, rates: &rates, open_on: None, seen: Vec::new() };
    let mut total = Tally::default();
    let mut columns = vec![Tally::default(); open_stages.len()];
    let mut unconverted = 0u64;
    let mut stray = None;
    facts::scan(ws.conn(), &facts::scan_sql(&filter), |fact| {
        if fact.closed_day != 0 || fact.expected_close_day < from_day || fact.expected_close_day > to_day {
            return;
        }
        let Some(&at) = position.get(&fact.stage_id) else {
            stray.get_or_insert(fact.deal_id);
            return;
        };
        let value = currencies.open_value(fact);
        if value.is_none() && fact.amount_minor.is_some() {
            unconverted += 1; // a deal whose amount is not known is not "unconverted"
        }
        let probability =
            fact.probability_override_bp.unwrap_or(i64::from(open_stages[at].default_probability.0));
        total.add_open(value, probability);
        columns[at].add_open(value, probability);
    })?;
    if let Some(deal) = stray {
        return Err(KeelError::Schema(format!("deal {deal} is in a stage outside the default pipeline")));
    }
    finish(&open_stages, total, columns, reporting, unconverted)
}

/// The board from each open stage's tally and the total's (today's or a past day's).
pub(super) fn finish(
    open_stages: &[crate::store::stages::Stage],
    total: Tally,
    columns: Vec<Tally>,
    reporting: crate::money::Currency,
    unconverted: u64,
) -> Result<Board> {
    let total = total.figures()?;
    // The total weighted value is rounded once, as in `keel metrics`; the columns share
    // it out by largest remainder, so the columns shown add up to the total shown.
    let exact: Vec<i128> = columns.iter().map(Tally::weighted_exact).collect();
    let weighted = apportion(&exact, 10_000, i128::from(total.weighted_pipeline_value_minor));
    let columns = open_stages
        .iter()
        .zip(columns)
        .zip(weighted)
        .map(|((stage, tally), weighted)| {
            let figures = tally.figures()?;
            Ok(BoardColumn {
                stage_id: stage.id.0,
                stage: stage.name.clone(),
                probability_bp: i64::from(stage.default_probability.0),
                count: figures.open_count,
                value_minor: figures.pipeline_value_minor,
                weighted_minor: i64::try_from(weighted)
                    .map_err(|_| KeelError::invalid("weighted_minor", "is too large for one column"))?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Board {
        currency: reporting,
        columns,
        open_count: total.open_count,
        pipeline_value_minor: total.pipeline_value_minor,
        weighted_pipeline_value_minor: total.weighted_pipeline_value_minor,
        unconverted_count: unconverted,
    })
}
