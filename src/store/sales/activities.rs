use crate::domain::{AccountId, ActivityId, ActivityKind, DealId, TeamMemberId};
use crate::store::{day_text, found, get_instant, get_opt_day, get_opt_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub id: ActivityId,
    pub account_id: AccountId,
    pub account_name: String,
    pub deal_id: Option<DealId>,
    pub kind: ActivityKind,
    pub subject: String,
    pub notes: Option<String>,
    pub owner_id: TeamMemberId,
    pub owner_name: String,
    pub due_date: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub struct NewActivity<'a> {
    pub account_id: AccountId,
    pub deal_id: Option<DealId>,
    pub kind: ActivityKind,
    pub subject: &'a str,
    pub notes: Option<&'a str>,
    pub owner_id: TeamMemberId,
    pub due_date: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<TeamMemberId>,
}

const SELECT: &str =
    "SELECT v.id, v.account_id, a.name AS account_name, v.deal_id, v.kind, v.subject, v.notes,
                             v.owner_id, t.name AS owner_name, v.due_date, v.done_at, v.created_at
                      FROM activities v
                      JOIN accounts a ON a.id = v.account_id
                      JOIN team_members t ON t.id = v.owner_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        account_name: row.get("account_name")?,
        deal_id: row.get("deal_id")?,
        kind: row.get("kind")?,
        subject: row.get("subject")?,
        notes: row.get("notes")?,
        owner_id: row.get("owner_id")?,
        owner_name: row.get("owner_name")?,
        due_date: get_opt_day(row, "due_date")?,
        done_at: get_opt_instant(row, "done_at")?,
        created_at: get_instant(row, "created_at")?,
    })
}

pub fn insert(conn: &Connection, a: &NewActivity<'_>) -> Result<ActivityId> {
    conn.prepare_cached(
        "INSERT INTO activities (account_id, deal_id, kind, subject, notes, owner_id, due_date, done_at, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.account_id,
        a.deal_id,
        a.kind,
        a.subject,
        a.notes,
        a.owner_id,
        a.due_date.map(day_text),
        a.done_at.map(instant_text),
        instant_text(a.created_at),
        a.created_by,
    ])?;
    Ok(ActivityId(conn.last_insert_rowid()))
}

pub fn get(conn: &Connection, id: ActivityId) -> Result<Activity> {
    found(conn.query_row(&format!("{SELECT} WHERE v.id = ?1"), [id], from_row), "activity", id)
}

/// The editable fields of a planned or logged activity.
pub struct ActivityFields<'a> {
    pub subject: &'a str,
    pub notes: Option<&'a str>,
    pub owner_id: TeamMemberId,
    pub due_date: Option<NaiveDate>,
}

pub fn update(conn: &Connection, id: ActivityId, fields: &ActivityFields<'_>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE activities SET subject = ?2, notes = ?3, owner_id = ?4, due_date = ?5 WHERE id = ?1",
        params![id, fields.subject, fields.notes, fields.owner_id, fields.due_date.map(day_text)],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("activity", id));
    }
    Ok(())
}

pub fn mark_done(conn: &Connection, id: ActivityId, at: DateTime<Utc>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE activities SET done_at = ?2 WHERE id = ?1 AND done_at IS NULL",
        params![id, instant_text(at)],
    )?;
    if changed == 0 {
        return Err(KeelError::NotAllowed(format!("activity {id} is already done")));
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub deal: Option<DealId>,
    pub account: Option<AccountId>,
    pub owner: Option<TeamMemberId>,
    pub open_only: bool,
    /// Only activities due on or before this date (with `open_only`: due and overdue).
    pub due_by: Option<NaiveDate>,
    pub limit: u32,
}

/// Open items first by due date, then the log newest first.
pub fn list(conn: &Connection, f: &ActivityFilter) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT}
         WHERE (?1 IS NULL OR v.deal_id = ?1) AND (?2 IS NULL OR v.account_id = ?2) AND (?3 IS NULL OR v.owner_id = ?3)
           AND (?4 = 0 OR v.done_at IS NULL) AND (?5 IS NULL OR v.due_date <= ?5)
         ORDER BY (v.done_at IS NOT NULL), v.due_date IS NULL, v.due_date, v.created_at DESC, v.id DESC
         LIMIT ?6"
    ))?;
    let rows = stmt
        .query_map(
            params![f.deal, f.account, f.owner, f.open_only, f.due_by.map(day_text), f.limit],
            from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The deal's next open activity: the earliest due, or the oldest undated one.
pub fn next_for_deal(conn: &Connection, deal: DealId) -> Result<Option<Activity>> {
    Ok(conn
        .query_row(
            &format!(
                "{SELECT} WHERE v.deal_id = ?1 AND v.done_at IS NULL
                 ORDER BY v.due_date IS NULL, v.due_date, v.id LIMIT 1"
            ),
            [deal],
            from_row,
        )
        .optional()?)
}
