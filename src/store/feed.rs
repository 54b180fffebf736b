//! The change feed of a team workspace. On the server, temporary triggers on the one
//! writing connection copy every row a committed command wrote into `change_feed`, in
//! the same transaction; a replica replays those row operations in order. Rows travel
//! as JSON objects of their columns (BLOB columns as hex text), keyed by their primary
//! key, so another store engine on the server could produce the same feed.

use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Tables the feed leaves out: its own bookkeeping, the link of a replica, and what a
/// replica derives itself when it commits (the report projection and frozen rates).
pub fn is_replicated(table: &str) -> bool {
    !matches!(table, "change_feed" | "applied_commands" | "team_link" | "deal_facts" | "closed_deal_rates")
        && !table.starts_with("sqlite_")
        && !table.starts_with("server_")
        && !table.starts_with("outbox")
}

/// One row operation, as the server committed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub seq: i64,
    pub table: String,
    pub op: String,
    /// The primary key of the row (its key before an update).
    pub pk: Value,
    /// Every column after the operation; none for a delete.
    pub row: Option<Value>,
}

pub(crate) struct Column {
    pub(crate) name: String,
    is_blob: bool,
    in_pk: bool,
}

/// A record a change created: its table and id.
pub type Created = (String, i64);

pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) columns: Vec<Column>,
}

impl Table {
    /// The columns that identify a row: the declared primary key, else the rowid.
    pub(crate) fn key_columns(&self) -> Vec<String> {
        let key: Vec<String> = self.columns.iter().filter(|c| c.in_pk).map(|c| c.name.clone()).collect();
        if key.is_empty() {
            vec!["rowid".to_string()]
        } else {
            key
        }
    }

    fn is_blob(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.name == column && c.is_blob)
    }
}

pub(crate) fn tables(conn: &Connection) -> Result<Vec<Table>> {
    // One statement for every table's columns: a `PRAGMA table_info` per table was a
    // statement prepared for each, which cost a copy catching up after one change about as
    // much as applying its rows.
    let mut stmt = conn.prepare_cached(
        "SELECT m.name, c.name, c.type, c.pk FROM main.sqlite_schema m, pragma_table_info(m.name, 'main') c
          WHERE m.type = 'table' ORDER BY m.name, c.cid",
    )?;
    let mut rows = stmt.query([])?;
    let mut tables: Vec<Table> = Vec::new();
    while let Some(row) = rows.next()? {
        let table: String = row.get(0)?;
        if !is_replicated(&table) {
            continue;
        }
        let kind: String = row.get(2)?;
        let column = Column {
            name: row.get(1)?,
            is_blob: kind.eq_ignore_ascii_case("BLOB"),
            in_pk: row.get::<_, i64>(3)? > 0,
        };
        match tables.last_mut() {
            Some(last) if last.name == table => last.columns.push(column),
            _ => tables.push(Table { name: table, columns: vec![column] }),
        }
    }
    Ok(tables)
}

pub(crate) fn json_object_of(table: &Table, alias: &str, columns: &[String]) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .map(|c| {
            let value =
                if table.is_blob(c) { format!("hex({alias}.\"{c}\")") } else { format!("{alias}.\"{c}\"") };
            format!("'{c}', {value}")
        })
        .collect();
    format!("json_object({})", pairs.join(", "))
}

/// Installs the triggers that record every row this connection writes into the feed.
/// They are TEMP, so only the server's own connection feeds; a replica never does.
pub fn capture(conn: &Connection) -> Result<()> {
    let mut sql = String::new();
    for table in tables(conn)? {
        let all: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let key = table.key_columns();
        let name = &table.name;
        let (new_row, new_key, old_key) = (
            json_object_of(&table, "NEW", &all),
            json_object_of(&table, "NEW", &key),
            json_object_of(&table, "OLD", &key),
        );
        sql.push_str(&format!(
            "CREATE TEMP TRIGGER IF NOT EXISTS feed_ins_{name} AFTER INSERT ON main.\"{name}\" BEGIN
               INSERT INTO change_feed (tbl, op, pk, row_json) VALUES ('{name}', 'insert', {new_key}, {new_row}); END;
             CREATE TEMP TRIGGER IF NOT EXISTS feed_upd_{name} AFTER UPDATE ON main.\"{name}\" BEGIN
               INSERT INTO change_feed (tbl, op, pk, row_json) VALUES ('{name}', 'update', {old_key}, {new_row}); END;
             CREATE TEMP TRIGGER IF NOT EXISTS feed_del_{name} AFTER DELETE ON main.\"{name}\" BEGIN
               INSERT INTO change_feed (tbl, op, pk, row_json) VALUES ('{name}', 'delete', {old_key}, NULL); END;\n"
        ));
    }
    conn.execute_batch(&sql)?;
    Ok(())
}

/// The last entry's number (0 for an empty feed): where a snapshot taken now stands.
pub fn position(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM change_feed", [], |r| r.get(0))?)
}

