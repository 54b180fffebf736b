//! What changed in the pipeline between two days, for the deals expected to close in a
//! period: the waterfall from the pipeline as it stood at the end of the first day to the
//! pipeline at the end of the second. Every deal counts under exactly one movement, and
//! its movement is its value at the end less its value at the start, so the starting
//! pipeline plus the movements is the ending pipeline, to the cent. Each end is valued as
//! `keel board --as-of` values it (that day's rates), so an amount change includes a
//! change of exchange rate.

use super::forecast::Period;
use super::{Counted, Counter, MetricsQuery};
use crate::domain::TeamMemberId;
use crate::money::Currency;
use crate::services::policy::{self, Principal};
use crate::services::{fx, pipeline, Workspace};
use crate::store::as_of::{end_of_day, PastDays, Then};
use crate::store::facts::unpack_history;
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::{Datelike, NaiveDate};
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

/// Where a deal stood at one end of the waterfall.
#[derive(Clone, Copy)]
enum Standing {
    /// Not created yet.
    Absent,
    Open {
        /// Expected to close in the period.
        in_period: bool,
        /// The owner asked for (everyone's when none was).
        mine: bool,
        /// Converted at that day's rates (None: no rate, or no amount).
        value: Option<i128>,
    },
    Won,
    Lost,
}

impl Standing {
    fn of(then: Option<&Then<'_>>, counter: &mut Counter<'_>, owner: Option<TeamMemberId>) -> Standing {
        let Some(fact) = then.map(|t| &t.fact) else { return Standing::Absent };
        match counter.count(fact) {
            Some(Counted::Open { value, month_day, .. }) => Standing::Open {
                in_period: month_day.is_some(),
                mine: owner.is_none_or(|o| o.0 == fact.owner_id),
                value,
            },
            Some(Counted::Won { .. }) => Standing::Won,
            // A stage outside the pipeline counts as leaving it.
            Some(Counted::Lost { .. }) | None => Standing::Lost,
        }
    }

    /// Its value in the waterfall, when it counts at this end.
    fn counted(self) -> Option<i128> {
        match self {
            Standing::Open { in_period: true, mine: true, value } => Some(value.unwrap_or(0)),
            _ => None,
        }
    }
}

/// Why a deal counted at only one end (or at both) moved.
fn movement(then: Standing, now: Standing) -> Option<Movement> {
    Some(match (then.counted(), now.counted()) {
        (Some(_), Some(_)) => Movement::AmountChanged,
        (None, Some(_)) => match then {
            Standing::Open { mine: false, .. } => Movement::Reassigned,
            Standing::Open { in_period: false, .. } => Movement::PulledIn,
            _ => Movement::New,
        },
        (Some(_), None) => match now {
            Standing::Won => Movement::Won,
            Standing::Lost => Movement::Lost,
            Standing::Open { mine: false, .. } => Movement::Reassigned,
            _ => Movement::PushedOut,
        },
        (None, None) => return None,
    })
}

/// The waterfall between the ends of `from` and `to`, for deals expected to close in
/// `period`, of one owner or everyone: one pass over the deals, both ends at once.
pub fn pipeline_changes(
    ws: &Workspace,
    who: Principal,
    from: NaiveDate,
    to: NaiveDate,
    period: &str,
    owner: Option<TeamMemberId>,
) -> Result<PipelineChanges> {
    policy::reading(ws.conn(), who)?;
    let period = Period::parse("period", period)?;
    if to < from {
        return Err(KeelError::invalid("to", format!("must not be before from ({from})")));
    }
    super::as_of::check_past(ws, "to", to)?;
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(ws.conn(), reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let query = MetricsQuery { from: Some(period.from), to: Some(period.to), ..MetricsQuery::default() };
    let mut at_start = Counter::new(&stages, reporting, &rates, &query).valuing_open_on(from);
    let mut at_end = Counter::new(&stages, reporting, &rates, &query).valuing_open_on(to);
    // A move to a lost stage is neither forward nor backward: it leaves the pipeline.
    let position: HashMap<u16, u32> =
        stages.iter().filter(|s| !s.is_closed || s.is_won).map(|s| (s.id.0 as u16, s.position)).collect();
    let from_day = from.num_days_from_ce();
    let (mut moved_forward, mut moved_backward) = (0u64, 0u64);
    let mut deals = Vec::new();
    let (mut start_total, mut end_total) = (0i128, 0i128);
    let mut too_large = None;
    PastDays::new([from, to], &stages, &rates, reporting.code()).scan(ws.conn(), |[then, now]| {
        if let Some(now) = now.as_ref().filter(|n| owner.is_none_or(|o| o.0 == n.fact.owner_id)) {
            // Each entry after the first is a move from the entry before it.
            let mut previous = None;
            for entry in unpack_history(now.fact.history) {
                if let Some(before) = previous.filter(|_| entry.day > from_day) {
                    match (position.get(&before), position.get(&entry.stage_id)) {
                        (Some(a), Some(b)) if b > a => moved_forward += 1,
                        (Some(a), Some(b)) if b < a => moved_backward += 1,
                        _ => {}
                    }
                }
                previous = Some(entry.stage_id);
            }
        }
        let was = Standing::of(then.as_ref(), &mut at_start, owner);
        let is = Standing::of(now.as_ref(), &mut at_end, owner);
        let Some(movement) = movement(was, is) else { return };
        let (start, end) = (was.counted().unwrap_or(0), is.counted().unwrap_or(0));
        start_total += start;
        end_total += end;
        if movement == Movement::AmountChanged && start == end {
            return;
        }
        let deal_id = then.as_ref().or(now.as_ref()).map_or(0, |t| t.fact.deal_id);
        match (i64::try_from(start), i64::try_from(end), i64::try_from(end - start)) {
            (Ok(start_minor), Ok(end_minor), Ok(change_minor)) => {
                deals.push(MovedDeal { deal_id, movement, start_minor, end_minor, change_minor })
            }
            _ => {
                too_large.get_or_insert(deal_id);
            }
        }
    })?;
    if let Some(deal) = too_large {
        return Err(KeelError::invalid("amount", format!("deal {deal} is too large to report")));
    }
    let to_minor =
        |v: i128| i64::try_from(v).map_err(|_| KeelError::invalid("amount", "is too large to report"));
    let mut by_movement: BTreeMap<Movement, i64> = BTreeMap::new();
    for deal in &deals {
        *by_movement.entry(deal.movement).or_default() += deal.change_minor;
    }
    let slipped = slipped_more_than_once(ws, &end_of_day(from), &end_of_day(to))?;
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
