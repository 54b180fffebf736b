//! Import batches, the changes each made, the source systems' record ids, and the
//! row snapshots a revert restores.

use crate::domain::{ImportAction, ImportBatchId, ImportEntity, ImportKind, SourceSystem, TeamMemberId};
use crate::store::{get_instant, get_opt_instant, instant_text};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ImportBatch {
    pub id: ImportBatchId,
    pub kind: ImportKind,
    pub file_name: String,
    pub source_system: SourceSystem,
    pub imported_at: DateTime<Utc>,
    pub imported_by: Option<String>,
    pub rows_total: i64,
    pub created_count: i64,
    pub updated_count: i64,
    pub unchanged_count: i64,
    pub rejected_count: i64,
    #[serde(skip)]
    pub history_high_water: i64,
    pub reverted_at: Option<DateTime<Utc>>,
}

pub struct NewBatch<'a> {
    pub kind: ImportKind,
    pub file_name: &'a str,
    pub source_system: SourceSystem,
    pub imported_at: DateTime<Utc>,
    pub imported_by: TeamMemberId,
}

#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct BatchCounts {
    pub rows_total: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

/// Opens a batch with zero counts; [`finish_batch`] fills them in the same transaction.
pub fn insert_batch(conn: &Connection, batch: &NewBatch<'_>) -> Result<ImportBatchId> {
    conn.execute(
        "INSERT INTO import_batches (kind, file_name, source_system, imported_at, imported_by, rows_total,
                                     created_count, updated_count, unchanged_count, rejected_count,
                                     history_high_water)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0, 0, 0)",
        params![
            batch.kind,
            batch.file_name,
            batch.source_system,
            instant_text(batch.imported_at),
            batch.imported_by
        ],
    )?;
    Ok(ImportBatchId(conn.last_insert_rowid()))
}

pub fn finish_batch(conn: &Connection, id: ImportBatchId, counts: &BatchCounts) -> Result<()> {
    conn.execute(
        "UPDATE import_batches SET rows_total = ?2, created_count = ?3, updated_count = ?4,
                unchanged_count = ?5, rejected_count = ?6,
                history_high_water = (SELECT coalesce(max(id), 0) FROM stage_history)
         WHERE id = ?1",
        params![id, counts.rows_total, counts.created, counts.updated, counts.unchanged, counts.rejected],
    )?;
    Ok(())
}

const BATCH_SELECT: &str = "
SELECT b.id, b.kind, b.file_name, b.source_system, b.imported_at, t.name AS imported_by, b.rows_total,
       b.created_count, b.updated_count, b.unchanged_count, b.rejected_count, b.history_high_water,
       b.reverted_at
FROM import_batches b LEFT JOIN team_members t ON t.id = b.imported_by";

fn batch_from_row(row: &Row<'_>) -> rusqlite::Result<ImportBatch> {
    Ok(ImportBatch {
        id: row.get("id")?,
        kind: row.get("kind")?,
        file_name: row.get("file_name")?,
        source_system: row.get("source_system")?,
        imported_at: get_instant(row, "imported_at")?,
        imported_by: row.get("imported_by")?,
        rows_total: row.get("rows_total")?,
        created_count: row.get("created_count")?,
        updated_count: row.get("updated_count")?,
        unchanged_count: row.get("unchanged_count")?,
        rejected_count: row.get("rejected_count")?,
        history_high_water: row.get("history_high_water")?,
        reverted_at: get_opt_instant(row, "reverted_at")?,
    })
}

pub fn get_batch(conn: &Connection, id: ImportBatchId) -> Result<ImportBatch> {
    crate::store::found(
        conn.query_row(&format!("{BATCH_SELECT} WHERE b.id = ?1"), [id], batch_from_row),
        "import",
        id,
    )
}

