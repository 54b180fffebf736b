use crate::domain::TeamMemberId;
use crate::store::{get_instant, instant_text};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<TeamMemberId>,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub detail: serde_json::Value,
}

pub struct NewAuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: Option<TeamMemberId>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub detail: serde_json::Value,
}

pub fn append(conn: &Connection, entry: &NewAuditEntry<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        instant_text(entry.at),
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.detail.to_string()
    ])?;
    Ok(())
}

pub fn list(
    conn: &Connection,
    entity: Option<&str>,
    entity_id: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.at, a.actor_id, t.name AS actor_name, a.action, a.entity, a.entity_id, a.detail
         FROM audit_log a LEFT JOIN team_members t ON t.id = a.actor_id
         WHERE (?1 IS NULL OR a.entity = ?1) AND (?2 IS NULL OR a.entity_id = ?2)
         ORDER BY a.id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![entity, entity_id, limit], |row| {
            let detail: String = row.get("detail")?;
            Ok(AuditEntry {
                id: row.get("id")?,
                at: get_instant(row, "at")?,
                actor_id: row.get("actor_id")?,
                actor_name: row.get("actor_name")?,
                action: row.get("action")?,
                entity: row.get("entity")?,
                entity_id: row.get("entity_id")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
