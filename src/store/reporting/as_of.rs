//! Deals as they stood at the end of a past day, from the append-only histories: the
//! stage from the stage history, and amount, currency, close date, owner and forecast
//! category from the change history (a field changed after the day had the first such
//! change's old value then; one never changed since has its value now). The deals as they
//! stand now come from the report projection, and only the history written since the day
//! is read.

use crate::domain::{DealSource, Segment};
use crate::Result;
use chrono::{Datelike, NaiveDate};
use rusqlite::Connection;

/// One deal as it stood: values as stored text (None for "none").
#[derive(Debug, Clone, PartialEq)]
pub struct DealThen {
    pub deal_id: i64,
    pub stage_id: i64,
    pub owner_id: i64,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub expected_close_date: Option<String>,
    pub probability_override_bp: Option<i64>,
    pub source: String,
    pub segment: Option<String>,
    /// The owner's forecast category override then (None: the stage's category).
    pub forecast_override: Option<String>,
    /// When the deal entered the stage it was in then (its closing day, for a closed
    /// one), as stored; None for a deal moved since (see [`stage_entered_by`]).
    pub stage_since: Option<String>,
}

/// Every deal created by `end` (an instant as stored), as it stood then: one pass over
/// the deals, and only the history written after `end` (the first change after the day
/// holds the value it had then; a deal's first stage move after it, the stage).
pub fn deals_then(conn: &Connection, end: &str) -> Result<Vec<DealThen>> {
    deals_then_with(conn, end, false)
}

/// Like [`deals_then`], with each deal's forecast category override then (which costs a
/// pass over the deals' own rows: only the forecast asks for it).
pub fn deals_then_with(conn: &Connection, end: &str, categories: bool) -> Result<Vec<DealThen>> {
    use std::collections::HashMap;
    // The stage then: the first move after the day says where the deal stood.
    let mut stage_then: HashMap<i64, i64> = HashMap::new();
    let mut moved_after: HashMap<i64, ()> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT deal_id, from_stage_id FROM stage_history WHERE changed_at > ?1 ORDER BY changed_at, id",
        )?;
        let mut rows = stmt.query([end])?;
        while let Some(row) = rows.next()? {
            let deal: i64 = row.get(0)?;
            if moved_after.insert(deal, ()).is_none() {
                if let Some(from) = row.get::<_, Option<i64>>(1)? {
                    stage_then.insert(deal, from);
                }
            }
        }
    }
    // Each tracked field then: the first change after the day holds its old value.
    const FIELDS: [&str; 5] = ["owner", "amount", "currency", "expected_close_date", "forecast_category"];
    let mut fields_then: HashMap<(i64, usize), Option<String>> = HashMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT deal_id, field, old_value FROM deal_changes WHERE changed_at > ?1 ORDER BY changed_at, id")?;
        let mut rows = stmt.query([end])?;
        while let Some(row) = rows.next()? {
            let field: String = row.get(1)?;
            if let Some(index) = FIELDS.iter().position(|f| *f == field) {
                fields_then.entry((row.get(0)?, index)).or_insert(row.get(2)?);
            }
        }
    }
    // The deals as they stand now, from the report projection (compact, as `keel
    // metrics` reads it); the few forecast overrides apart.
    let mut overrides: HashMap<i64, String> = HashMap::new();
    if categories {
        let mut stmt =
            conn.prepare("SELECT id, forecast_override FROM deals WHERE forecast_override IS NOT NULL")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            overrides.insert(row.get(0)?, row.get(1)?);
        }
    }
    let last_day = NaiveDate::parse_from_str(end.get(..10).unwrap_or_default(), "%Y-%m-%d")
        .map(|d| d.num_days_from_ce())
        .unwrap_or(i32::MAX);
    let all_facts =
        super::facts::FactFilter { closed_since: None, owner_id: None, segment: None, source: None };
    let mut all = Vec::new();
    super::facts::scan(conn, &super::facts::scan_sql(&all_facts), |fact| {
        if fact.created_day > last_day {
            return;
        }
        let id = fact.deal_id;
        let field = |name: &str, now: Option<String>| -> Option<String> {
            let index = FIELDS.iter().position(|f| *f == name).unwrap_or(usize::MAX);
            match fields_then.get(&(id, index)) {
                Some(then) => then.clone(),
                None => now,
            }
        };
        let moved = moved_after.contains_key(&id);
        let close_now = (fact.expected_close_day > 0)
            .then(|| super::facts::day_date(fact.expected_close_day).map(|d| d.to_string()))
            .flatten();
        let closed_now = (fact.closed_day > 0)
            .then(|| super::facts::day_date(fact.closed_day).map(|d| d.to_string()))
            .flatten();
        all.push(DealThen {
            deal_id: id,
            stage_id: stage_then.get(&id).copied().unwrap_or(fact.stage_id),
            owner_id: field("owner", Some(fact.owner_id.to_string()))
                .and_then(|o| o.parse().ok())
                .unwrap_or(fact.owner_id),
            amount_minor: field("amount", fact.amount_minor.map(|a| a.to_string()))
                .and_then(|a| a.parse().ok()),
            currency: field("currency", Some(fact.currency.to_string())).unwrap_or_default(),
            expected_close_date: field("expected_close_date", close_now),
            probability_override_bp: fact.probability_override_bp,
            source: DealSource::ALL.get(fact.source).map_or_else(String::new, |s| s.as_str().to_string()),
            segment: Segment::ALL.get(fact.segment).map(|s| s.as_str().to_string()),
            forecast_override: field("forecast_category", overrides.get(&id).cloned()),
            // Unmoved since and closed: closed on its closing day. Otherwise (open, or
            // moved since) `stage_entered_by` says when, for the few callers that ask.
            stage_since: if moved { None } else { closed_now },
        });
    })?;
    Ok(all)
}

/// When a deal entered the stage it stood in at `end`: its last stage entry by then.
pub fn stage_entered_by(conn: &Connection, deal: i64, end: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT changed_at FROM stage_history WHERE deal_id = ?1 AND changed_at <= ?2
             ORDER BY changed_at DESC, id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![deal, end], |r| r.get(0))
        .optional()?)
}
