//! Deals as they stood at the end of past days, from the append-only histories, in the
//! shape of the report projection's rows so every report counts them as it counts today's.
//!
//! The stage comes from the stage history packed in each `deal_facts` row (cut at the
//! day); amount, currency, close date, owner and forecast category from the change
//! history (a field changed after the day had the first such change's old value then;
//! one never changed since has its value now). So a past day costs one pass over the
//! projection plus the changes written since, and several days cost the same one pass.

use super::facts::{self, day_number, FactFilter, FactRef, ENTRY_BYTES};
use super::fx::RateTable;
use crate::store::stages::Stage;
use crate::Result;
use chrono::{Datelike, NaiveDate};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

const FIELDS: [&str; 5] = ["owner", "amount", "currency", "expected_close_date", "forecast_category"];
const OWNER: usize = 0;
const AMOUNT: usize = 1;
const CURRENCY: usize = 2;
const CLOSE_DATE: usize = 3;
const CATEGORY: usize = 4;

/// Each tracked field's value then, by position in [`FIELDS`]: None while unchanged since
/// (its value now holds), `Some(None)` when it had no value.
type FieldsThen = [Option<Option<String>>; 5];

/// One deal as it stood at the end of a day.
pub struct Then<'a> {
    /// As `keel metrics` reads a deal: the stage, closing day and frozen rate then, the
    /// stage history up to the day, and the tracked fields' values then. Fields that are
    /// not tracked (probability override, source, segment, type) are today's.
    pub fact: FactRef<'a>,
    /// The owner's forecast category override then (None: the stage's category); only
    /// read when asked for (see [`PastDays::with_categories`]).
    pub forecast_override: Option<&'a str>,
}

/// What reading past days needs: the days, and how to freeze a deal closed since.
pub struct PastDays<'r, const N: usize> {
    days: [NaiveDate; N],
    rates: &'r RateTable,
    reporting: &'r str,
    closed_stages: HashSet<i64>,
    categories: bool,
}

/// The instant that ends `day`, as stored: history written after it came later.
pub fn end_of_day(day: NaiveDate) -> String {
    crate::store::instant_text(day.and_hms_milli_opt(23, 59, 59, 999).unwrap_or_default().and_utc())
}

impl<'r, const N: usize> PastDays<'r, N> {
    /// `days` in any order; a closed deal moved since is valued at the rate `rates` has
    /// into `reporting` on the day it closed, as closing it froze it.
    pub fn new(days: [NaiveDate; N], stages: &[Stage], rates: &'r RateTable, reporting: &'r str) -> Self {
        PastDays {
            days,
            rates,
            reporting,
            closed_stages: stages.iter().filter(|s| s.is_closed).map(|s| s.id.0).collect(),
            categories: false,
        }
    }

    /// Also reads each deal's forecast category override then (a pass over the deals'
    /// own rows: only the forecast asks for it).
    pub fn with_categories(mut self) -> Self {
        self.categories = true;
        self
    }

