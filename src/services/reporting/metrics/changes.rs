//! What changed in the pipeline between two days, for the deals expected to close in a
//! period: the waterfall from the pipeline as it stood at the end of the first day to the
//! pipeline at the end of the second. Every deal counts under exactly one movement, and
//! its movement is its value at the end less its value at the start, so the starting
//! pipeline plus the movements is the ending pipeline, to the cent. Each end is valued as
//! `keel board --as-of` values it (that day's rates), so an amount change includes a
//! change of exchange rate.

use super::forecast::Period;
use crate::domain::TeamMemberId;
use crate::money::{Currency, FxRate};
use crate::services::{fx, pipeline, Workspace};
use crate::store::as_of::{self, DealThen};
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Why a deal's value moved between the two days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Created (or reopened) since, closing in the period.
    New,
    /// Its close date moved into the period.
    PulledIn,
    /// Its close date moved out of the period.
    PushedOut,
    /// Still in the period: its amount (or the rate it converts at) changed.
    AmountChanged,
    /// Handed to or taken from the owner asked for.
    Reassigned,
    Won,
    Lost,
}

#[derive(Debug, Clone, Serialize)]
pub struct MovedDeal {
    pub deal_id: i64,
    pub movement: Movement,
    pub start_minor: i64,
    pub end_minor: i64,
    /// end − start: what the deal adds to the waterfall.
    pub change_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineChanges {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub period: Period,
    pub currency: Currency,
    pub start_minor: i64,
    pub end_minor: i64,
    /// Each movement's total (negative for what left), in the waterfall's order.
    pub movements: Vec<(Movement, i64)>,
    pub deals: Vec<MovedDeal>,
    /// Stage moves between the two days, forward and backward.
    pub moved_forward: u64,
    pub moved_backward: u64,
    /// Deals whose close date moved later more than once between the two days.
    pub slipped_more_than_once: Vec<i64>,
}

struct Valuer<'a> {
    reporting: Currency,
    rates: &'a RateTable,
    day: String,
}

impl Valuer<'_> {
    fn value(&self, deal: &DealThen) -> Option<i128> {
        let currency = Currency::parse("currency", &deal.currency).ok()?;
        let rate = if currency == self.reporting {
            FxRate::IDENTITY
        } else {
            self.rates.on(&deal.currency, &self.day)?.1
        };
        Some(rate.convert(deal.amount_minor?, currency, self.reporting))
    }
}

fn end_of(day: NaiveDate) -> Result<String> {
    Ok(crate::store::instant_text(
        day.and_hms_milli_opt(23, 59, 59, 999)
            .ok_or_else(|| KeelError::invalid("to", "is not a day"))?
            .and_utc(),
    ))
}

