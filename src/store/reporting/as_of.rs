//! Deals as they stood at the end of a past day, from the append-only histories: the
//! stage from the stage history, and amount, currency, close date and owner from the
//! change history (a field changed after the day had the first such change's old value
//! then; one never changed since has its value now).

use crate::Result;
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
    let mut stmt = conn.prepare(
        "SELECT d.id, d.stage_id, d.owner_id, CAST(d.amount_minor AS TEXT), d.currency, d.expected_close_date,
                d.probability_override_bp, d.source, a.segment, d.forecast_override, d.closed_on, d.stage_entered_at
         FROM deals d LEFT JOIN accounts a ON a.id = d.account_id
         WHERE d.created_at <= ?1",
    )?;
    let mut rows = stmt.query([end])?;
    let mut all = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let field = |name: &str, now: Option<String>| -> Option<String> {
            let index = FIELDS.iter().position(|f| *f == name).unwrap_or(usize::MAX);
            match fields_then.get(&(id, index)) {
                Some(then) => then.clone(),
                None => now,
            }
        };
        let owner_now: i64 = r.get(2)?;
        let moved = moved_after.contains_key(&id);
        let closed_on: Option<String> = r.get(10)?;
        let entered: Option<String> = r.get(11)?;
        let deal = DealThen {
            deal_id: id,
            stage_id: stage_then.get(&id).copied().unwrap_or(r.get(1)?),
            owner_id: field("owner", Some(owner_now.to_string()))
                .and_then(|o| o.parse().ok())
                .unwrap_or(owner_now),
            amount_minor: field("amount", r.get(3)?).and_then(|a| a.parse().ok()),
            currency: field("currency", Some(r.get(4)?)).unwrap_or_default(),
            expected_close_date: field("expected_close_date", r.get(5)?),
            probability_override_bp: r.get(6)?,
            source: r.get(7)?,
            segment: r.get(8)?,
            forecast_override: field("forecast_category", r.get(9)?),
            // Unmoved since: the stage it is in now, entered then (closed on its closing day);
            // for one moved since, `stage_entered_by` says when (few callers need it).
            stage_since: if moved { None } else { closed_on.or(entered) },
        };
        all.push(deal);
    }
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