/// Up to `limit` entries after `after`, in order.
pub fn since(conn: &Connection, after: i64, limit: u32) -> Result<Vec<FeedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, tbl, op, pk, row_json FROM change_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (seq, table, op, pk, row) = row?;
        let parse = |text: &str| {
            serde_json::from_str(text).map_err(|e| KeelError::Schema(format!("change feed entry {seq}: {e}")))
        };
        entries.push(FeedEntry {
            seq,
            table,
            op,
            pk: parse(&pk)?,
            row: row.as_deref().map(parse).transpose()?,
        });
    }
    Ok(entries)
}

pub(crate) fn sql_value(table: &Table, column: &str, value: &Value) -> Result<SqlValue> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) if table.is_blob(column) => {
            SqlValue::Blob(unhex(s).ok_or_else(|| {
                KeelError::Schema(format!("change feed: {}.{column} is not hex", table.name))
            })?)
        }
        Value::String(s) => SqlValue::Text(s.clone()),
        other => {
            return Err(KeelError::Schema(format!("change feed: {}.{column} holds {other}", table.name)))
        }
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn fields(entry: &FeedEntry, value: &Value) -> Result<Vec<(String, Value)>> {
    match value {
        Value::Object(map) => Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        _ => Err(KeelError::Schema(format!("change feed entry {}: not an object", entry.seq))),
    }
}

/// Replays entries on a replica, inside the caller's transaction, in order: the same
/// row operations the server committed, so the replica's own triggers (append-only
/// history, the report projection) see what the server's saw.
pub fn apply(conn: &Connection, entries: &[FeedEntry]) -> Result<()> {
    let by_name: HashMap<String, Table> = tables(conn)?.into_iter().map(|t| (t.name.clone(), t)).collect();
    for entry in entries {
        let table = by_name.get(&entry.table).ok_or_else(|| {
            KeelError::Schema(format!(
                "change feed entry {} names table {}, which this copy lacks",
                entry.seq, entry.table
            ))
        })?;
        let key = fields(entry, &entry.pk)?;
        let mut values: Vec<SqlValue> = Vec::new();
        let sql = match (entry.op.as_str(), &entry.row) {
            ("insert", Some(row)) => {
                let row = fields(entry, row)?;
                let columns: Vec<String> = row.iter().map(|(c, _)| format!("\"{c}\"")).collect();
                for (c, v) in &row {
                    values.push(sql_value(table, c, v)?);
                }
                let marks = vec!["?"; row.len()].join(", ");
                format!("INSERT INTO main.\"{}\" ({}) VALUES ({marks})", table.name, columns.join(", "))
            }
            ("update", Some(row)) => {
                // The key stays as it is: setting a parent key, even to itself, makes
                // SQLite check every child table for rows that point at it.
                let key_names: Vec<&str> = key.iter().map(|(c, _)| c.as_str()).collect();
                let row: Vec<(String, Value)> = fields(entry, row)?
                    .into_iter()
                    .filter(|(c, _)| !key_names.contains(&c.as_str()))
                    .collect();
                let sets: Vec<String> = row.iter().map(|(c, _)| format!("\"{c}\" = ?")).collect();
                for (c, v) in &row {
                    values.push(sql_value(table, c, v)?);
                }
                format!("UPDATE main.\"{}\" SET {} WHERE {}", table.name, sets.join(", "), key_clause(&key))
            }
            ("delete", None) => format!("DELETE FROM main.\"{}\" WHERE {}", table.name, key_clause(&key)),
            _ => {
                return Err(KeelError::Schema(format!(
                    "change feed entry {}: {} without the right row",
                    entry.seq, entry.op
                )))
            }
        };
        if entry.op != "insert" {
            for (c, v) in &key {
                values.push(sql_value(table, c, v)?);
            }
        }
        conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

fn key_clause(key: &[(String, Value)]) -> String {
    key.iter().map(|(c, _)| format!("\"{c}\" IS ?")).collect::<Vec<_>>().join(" AND ")
}

/// What a replica knows of its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamLink {
    pub server_url: String,
    pub member_id: crate::domain::TeamMemberId,
    pub credential: String,
    pub client_id: String,
    pub next_seq: i64,
    pub position: i64,
    /// The server file's epoch this copy follows (none before the copy first heard it).
    pub server_epoch: Option<String>,
    /// The server's schema version when this copy last heard from it.
    pub server_schema: Option<u32>,
}

pub fn link(conn: &Connection) -> Result<Option<TeamLink>> {
    Ok(conn
        .query_row(
            "SELECT server_url, member_id, credential, client_id, next_seq, position, server_epoch, server_schema
               FROM team_link WHERE id = 1",
            [],
            |r| {
                Ok(TeamLink {
                    server_url: r.get(0)?,
                    member_id: r.get(1)?,
                    credential: r.get(2)?,
                    client_id: r.get(3)?,
                    next_seq: r.get(4)?,
                    position: r.get(5)?,
                    server_epoch: r.get(6)?,
                    server_schema: r.get(7)?,
                })
            },
        )
        .optional()?)
}

pub fn set_link(conn: &Connection, link: &TeamLink) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO team_link
           (id, server_url, member_id, credential, client_id, next_seq, position, server_epoch, server_schema)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            link.server_url,
            link.member_id,
            link.credential,
            link.client_id,
            link.next_seq,
            link.position,
            link.server_epoch,
            link.server_schema
        ],
    )?;
    Ok(())
}