/// Newest first.
pub fn list_batches(conn: &Connection, limit: u32) -> Result<Vec<ImportBatch>> {
    let mut stmt = conn.prepare(&format!("{BATCH_SELECT} ORDER BY b.id DESC LIMIT ?1"))?;
    let batches = stmt.query_map([limit], batch_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(batches)
}

pub fn mark_reverted(
    conn: &Connection,
    id: ImportBatchId,
    at: DateTime<Utc>,
    by: TeamMemberId,
) -> Result<()> {
    conn.execute(
        "UPDATE import_batches SET reverted_at = ?2, reverted_by = ?3 WHERE id = ?1",
        params![id, instant_text(at), by],
    )?;
    Ok(())
}

/// A change an import made, held until [`add_changes`] writes a chunk of them.
pub struct PendingChange {
    pub seq: i64,
    pub entity: ImportEntity,
    pub entity_id: i64,
    pub action: ImportAction,
    pub line: u64,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Writes an import's changes many rows to a statement: one statement per change was
/// a fifth of a large import's time.
pub fn add_changes(conn: &Connection, batch: ImportBatchId, changes: &[PendingChange]) -> Result<()> {
    const ROWS: usize = 100;
    for chunk in changes.chunks(ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = i * 7 + 2;
                format!(
                    "(?1, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
                    p,
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO import_changes (batch_id, seq, entity, entity_id, action, line, before, after) VALUES {}",
            values.join(", ")
        );
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&batch];
        let lines: Vec<i64> = chunk.iter().map(|c| c.line as i64).collect();
        for (c, line) in chunk.iter().zip(&lines) {
            params.extend([
                &c.seq as &dyn rusqlite::ToSql,
                &c.entity,
                &c.entity_id,
                &c.action,
                line,
                &c.before,
                &c.after,
            ]);
        }
        conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

/// Records (or repoints) record ids, many to a statement; `batch` is the import that
/// made the mappings.
pub fn set_externals(
    conn: &Connection,
    system: SourceSystem,
    batch: ImportBatchId,
    keys: &[(ImportEntity, String, i64)],
) -> Result<()> {
    const ROWS: usize = 150;
    for chunk in keys.chunks(ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(?1, ?{}, ?{}, ?{}, ?2)", i * 3 + 3, i * 3 + 4, i * 3 + 5))
            .collect();
        let sql = format!(
            "INSERT INTO external_ids (system, entity, key, entity_id, batch_id) VALUES {}
             ON CONFLICT (system, entity, key) DO UPDATE SET entity_id = excluded.entity_id",
            values.join(", ")
        );
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&system, &batch];
        for (entity, key, id) in chunk {
            params.extend([entity as &dyn rusqlite::ToSql, key, id]);
        }
        conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Change {
    pub entity: ImportEntity,
    pub entity_id: i64,
    pub action: ImportAction,
    pub line: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A batch's changes, last first: the order a revert undoes them in.
pub fn changes(conn: &Connection, batch: ImportBatchId) -> Result<Vec<Change>> {
    let mut stmt = conn.prepare(
        "SELECT entity, entity_id, action, line, before, after FROM import_changes
         WHERE batch_id = ?1 ORDER BY seq DESC",
    )?;
    let changes = stmt
        .query_map([batch], |r| {
            Ok(Change {
                entity: r.get(0)?,
                entity_id: r.get(1)?,
                action: r.get(2)?,
                line: r.get(3)?,
                before: r.get(4)?,
                after: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(changes)
}

/// A later batch, not reverted, that touched any record this batch touched.
pub fn later_overlapping_batch(conn: &Connection, batch: ImportBatchId) -> Result<Option<ImportBatchId>> {
    Ok(conn
        .query_row(
            "SELECT min(later.batch_id) FROM import_changes mine
             JOIN import_changes later ON later.entity = mine.entity AND later.entity_id = mine.entity_id
             JOIN import_batches b ON b.id = later.batch_id
             WHERE mine.batch_id = ?1 AND later.batch_id > ?1 AND b.reverted_at IS NULL",
            [batch],
            |r| r.get::<_, Option<ImportBatchId>>(0),
        )
        .optional()?
        .flatten())
}

/// Every record id an import from `system` recorded, by entity and key: an import looks
/// rows up in memory instead of a query per row.
pub fn externals_of(
    conn: &Connection,
    system: SourceSystem,
) -> Result<std::collections::HashMap<(ImportEntity, String), i64>> {
    let mut stmt = conn.prepare("SELECT entity, key, entity_id FROM external_ids WHERE system = ?1")?;
    let rows = stmt.query_map([system], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn remove_externals_of_batch(conn: &Connection, batch: ImportBatchId) -> Result<()> {
    conn.execute("DELETE FROM external_ids WHERE batch_id = ?1", [batch])?;
    Ok(())
}

/// Points every mapping of one record at another (after an account merge).
pub fn repoint_externals(conn: &Connection, entity: ImportEntity, from: i64, to: i64) -> Result<()> {
    conn.execute(
        "UPDATE external_ids SET entity_id = ?3 WHERE entity = ?1 AND entity_id = ?2",
        params![entity, from, to],
    )?;
    Ok(())
}

/// The columns an import may change, per table; what a revert puts back.
fn snapshot_columns(entity: ImportEntity) -> (&'static str, &'static [&'static str]) {
    match entity {
        ImportEntity::Deal => (
            "deals",
            &[
                "name",
                "account_id",
                "owner_id",
                "stage_id",
                "amount_minor",
                "currency",
                "expected_close_date",
                "source",
                "deal_type",
                "probability_override_bp",
                "forecast_override",
                "loss_reason",
                "closed_on",
                "stage_entered_at",
                "updated_at",
            ],
        ),
        ImportEntity::Account => ("accounts", &["name", "domain", "segment", "vertical", "region"]),
        ImportEntity::Contact => ("contacts", &["account_id", "name", "title", "email"]),
        ImportEntity::TeamMember => ("team_members", &["name", "role", "ae_segment"]),
        ImportEntity::Activity => (
            "activities",
            &["account_id", "deal_id", "kind", "subject", "notes", "owner_id", "due_date", "done_at"],
        ),
    }
}

/// The row's importable columns as a JSON object (SQLite's own `json_object`, so two
/// snapshots of an unchanged row are the same text).
pub fn snapshot(conn: &Connection, entity: ImportEntity, id: i64) -> Result<Option<String>> {
    let (table, columns) = snapshot_columns(entity);
    let pairs: Vec<String> = columns.iter().map(|c| format!("'{c}', {c}")).collect();
    Ok(conn
        .prepare_cached(&format!("SELECT json_object({}) FROM {table} WHERE id = ?1", pairs.join(", ")))?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Marks for a facts rebuild every deal a batch wrote, and the deals of every account
/// it updated (a segment change moves them between groups).
pub fn mark_batch_dirty(conn: &Connection, batch: ImportBatchId) -> Result<()> {
    crate::store::facts::mark_dirty(
        conn,
        "SELECT entity_id FROM import_changes WHERE batch_id = ?1 AND entity = 'deal'
         UNION SELECT d.id FROM deals d JOIN import_changes c
               ON c.batch_id = ?1 AND c.entity = 'account' AND c.action = 'updated' AND d.account_id = c.entity_id",
        [batch],
    )
}

/// Marks for the report projection the deals a batch wrote after change number `after`
/// (one slice of a sliced import).
pub fn mark_batch_dirty_after(conn: &Connection, batch: ImportBatchId, after: i64) -> Result<()> {
    crate::store::facts::mark_dirty(
        conn,
        "SELECT entity_id FROM import_changes WHERE batch_id = ?1 AND seq > ?2 AND entity = 'deal'
         UNION SELECT d.id FROM deals d JOIN import_changes c
               ON c.batch_id = ?1 AND c.seq > ?2 AND c.entity = 'account' AND c.action = 'updated'
              AND d.account_id = c.entity_id",
        rusqlite::params![batch, after],
    )
}

/// The last change number of a batch (a later part of the same import continues it).
pub fn last_seq(conn: &Connection, batch: ImportBatchId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT coalesce(max(seq), 0) FROM import_changes WHERE batch_id = ?1",
        [batch],
        |r| r.get(0),
    )?)
}

/// When a record was created (its stored instant text), if it exists.
pub fn created_at_of(conn: &Connection, entity: ImportEntity, id: i64) -> Result<Option<String>> {
    let (table, _) = snapshot_columns(entity);
    Ok(conn
        .prepare_cached(&format!("SELECT created_at FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Writes a snapshot back into its row; a deal's tracked fields going back are
/// recorded in its change history like any other change.
pub fn restore(
    conn: &Connection,
    entity: ImportEntity,
    id: i64,
    snapshot: &str,
    at: chrono::DateTime<chrono::Utc>,
    by: Option<crate::domain::TeamMemberId>,
) -> Result<()> {
    let (table, columns) = snapshot_columns(entity);
    let deal = (entity == ImportEntity::Deal).then_some(crate::domain::DealId(id));
    let before = deal.map(|d| crate::store::deal_changes::tracked(conn, d)).transpose()?.flatten();
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = json_extract(?2, '$.{c}')")).collect();
    conn.execute(&format!("UPDATE {table} SET {} WHERE id = ?1", sets.join(", ")), params![id, snapshot])?;
    if let (Some(deal), Some(before)) = (deal, before) {
        crate::store::deal_changes::record(conn, deal, &before, at, by)?;
    }
    Ok(())
}

/// Deletes a record an import created. A deal's stage history goes with it, through
/// the one door the append-only trigger leaves open (see migration 0003).
pub fn delete_created(conn: &Connection, entity: ImportEntity, id: i64) -> Result<()> {
    if entity == ImportEntity::Deal {
        conn.execute("INSERT INTO history_removals (deal_id) VALUES (?1)", [id])?;
        conn.execute("DELETE FROM stage_history WHERE deal_id = ?1", [id])?;
        crate::store::deal_changes::remove_for_deal(conn, id)?;
        conn.execute("DELETE FROM history_removals WHERE deal_id = ?1", [id])?;
    }
    let (table, _) = snapshot_columns(entity);
    conn.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])?;
    Ok(())
}

/// Stage-history entries of a deal written after `high_water` by anyone but a later
/// import or its revert (whose reasons say so; a later import is always reverted first).
pub fn history_after(conn: &Connection, deal: i64, high_water: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM stage_history WHERE deal_id = ?1 AND id > ?2
           AND coalesce(override_reason NOT LIKE 'updated by import %'
                        AND override_reason NOT LIKE 'import % reverted', 1)",
        [deal, high_water],
        |r| r.get(0),
    )?)
}
