//! The deals behind a figure of `keel metrics`: the same scan and the same
//! [`Counted`] decision as the report, so the rows always add up to the figure.

use super::{fact_filter, funnel::Funnel, Counted, Counter, MetricsQuery};
use crate::money::Currency;
use crate::services::policy::{self, Principal};
use crate::services::{fx, pipeline, Workspace};
use crate::store::as_of::PastDays;
use crate::store::facts::{self, day_date, unpack_history, FactRef};
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A figure whose deals can be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    /// Won in the period (won count, won value, average deal size, cycle length).
    Won,
    /// Lost in the period.
    Lost,
    /// Open now (pipeline value, weighted pipeline).
    Open,
    /// Won in the period from an approved partner registration.
    PartnerSourced,
    /// Won in the period with source partner but no registration.
    PartnerInfluenced,
    /// First entered this stage (by name) in the period: a funnel row.
    Entered(String),
}

impl Figure {
    pub const NAMES: &'static [&'static str] =
        &["won", "lost", "open", "partner-sourced", "partner-influenced", "entered:<stage>"];

    pub fn parse(text: &str) -> Result<Figure> {
        Ok(match text.trim() {
            "won" => Figure::Won,
            "lost" => Figure::Lost,
            "open" => Figure::Open,
            "partner-sourced" => Figure::PartnerSourced,
            "partner-influenced" => Figure::PartnerInfluenced,
            other => match other.strip_prefix("entered:") {
                Some(stage) if !stage.trim().is_empty() => Figure::Entered(stage.trim().to_string()),
                _ => {
                    return Err(KeelError::invalid(
                        "figure",
                        format!("'{other}' is not one of {}", Figure::NAMES.join(", ")),
                    ))
                }
            },
        })
    }
}

/// One deal behind a figure and its value in the reporting currency (None: no rate,
/// or a funnel row, which counts deals rather than money).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrillRow {
    pub deal_id: i64,
    pub value_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drill {
    pub currency: Currency,
    /// Largest value first, then by deal id.
    pub rows: Vec<DrillRow>,
    /// Σ of the converted values: the figure's money, before any averaging.
    pub value_minor: i64,
}

/// The deals behind `figure` for `query`, optionally within one month (`YYYY-MM`:
/// closed deals by close month, open deals by expected close month, as `by_month`).
pub fn drill(
    ws: &Workspace,
    who: Principal,
    query: &MetricsQuery,
    figure: &Figure,
    month: Option<&str>,
) -> Result<Drill> {
    policy::reading(ws.conn(), who)?;
    drill_at(ws, query, figure, month, None)
}

/// The deals behind a figure of the report as of a past day (see `compute_as_of`),
/// each with what it added then.
pub fn drill_as_of(
    ws: &Workspace,
    who: Principal,
    query: &MetricsQuery,
    figure: &Figure,
    month: Option<&str>,
    day: NaiveDate,
) -> Result<Drill> {
    policy::reading(ws.conn(), who)?;
    super::as_of::check_past(ws, "as_of", day)?;
    drill_at(ws, query, figure, month, Some(day))
}

fn drill_at(
    ws: &Workspace,
    query: &MetricsQuery,
    figure: &Figure,
    month: Option<&str>,
    as_of: Option<NaiveDate>,
) -> Result<Drill> {
    // The same "YYYY-MM" as a payout period.
    let month = month
        .map(|m| crate::services::payouts::parse_period(m).map(|(_, last)| (last.year(), last.month())))
        .transpose()?;
    let filter = fact_filter(ws, query)?;
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let entered = match figure {
        Figure::Entered(name) => Some(
            stages
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| KeelError::not_found("stage", name))?,
        ),
        _ => None,
    };
    let mut counter = Counter::new(&stages, reporting, &rates, query);
    if let Some(day) = as_of {
        counter = counter.valuing_open_on(day);
    }
    let (from_day, to_day) = (counter.from_day, counter.to_day);
    let mut funnel = Funnel::new(&stages);
    let in_month = |day: Option<i32>| match (month, day.and_then(day_date)) {
        (None, _) => true,
        (Some(wanted), Some(date)) => (date.year(), date.month()) == wanted,
        (Some(_), None) => false,
    };
    let mut rows = Vec::new();
    let mut total: i128 = 0;
    let mut visit = |fact: &FactRef<'_>| {
        let Some(counted) = counter.count(fact) else { return };
        let value = match (&counted, figure) {
            (Counted::Open { value, month_day, .. }, Figure::Open) if in_month(*month_day) => Some(*value),
            (Counted::Won { won, in_period: true }, Figure::Won) if in_month(Some(fact.closed_day)) => {
                Some(won.value)
            }
            (Counted::Won { won, in_period: true }, Figure::PartnerSourced)
                if won.from_registration && in_month(Some(fact.closed_day)) =>
            {
                Some(won.value)
            }
            (Counted::Won { won, in_period: true }, Figure::PartnerInfluenced)
                if !won.from_registration && won.partner_source && in_month(Some(fact.closed_day)) =>
            {
                Some(won.value)
            }
            // Lost deals count, they add no money; their value (at the frozen rate) is shown.
            (Counted::Lost { in_period: true }, Figure::Lost) if in_month(Some(fact.closed_day)) => {
                Some(counter.currencies.closed_value(fact))
            }
            _ => None,
        };
        if let Some(stage) = entered {
            funnel.add(unpack_history(fact.history), from_day, to_day);
            if funnel.entered_last(stage, from_day, to_day) {
                rows.push((fact.deal_id, None));
            }
            return;
        }
        if let Some(value) = value {
            total += value.unwrap_or(0);
            rows.push((fact.deal_id, value));
        }
    };
    match as_of {
        None => facts::scan(ws.conn(), &facts::scan_sql(&filter), |fact| visit(fact))?,
        // The deals as they stood, read as the report of that day reads them.
        Some(day) => PastDays::new([day], &stages, &rates, reporting.code()).scan(ws.conn(), |[then]| {
            if let Some(fact) = then.as_ref().map(|t| &t.fact).filter(|f| filter.matches_dimensions(f)) {
                if fact.closed_day == 0 || filter.closed_since.is_none_or(|since| fact.closed_day >= since) {
                    visit(fact);
                }
            }
        })?,
    }
    let mut rows = rows
        .into_iter()
        .map(|(deal_id, value)| {
            let value_minor = value.map(i64::try_from).transpose().map_err(|_| {
                KeelError::invalid(
                    "value_minor",
                    "is beyond what Keel can report (more than 2^63 minor units)",
                )
            })?;
            Ok(DrillRow { deal_id, value_minor })
        })
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by(|a, b| b.value_minor.cmp(&a.value_minor).then(a.deal_id.cmp(&b.deal_id)));
    let value_minor = i64::try_from(total).map_err(|_| {
        KeelError::invalid("value_minor", "is beyond what Keel can report (more than 2^63 minor units)")
    })?;
    Ok(Drill { currency: reporting, rows, value_minor })
}