/// The waterfall between the ends of `from` and `to`, for deals expected to close in
/// `period`, of one owner or everyone.
pub fn pipeline_changes(
    ws: &Workspace,
    from: NaiveDate,
    to: NaiveDate,
    period: &str,
    owner: Option<TeamMemberId>,
) -> Result<PipelineChanges> {
    let period = Period::parse("period", period)?;
    if to < from {
        return Err(KeelError::invalid("to", format!("must not be before from ({from})")));
    }
    if to > ws.today() {
        return Err(KeelError::invalid("to", format!("{to} has not ended yet")));
    }
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let stage = |id: i64| stages.iter().find(|s| s.id.0 == id);
    let (start_end, end_end) = (end_of(from)?, end_of(to)?);
    let at_start: HashMap<i64, DealThen> =
        as_of::deals_then(ws.conn(), &start_end)?.into_iter().map(|d| (d.deal_id, d)).collect();
    let at_end: HashMap<i64, DealThen> =
        as_of::deals_then(ws.conn(), &end_end)?.into_iter().map(|d| (d.deal_id, d)).collect();
    let in_period = |d: &DealThen| {
        d.expected_close_date
            .as_deref()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .is_some_and(|c| c >= period.from && c <= period.to)
    };
    let open = |d: &DealThen| stage(d.stage_id).is_some_and(|s| !s.is_closed);
    let mine = |d: &DealThen| owner.is_none_or(|o| o.0 == d.owner_id);
    let counted = |d: &DealThen| open(d) && in_period(d) && mine(d);
    let start_valuer = Valuer { reporting, rates: &rates, day: from.to_string() };
    let end_valuer = Valuer { reporting, rates: &rates, day: to.to_string() };

    let mut ids: Vec<i64> = at_start.keys().chain(at_end.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut deals = Vec::new();
    let (mut start_total, mut end_total) = (0i128, 0i128);
    for id in ids {
        let (then, now) = (at_start.get(&id), at_end.get(&id));
        let was = then.filter(|d| counted(d));
        let is = now.filter(|d| counted(d));
        if was.is_none() && is.is_none() {
            continue;
        }
        let start = was.and_then(|d| start_valuer.value(d)).unwrap_or(0);
        let end = is.and_then(|d| end_valuer.value(d)).unwrap_or(0);
        start_total += start;
        end_total += end;
        let movement = match (was, is, now) {
            (Some(_), Some(_), _) => Movement::AmountChanged,
            (None, Some(_), _) => match then {
                Some(t) if open(t) && !mine(t) => Movement::Reassigned,
                Some(t) if open(t) && !in_period(t) => Movement::PulledIn,
                _ => Movement::New,
            },
            (Some(_), None, Some(n)) if !open(n) => {
                if stage(n.stage_id).is_some_and(|s| s.is_won) {
                    Movement::Won
                } else {
                    Movement::Lost
                }
            }
            (Some(_), None, Some(n)) if !mine(n) => Movement::Reassigned,
            (Some(_), None, _) => Movement::PushedOut,
            (None, None, _) => unreachable!("skipped above"),
        };
        if movement == Movement::AmountChanged && start == end {
            continue;
        }
        let minor =
            |v: i128| i64::try_from(v).map_err(|_| KeelError::invalid("amount", "is too large to report"));
        deals.push(MovedDeal {
            deal_id: id,
            movement,
            start_minor: minor(start)?,
            end_minor: minor(end)?,
            change_minor: minor(end - start)?,
        });
    }
    let mut by_movement: BTreeMap<Movement, i64> = BTreeMap::new();
    for deal in &deals {
        *by_movement.entry(deal.movement).or_default() += deal.change_minor;
    }
    let (moved_forward, moved_backward) = stage_moves(ws, &start_end, &end_end, &stages, owner)?;
    let slipped = slipped_more_than_once(ws, &start_end, &end_end)?;
    let to_minor =
        |v: i128| i64::try_from(v).map_err(|_| KeelError::invalid("amount", "is too large to report"));
    Ok(PipelineChanges {
        from,
        to,
        period,
        currency: reporting,
        start_minor: to_minor(start_total)?,
        end_minor: to_minor(end_total)?,
        movements: by_movement.into_iter().collect(),
        deals,
        moved_forward,
        moved_backward,
        slipped_more_than_once: slipped,
    })
}

fn stage_moves(
    ws: &Workspace,
    after: &str,
    until: &str,
    stages: &[crate::store::stages::Stage],
    owner: Option<TeamMemberId>,
) -> Result<(u64, u64)> {
    // A move to a lost stage is neither forward nor backward: it leaves the pipeline.
    let position: HashMap<i64, u32> =
        stages.iter().filter(|s| !s.is_closed || s.is_won).map(|s| (s.id.0, s.position)).collect();
    // Only with an owner does a move need its deal's row.
    let mut stmt = ws.conn().prepare(if owner.is_some() {
        "SELECT h.from_stage_id, h.to_stage_id FROM stage_history h JOIN deals d ON d.id = h.deal_id
         WHERE h.changed_at > ?1 AND h.changed_at <= ?2 AND h.from_stage_id IS NOT NULL AND d.owner_id = ?3"
    } else {
        "SELECT h.from_stage_id, h.to_stage_id FROM stage_history h
         WHERE h.changed_at > ?1 AND h.changed_at <= ?2 AND h.from_stage_id IS NOT NULL AND ?3 IS NULL"
    })?;
    let rows = stmt.query_map(rusqlite::params![after, until, owner], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    let (mut forward, mut backward) = (0, 0);
    for row in rows {
        let (from, to) = row?;
        match (position.get(&from), position.get(&to)) {
            (Some(a), Some(b)) if b > a => forward += 1,
            (Some(a), Some(b)) if b < a => backward += 1,
            _ => {}
        }
    }
    Ok((forward, backward))
}

fn slipped_more_than_once(ws: &Workspace, after: &str, until: &str) -> Result<Vec<i64>> {
    let mut stmt = ws.conn().prepare(
        "SELECT deal_id FROM deal_changes
         WHERE field = 'expected_close_date' AND changed_at > ?1 AND changed_at <= ?2
           AND old_value IS NOT NULL AND new_value > old_value
         GROUP BY deal_id HAVING count(*) > 1 ORDER BY deal_id",
    )?;
    let rows = stmt.query_map([after, until], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