/// Forgets the machine's credential and session: it has left the team (`keel leave`).
pub fn forget_credential(conn: &Connection) -> Result<()> {
    conn.execute(
        "UPDATE team_link SET credential = '', session_token = NULL, session_expires_at = NULL WHERE id = 1",
        [],
    )?;
    Ok(())
}

/// The credential is kept outside the copy's file: the link says so, and holds it no more.
pub fn credential_kept_outside(conn: &Connection) -> Result<()> {
    conn.execute(
        "UPDATE team_link SET credential = 'kept-outside', session_token = NULL, session_expires_at = NULL WHERE id = 1",
        [],
    )?;
    Ok(())
}

/// What the server said of itself when it last answered: its epoch is kept the first
/// time only (a different one later means a restore, which is refused, not adopted).
pub fn note_server(conn: &Connection, epoch: Option<&str>, schema: Option<u32>) -> Result<()> {
    conn.execute(
        "UPDATE team_link SET server_epoch = coalesce(server_epoch, ?1), server_schema = coalesce(?2, server_schema)
          WHERE id = 1",
        params![epoch, schema],
    )?;
    Ok(())
}

pub fn set_position(conn: &Connection, position: i64) -> Result<()> {
    conn.execute("UPDATE team_link SET position = ?1 WHERE id = 1", [position])?;
    Ok(())
}

/// Where the copy stands and the server's fingerprint of that entry, together.
pub fn set_position_checked(conn: &Connection, position: i64, check: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE team_link SET position = ?1, position_check = ?2 WHERE id = 1",
        params![position, check],
    )?;
    Ok(())
}

/// Where the copy stands, with the server's fingerprint of that entry, if it has one.
pub fn position_check(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT position, position_check FROM team_link WHERE id = 1 AND position_check IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Takes the next command number of this replica, so a retry reuses its number.
pub fn take_command_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "UPDATE team_link SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq - 1",
        [],
        |r| r.get(0),
    )?)
}

/// Records, inside a command's own transaction, that a client's command was applied.
pub fn record_applied(
    conn: &Connection,
    client_id: &str,
    seq: i64,
    member: crate::domain::TeamMemberId,
    at: DateTime<Utc>,
    created: &[Created],
    fingerprint: Option<&str>,
) -> Result<()> {
    let result = fingerprint.map(|f| serde_json::json!({ "fingerprint": f }).to_string());
    conn.execute(
        "INSERT INTO applied_commands (client_id, seq, member_id, applied_at, created, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            client_id,
            seq,
            member,
            super::instant_text(at),
            serde_json::to_string(created).unwrap_or_else(|_| "[]".into()),
            result
        ],
    )?;
    Ok(())
}

/// The records an applied command created (kept for a retry's answer).
pub fn applied_created(conn: &Connection, client_id: &str, seq: i64) -> Result<Vec<Created>> {
    let text: Option<Option<String>> = conn
        .query_row(
            "SELECT created FROM applied_commands WHERE client_id = ?1 AND seq = ?2",
            params![client_id, seq],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.flatten().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

/// Whether the command was applied before, and what it answered then.
pub fn applied(conn: &Connection, client_id: &str, seq: i64) -> Result<Option<Option<Value>>> {
    let found: Option<Option<String>> = conn
        .query_row(
            "SELECT result FROM applied_commands WHERE client_id = ?1 AND seq = ?2",
            params![client_id, seq],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.map(|result| result.and_then(|t| serde_json::from_str(&t).ok())))
}

pub fn set_applied_result(conn: &Connection, client_id: &str, seq: i64, result: &Value) -> Result<()> {
    conn.execute(
        "UPDATE applied_commands SET result = ?3 WHERE client_id = ?1 AND seq = ?2",
        params![client_id, seq, result.to_string()],
    )?;
    Ok(())
}

/// Makes a fresh copy of the server's file into a replica's starting point: the feed
/// and the server's bookkeeping do not travel (the position says where the copy stands).
pub fn strip_for_replica(conn: &Connection) -> Result<i64> {
    let position = position(conn)?;
    let server_tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'server\\_%' ESCAPE '\\'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // The server's tables refer to each other; they all go, so their keys are not checked.
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA secure_delete = ON; DELETE FROM change_feed; DELETE FROM applied_commands;",
    )?;
    for table in server_tables {
        conn.execute_batch(&format!("DROP TABLE \"{table}\""))?;
    }
    Ok(position)
}
