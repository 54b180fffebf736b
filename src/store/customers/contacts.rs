use crate::domain::{AccountId, ContactId};
use crate::store::{found, get_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub account_name: String,
    pub name: String,
    pub title: Option<String>,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

pub struct ContactFields<'a> {
    pub account_id: AccountId,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub email: &'a str,
}

const SELECT: &str =
    "SELECT c.id, c.account_id, a.name AS account_name, c.name, c.title, c.email, c.created_at
                      FROM contacts c JOIN accounts a ON a.id = c.account_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        account_name: row.get("account_name")?,
        name: row.get("name")?,
        title: row.get("title")?,
        email: row.get("email")?,
        created_at: get_instant(row, "created_at")?,
    })
}

fn refuse_taken_email(conn: &Connection, email: &str, except: Option<ContactId>) -> Result<()> {
    if let Some(existing) = find_by_email(conn, email)?.filter(|c| Some(c.id) != except) {
        return Err(KeelError::Duplicate {
            field: "email",
            value: email.to_string(),
            entity: "contact",
            existing: format!("{} ({})", existing.id, existing.name),
        });
    }
    Ok(())
}

pub fn insert(conn: &Connection, fields: &ContactFields<'_>, at: DateTime<Utc>) -> Result<ContactId> {
    refuse_taken_email(conn, fields.email, None)?;
    conn.execute(
        "INSERT INTO contacts (account_id, name, title, email, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![fields.account_id, fields.name, fields.title, fields.email, instant_text(at)],
    )?;
    Ok(ContactId(conn.last_insert_rowid()))
}

pub fn update(conn: &Connection, id: ContactId, fields: &ContactFields<'_>) -> Result<()> {
    refuse_taken_email(conn, fields.email, Some(id))?;
    let changed = conn.execute(
        "UPDATE contacts SET account_id = ?2, name = ?3, title = ?4, email = ?5 WHERE id = ?1",
        params![id, fields.account_id, fields.name, fields.title, fields.email],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("contact", id));
    }
    Ok(())
}

pub fn get(conn: &Connection, id: ContactId) -> Result<Contact> {
    found(conn.query_row(&format!("{SELECT} WHERE c.id = ?1"), [id], from_row), "contact", id)
}

pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<Contact>> {
    Ok(conn.query_row(&format!("{SELECT} WHERE c.email = ?1"), [email], from_row).optional()?)
}

pub fn list(conn: &Connection, account: Option<AccountId>, limit: u32, offset: u32) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR c.account_id = ?1) ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![account, limit, offset], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?)
}
