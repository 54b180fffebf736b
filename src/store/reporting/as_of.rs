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
    /// When the deal entered the stage it was in then (its closing instant, for a
    /// closed one), as stored.
    pub stage_since: Option<String>,
}

/// The value a field had then: the first change after `end` tells it, else the row.
fn then(field: &str) -> String {
    format!(
        "(SELECT json_array(c.old_value) FROM deal_changes c
           WHERE c.deal_id = d.id AND c.field = '{field}' AND c.changed_at > ?1 ORDER BY c.id LIMIT 1)"
    )
}

/// Every deal created by `end` (an instant as stored), as it stood then.
pub fn deals_then(conn: &Connection, end: &str) -> Result<Vec<DealThen>> {
    let sql = format!(
        "SELECT d.id,
                coalesce((SELECT h.to_stage_id FROM stage_history h WHERE h.deal_id = d.id AND h.changed_at <= ?1
                           ORDER BY h.changed_at DESC, h.id DESC LIMIT 1), d.stage_id),
                d.owner_id, {owner}, CAST(d.amount_minor AS TEXT), {amount}, d.currency, {currency},
                d.expected_close_date, {close}, d.probability_override_bp, d.source, a.segment,
                d.forecast_override, {category},
                (SELECT h.changed_at FROM stage_history h WHERE h.deal_id = d.id AND h.changed_at <= ?1
                  ORDER BY h.changed_at DESC, h.id DESC LIMIT 1)
         FROM deals d LEFT JOIN accounts a ON a.id = d.account_id
         WHERE d.created_at <= ?1",
        owner = then("owner"),
        amount = then("amount"),
        currency = then("currency"),
        close = then("expected_close_date"),
        category = then("forecast_category"),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([end], |r| {
        // A later change's old value, when there is one (json_array keeps a NULL apart
        // from "no change").
        let pick = |now: Option<String>, later: Option<String>| -> Option<String> {
            match later {
                Some(json) => serde_json::from_str::<Vec<Option<String>>>(&json)
                    .ok()
                    .and_then(|v| v.into_iter().next())
                    .flatten(),
                None => now,
            }
        };
        let owner_now: i64 = r.get(2)?;
        let owner =
            pick(Some(owner_now.to_string()), r.get(3)?).and_then(|o| o.parse().ok()).unwrap_or(owner_now);
        let amount = pick(r.get(4)?, r.get(5)?).and_then(|a| a.parse().ok());
        let currency = pick(Some(r.get::<_, String>(6)?), r.get(7)?).unwrap_or_default();
        let close = pick(r.get(8)?, r.get(9)?);
        Ok(DealThen {
            deal_id: r.get(0)?,
            stage_id: r.get(1)?,
            owner_id: owner,
            amount_minor: amount,
            currency,
            expected_close_date: close,
            probability_override_bp: r.get(10)?,
            source: r.get(11)?,
            segment: r.get(12)?,
            forecast_override: pick(r.get(13)?, r.get(14)?),
            stage_since: r.get(15)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
