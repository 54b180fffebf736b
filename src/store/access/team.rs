use crate::domain::{AeSegment, Role, TeamMemberId};
use crate::store::{found, get_instant, get_opt_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamMember {
    pub id: TeamMemberId,
    pub name: String,
    pub role: Role,
    pub ae_segment: Option<AeSegment>,
    pub created_at: DateTime<Utc>,
    /// Set once the member left the team: they keep their history and act no more.
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl TeamMember {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

const COLUMNS: &str = "id, name, role, ae_segment, created_at, deactivated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<TeamMember> {
    Ok(TeamMember {
        id: row.get("id")?,
        name: row.get("name")?,
        role: row.get("role")?,
        ae_segment: row.get("ae_segment")?,
        created_at: get_instant(row, "created_at")?,
        deactivated_at: get_opt_instant(row, "deactivated_at")?,
    })
}

pub fn insert(
    conn: &Connection,
    name: &str,
    role: Role,
    ae_segment: Option<AeSegment>,
    at: DateTime<Utc>,
) -> Result<TeamMemberId> {
    if let Some(existing) = find_by_name(conn, name)? {
        return Err(KeelError::Duplicate {
            field: "name",
            value: name.to_string(),
            entity: "team member",
            existing: existing.id.to_string(),
        });
    }
    conn.execute(
        "INSERT INTO team_members (name, role, ae_segment, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, role, ae_segment, instant_text(at)],
    )?;
    Ok(TeamMemberId(conn.last_insert_rowid()))
}

pub fn get(conn: &Connection, id: TeamMemberId) -> Result<TeamMember> {
    found(
        conn.query_row(&format!("SELECT {COLUMNS} FROM team_members WHERE id = ?1"), [id], from_row),
        "team member",
        id,
    )
}

/// Names are unique regardless of case.
pub fn find_by_name(conn: &Connection, name: &str) -> Result<Option<TeamMember>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM team_members WHERE name = ?1 COLLATE NOCASE"),
            [name],
            from_row,
        )
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<TeamMember>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM team_members ORDER BY name COLLATE NOCASE"))?;
    let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM team_members", [], |r| r.get(0))?)
}

pub fn first_with_role(conn: &Connection, role: Role) -> Result<Option<TeamMember>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM team_members WHERE role = ?1 ORDER BY id LIMIT 1"),
            [role],
            from_row,
        )
        .optional()?)
}

pub fn set_role(
    conn: &Connection,
    id: TeamMemberId,
    role: Role,
    ae_segment: Option<AeSegment>,
) -> Result<()> {
    conn.execute(
        "UPDATE team_members SET role = ?2, ae_segment = ?3 WHERE id = ?1",
        params![id, role, ae_segment],
    )?;
    Ok(())
}

pub fn deactivate(conn: &Connection, id: TeamMemberId, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE team_members SET deactivated_at = ?2 WHERE id = ?1 AND deactivated_at IS NULL",
        params![id, instant_text(at)],
    )?;
    Ok(())
}

/// Active members holding `role`.
pub fn count_active_with_role(conn: &Connection, role: Role) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM team_members WHERE role = ?1 AND deactivated_at IS NULL",
        [role],
        |r| r.get(0),
    )?)
}