    /// Hands `each` every deal as it stood at the end of each day (None: not created
    /// yet), in deal id order.
    pub fn scan(&self, conn: &Connection, mut each: impl FnMut(&[Option<Then<'_>>; N])) -> Result<()> {
        let ends: [String; N] = std::array::from_fn(|k| end_of_day(self.days[k]));
        let last_days: [i32; N] = std::array::from_fn(|k| self.days[k].num_days_from_ce());
        let fields_then = read_changes_after(conn, &ends)?;
        let overrides = if self.categories { read_overrides(conn)? } else { HashMap::new() };
        let everything = FactFilter { closed_since: None, owner_id: None, segment: None, source: None };
        facts::scan(conn, &facts::scan_sql(&everything), |now| {
            let thens: [Option<Then<'_>>; N] = std::array::from_fn(|k| {
                (now.created_day <= last_days[k])
                    .then(|| self.then(now, last_days[k], fields_then[k].get(&now.deal_id), &overrides))
            });
            each(&thens);
        })
    }

    fn then<'a>(
        &self,
        now: &FactRef<'a>,
        last_day: i32,
        fields: Option<&'a FieldsThen>,
        overrides: &'a HashMap<i64, String>,
    ) -> Then<'a> {
        let field = |i: usize| fields.and_then(|f| f[i].as_ref()).map(Option::as_deref);
        let currency = match field(CURRENCY) {
            Some(then) => then.unwrap_or(""),
            None => now.currency,
        };
        // The history is oldest first: the entries up to the day say where the deal stood.
        let kept = facts::unpack_history(now.history).take_while(|e| e.day <= last_day).count();
        let history = &now.history[..kept * ENTRY_BYTES];
        let moved_since = history.len() < now.history.len();
        let (stage_id, closed_day, closed_rate_e9) = if !moved_since {
            let rate = if field(CURRENCY).is_none() {
                now.closed_rate_e9
            } else {
                self.closed_rate(currency, now.closed_day)
            };
            (now.stage_id, now.closed_day, rate)
        } else {
            // Entered its stage then on the last entry's day (created in the first one's
            // stage when the whole history came later, as with a back-dated creation).
            let entry = facts::unpack_history(now.history).nth(kept.saturating_sub(1));
            let (stage, day) = entry.map_or((now.stage_id, 0), |e| (i64::from(e.stage_id), e.day));
            if kept > 0 && self.closed_stages.contains(&stage) {
                (stage, day, self.closed_rate(currency, day))
            } else {
                (stage, 0, None)
            }
        };
        Then {
            fact: FactRef {
                closed_day,
                stage_id,
                owner_id: match field(OWNER) {
                    Some(then) => then.and_then(|o| o.parse().ok()).unwrap_or(now.owner_id),
                    None => now.owner_id,
                },
                amount_minor: match field(AMOUNT) {
                    Some(then) => then.and_then(|a| a.parse().ok()),
                    None => now.amount_minor,
                },
                currency,
                expected_close_day: match field(CLOSE_DATE) {
                    Some(then) => then.and_then(day_number).unwrap_or(0),
                    None => now.expected_close_day,
                },
                closed_rate_e9,
                history,
                ..*now
            },
            forecast_override: match field(CATEGORY) {
                Some(then) => then,
                None => overrides.get(&now.deal_id).map(String::as_str),
            },
        }
    }

    fn closed_rate(&self, currency: &str, day: i32) -> Option<i64> {
        let day = facts::day_date(day)?.to_string();
        facts::rate_at_close(self.rates, self.reporting, currency, &day).map(|(rate, _)| rate)
    }
}

const CHANGES_AFTER: &str = "SELECT deal_id, field, old_value, changed_at FROM deal_changes
     WHERE changed_at > ?1 ORDER BY changed_at, id";

/// SQLite's plan for reading the changes after a day (the plan tests read it: it must
/// never visit the table's rows).
pub fn changes_plan(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {CHANGES_AFTER}"))?;
    let rows = stmt.query_map(["2026-01-01"], |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// For each end, the tracked fields changed after it with their values then: one read of
/// the changes written after the earliest end, in the order they were made.
fn read_changes_after<const N: usize>(
    conn: &Connection,
    ends: &[String; N],
) -> Result<[HashMap<i64, FieldsThen>; N]> {
    let mut then: [HashMap<i64, FieldsThen>; N] = std::array::from_fn(|_| HashMap::new());
    let Some(earliest) = ends.iter().min() else { return Ok(then) };
    let mut stmt = conn.prepare(CHANGES_AFTER)?;
    let mut rows = stmt.query([earliest])?;
    while let Some(row) = rows.next()? {
        let field = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let Some(index) = FIELDS.iter().position(|f| *f == field) else { continue };
        let at = row.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
        let deal: i64 = row.get(0)?;
        for (k, end) in ends.iter().enumerate() {
            if at > end.as_str() {
                let slot = &mut then[k].entry(deal).or_default()[index];
                if slot.is_none() {
                    *slot = Some(row.get(2)?);
                }
            }
        }
    }
    Ok(then)
}

/// The owners' forecast category overrides now (few deals carry one).
fn read_overrides(conn: &Connection) -> Result<HashMap<i64, String>> {
    let mut stmt =
        conn.prepare("SELECT id, forecast_override FROM deals WHERE forecast_override IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
