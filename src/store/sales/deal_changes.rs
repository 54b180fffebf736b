//! The append-only history of a deal's tracked fields (amount, currency, expected close
//! date, forecast category override, owner), written where the deal's row is changed.

use crate::domain::{DealId, TeamMemberId};
use crate::store::{get_instant, instant_text};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// The tracked fields of a deal, as text, in the order they are recorded.
type Tracked = [(&'static str, Option<String>); 5];

/// The tracked fields as they stand now (None for a deal that does not exist).
pub fn tracked(conn: &Connection, deal: DealId) -> Result<Option<Tracked>> {
    Ok(conn
        .prepare_cached(
            "SELECT CAST(amount_minor AS TEXT), currency, expected_close_date, forecast_override, CAST(owner_id AS TEXT)
             FROM deals WHERE id = ?1",
        )?
        .query_row([deal], |r| {
            Ok([
                ("amount", r.get(0)?),
                ("currency", r.get(1)?),
                ("expected_close_date", r.get(2)?),
                ("forecast_category", r.get(3)?),
                ("owner", r.get(4)?),
            ])
        })
        .optional()?)
}

/// Records what changed between `before` and the deal as it stands now.
pub fn record(
    conn: &Connection,
    deal: DealId,
    before: &Tracked,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<usize> {
    let Some(after) = tracked(conn, deal)? else { return Ok(0) };
    let mut written = 0;
    for ((field, old), (_, new)) in before.iter().zip(after.iter()) {
        if old != new {
            conn.prepare_cached(
                "INSERT INTO deal_changes (deal_id, field, old_value, new_value, changed_at, changed_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![deal, field, old, new, instant_text(at), by])?;
            written += 1;
        }
    }
    Ok(written)
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DealChange {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<TeamMemberId>,
}

/// A deal's changes, oldest first.
pub fn for_deal(conn: &Connection, deal: DealId) -> Result<Vec<DealChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, old_value, new_value, changed_at, changed_by FROM deal_changes WHERE deal_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([deal], |r| {
        Ok(DealChange {
            field: r.get(0)?,
            old_value: r.get(1)?,
            new_value: r.get(2)?,
            changed_at: get_instant(r, "changed_at")?,
            changed_by: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Removes a deal's changes, for an import's revert removing a deal it created (inside
/// the `history_removals` door the caller opened).
pub fn remove_for_deal(conn: &Connection, deal: i64) -> Result<()> {
    conn.execute("DELETE FROM deal_changes WHERE deal_id = ?1", [deal])?;
    Ok(())
}
