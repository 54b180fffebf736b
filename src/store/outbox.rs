//! A team copy's outbox: the changes its member made while the server could not be
//! reached, in order, and what each did to the copy. Temporary triggers on the copy's
//! connection note every row a queued change writes, with the row as it was before;
//! taking those notes back newest first returns the copy to the server's state, onto
//! which the server's own feed then applies (see `remote::outbox`).

use super::feed::{self, FeedEntry};
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// A value a queued change was based on: the server refuses the change when the field
/// holds something else by the time it arrives (someone changed it meanwhile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub table: String,
    /// The record's id; for a table keyed otherwise (a deal's BANT, its checklist items),
    /// 0, and `key` holds its primary key.
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    pub column: String,
    pub value: Value,
    /// What the change sets the field to: a field someone else already set to the same
    /// value is no conflict (two members moving a deal to the same stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
    /// A record keyed by its deal that the change created here (the deal's first BANT, its
    /// proof of concept, a checklist item): it must not exist on the server either, or
    /// someone else set it meanwhile. `column` is then the first field the change sets, if any.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
}

/// What the server makes of a queued change's expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Everything it was based on is as it was: run it.
    Proceed,
    /// Someone else already made exactly this change: nothing is left to do.
    AlreadyInEffect,
}

pub use super::feed::Created;

/// One queued change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub seq: i64,
    /// The change as it goes to the server: a typed change (`{"change": …, "named": …}`,
    /// see `remote::outbox`), or, queued by a Keel from before typed changes, the command
    /// line it was typed as (a JSON array of words).
    pub line: Value,
    pub queued_at: String,
    /// `pending` (waiting for the server) or `refused` (the server said no).
    pub state: String,
    pub expect: Vec<Expectation>,
    pub created: Vec<Created>,
    pub error_code: Option<String>,
    pub error_field: Option<String>,
    pub error_message: Option<String>,
    /// The items behind the refusal (a move's missing criteria), when it had a list.
    pub error_details: Vec<String>,
}

/// Columns that move with every change (stamps), so two people touching the same
/// record for different reasons do not conflict over them.
fn is_bookkeeping(column: &str) -> bool {
    column.ends_with("_at") || column == "id"
}

/// Installs the triggers that note what queued changes write (once per connection; they
/// note only while [`capturing`] is on).
pub fn install_capture(conn: &Connection) -> Result<()> {
    let mut sql = String::from("CREATE TEMP TABLE IF NOT EXISTS outbox_capturing (on_ INTEGER);\n");
    for table in feed::tables(conn)? {
        let all: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let key = table.key_columns();
        let name = &table.name;
        let (old_row, new_key, old_key) = (
            feed::json_object_of(&table, "OLD", &all),
            feed::json_object_of(&table, "NEW", &key),
            feed::json_object_of(&table, "OLD", &key),
        );
        let when = "WHEN EXISTS (SELECT 1 FROM temp.outbox_capturing)";
        sql.push_str(&format!(
            "CREATE TEMP TRIGGER IF NOT EXISTS undo_ins_{name} AFTER INSERT ON main.\"{name}\" {when} BEGIN
               INSERT INTO outbox_undo (tbl, op, pk, row_json) VALUES ('{name}', 'insert', {new_key}, NULL); END;
             CREATE TEMP TRIGGER IF NOT EXISTS undo_upd_{name} AFTER UPDATE ON main.\"{name}\" {when} BEGIN
               INSERT INTO outbox_undo (tbl, op, pk, row_json) VALUES ('{name}', 'update', {old_key}, {old_row}); END;
             CREATE TEMP TRIGGER IF NOT EXISTS undo_del_{name} AFTER DELETE ON main.\"{name}\" {when} BEGIN
               INSERT INTO outbox_undo (tbl, op, pk, row_json) VALUES ('{name}', 'delete', {old_key}, {old_row}); END;\n"
        ));
    }
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Turns noting on or off (inside the queued change's transaction).
pub fn capturing(conn: &Connection, on: bool) -> Result<()> {
    conn.execute("DELETE FROM temp.outbox_capturing", [])?;
    if on {
        conn.execute("INSERT INTO temp.outbox_capturing VALUES (1)", [])?;
    }
    Ok(())
}

/// The last note's number: a queued change's own notes come after it.
pub fn last_note(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM outbox_undo", [], |r| r.get(0))?)
}

struct Note {
    table: String,
    op: String,
    pk: Value,
    before: Option<Value>,
}

fn notes_after(conn: &Connection, after: i64) -> Result<Vec<Note>> {
    let mut stmt = conn.prepare("SELECT tbl, op, pk, row_json FROM outbox_undo WHERE id > ?1 ORDER BY id")?;
    let rows = stmt.query_map([after], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let parse = |t: &str| {
        serde_json::from_str::<Value>(t).map_err(|e| KeelError::Schema(format!("outbox note: {e}")))
    };
    let mut notes = Vec::new();
    for row in rows {
        let (table, op, pk, before) = row?;
        notes.push(Note { table, op, pk: parse(&pk)?, before: before.as_deref().map(parse).transpose()? });
    }
    Ok(notes)
}

fn id_of(pk: &Value) -> Option<i64> {
    pk.as_object().filter(|o| o.len() == 1).and_then(|o| o.get("id")).and_then(Value::as_i64)
}

/// The row a primary key (as the feed writes keys: `{"deal_id": 12}`) names, as it
/// stands now. The key must be exactly the table's key columns (the names come from a
/// client).
fn current_row_by_key(conn: &Connection, table: &feed::Table, key: &Value) -> Result<Option<Value>> {
    let Some(fields) = key.as_object() else {
        return Err(KeelError::invalid("expect", format!("a key of {} must be an object", table.name)));
    };
    let columns = table.key_columns();
    if fields.len() != columns.len() || columns.iter().any(|c| !fields.contains_key(c)) {
        return Err(KeelError::invalid("expect", format!("{} is not keyed so", table.name)));
    }
    let all: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let clause: Vec<String> = columns.iter().map(|c| format!("\"{c}\" IS ?")).collect();
    let sql = format!(
        "SELECT {} FROM main.\"{}\" AS t WHERE {}",
        feed::json_object_of(table, "t", &all),
        table.name,
        clause.join(" AND ")
    );
    let values: Vec<rusqlite::types::Value> =
        columns.iter().map(|c| feed::sql_value(table, c, &fields[c.as_str()])).collect::<Result<_>>()?;
    let text: Option<String> =
        conn.query_row(&sql, rusqlite::params_from_iter(values), |r| r.get(0)).optional()?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| KeelError::Schema(format!("row of {}: {e}", table.name)))
    })
    .transpose()
}

/// The row as it stands now, as the feed writes rows.
fn current_row(conn: &Connection, table: &feed::Table, id: i64) -> Result<Option<Value>> {
    let all: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let sql = format!(
        "SELECT {} FROM main.\"{}\" AS t WHERE id = ?1",
        feed::json_object_of(table, "t", &all),
        table.name
    );
    let text: Option<String> = conn.query_row(&sql, [id], |r| r.get(0)).optional()?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| KeelError::Schema(format!("row of {}: {e}", table.name)))
    })
    .transpose()
}

/// Records made offline that the server has already created, while later changes still
/// wait (so the copy has not caught up and shows them under its own ids): id here → the
/// server's.
pub fn renamed(conn: &Connection) -> Result<std::collections::HashMap<Created, i64>> {
    let mut stmt = conn.prepare_cached("SELECT tbl, local_id, server_id FROM outbox_ids")?;
    let rows =
        stmt.query_map([], |r| Ok(((r.get::<_, String>(0)?, r.get::<_, i64>(1)?), r.get::<_, i64>(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every record a queued change created on this copy, with that change's number.
pub fn provisional(conn: &Connection) -> Result<std::collections::HashMap<Created, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT json_extract(c.value, '$[0]'), json_extract(c.value, '$[1]'), outbox.seq
         FROM outbox, json_each(outbox.created_json) AS c",
    )?;
    let rows =
        stmt.query_map([], |r| Ok(((r.get::<_, String>(0)?, r.get::<_, i64>(1)?), r.get::<_, i64>(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Files a queued change, inside its transaction, after it ran: what it created here and
/// the values it changed as they were (for records the server already has).
/// `sets` names the fields (table, column) the change sets, as typed: a field set to the
/// value it already had is expected too, so sending it cannot silently undo another
/// member's change to that field.
pub fn record(
    conn: &Connection,
    seq: i64,
    line: &Value,
    sets: &[(String, String)],
    after_note: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let notes = notes_after(conn, after_note)?;
    let mut provisional: HashSet<Created> = provisional(conn)?.into_keys().collect();
    let mut created: Vec<Created> = Vec::new();
    let mut expect: Vec<Expectation> = Vec::new();
    for note in notes.iter().filter(|n| n.op == "insert") {
        match id_of(&note.pk) {
            Some(id) => created.push((note.table.clone(), id)),
            None => expect.push(Expectation {
                table: note.table.clone(),
                id: 0,
                key: Some(note.pk.clone()),
                column: sets
                    .iter()
                    .find(|(t, _)| *t == note.table)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default(),
                value: Value::Null,
                to: None,
                absent: true,
            }),
        }
    }
    provisional.extend(created.iter().cloned());
    let tables: std::collections::HashMap<String, feed::Table> =
        feed::tables(conn)?.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    for note in notes.iter().filter(|n| n.op == "update") {
        let (Some(Value::Object(before)), Some(table)) = (&note.before, tables.get(&note.table)) else {
            continue;
        };
        // A record keyed by its id, or by another key (a deal's BANT: its deal).
        let (id, key) = match id_of(&note.pk) {
            Some(id) => (id, None),
            None => (0, Some(note.pk.clone())),
        };
        if key.is_none() && provisional.contains(&(note.table.clone(), id)) {
            continue;
        }
        let now_row = match &key {
            Some(key) => current_row_by_key(conn, table, key)?,
            None => current_row(conn, table, id)?,
        };
        let seen_as = key.as_ref().map_or_else(|| id.to_string(), Value::to_string);
        for (column, old) in before {
            if is_bookkeeping(column) || !seen.insert((note.table.clone(), seen_as.clone(), column.clone())) {
                continue;
            }
            let after = now_row.as_ref().and_then(|r| r.get(column));
            let set_as_typed = sets.iter().any(|(t, c)| *t == note.table && c == column);
            if after != Some(old) || set_as_typed {
                expect.push(Expectation {
                    table: note.table.clone(),
                    id,
                    key: key.clone(),
                    column: column.clone(),
                    value: old.clone(),
                    to: after.cloned(),
                    absent: false,
                });
            }
        }
    }
    let existing: Option<(String, String)> = conn
        .query_row("SELECT expect_json, created_json FROM outbox WHERE seq = ?1", [seq], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((earlier_expect, earlier_created)) = existing {
        // A second write of the same command: its notes add to the first's.
        let mut all_expect: Vec<Expectation> = serde_json::from_str(&earlier_expect).unwrap_or_default();
        all_expect.extend(expect);
        let mut all_created: Vec<Created> = serde_json::from_str(&earlier_created).unwrap_or_default();
        all_created.extend(created);
        conn.execute(
            "UPDATE outbox SET expect_json = ?2, created_json = ?3 WHERE seq = ?1",
            params![seq, json(&all_expect), json(&all_created)],
        )?;
        return Ok(());
    }
    conn.execute(
        "INSERT INTO outbox (seq, args_json, queued_at, state, expect_json, created_json)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5)",
        params![seq, json(line), super::instant_text(now), json(&expect), json(&created)],
    )?;
    Ok(())
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Every queued change, oldest first.
pub fn entries(conn: &Connection) -> Result<Vec<OutboxEntry>> {
    entries_where(conn, "1 = 1", [])
}

fn entries_where<P: rusqlite::Params>(
    conn: &Connection,
    filter: &str,
    params: P,
) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT seq, args_json, queued_at, state, expect_json, created_json, error_code, error_field, error_message,
                error_details
         FROM outbox WHERE {filter} ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, Option<String>>(9)?,
        ))
    })?;
    let mut all = Vec::new();
    for row in rows {
        let (seq, args, queued_at, state, expect, created, error_code, error_field, error_message, details) =
            row?;
        let bad = |e: serde_json::Error| KeelError::Schema(format!("outbox entry {seq}: {e}"));
        all.push(OutboxEntry {
            seq,
            line: serde_json::from_str(&args).map_err(bad)?,
            queued_at,
            state,
            expect: serde_json::from_str(&expect).map_err(bad)?,
            created: serde_json::from_str(&created).map_err(bad)?,
            error_code,
            error_field,
            error_message,
            error_details: details
                .map(|d| serde_json::from_str(&d))
                .transpose()
                .map_err(bad)?
                .unwrap_or_default(),
        });
    }
    Ok(all)
}

fn find(conn: &Connection, seq: i64) -> Result<Option<OutboxEntry>> {
    Ok(entries_where(conn, "seq = ?1", [seq])?.pop())
}

pub fn entry(conn: &Connection, seq: i64) -> Result<OutboxEntry> {
    find(conn, seq)?.ok_or_else(|| KeelError::not_found("unsynced change", seq))
}

/// How many changes wait to be sent, and how many the server refused.
pub fn counts(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'refused') FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The server acknowledged a change: its records' server ids are remembered for the
/// changes after it, and it leaves the outbox (its effects here stay until the copy
/// catches up with the server's own).
pub fn acknowledge(conn: &Connection, seq: i64, server_created: &[Created]) -> Result<()> {
    // Another process of this machine (the app's follower, say) may have sent it too.
    let Some(entry) = find(conn, seq)? else {
        return Ok(());
    };
    for ((table, local), server) in pairs(&entry.created, server_created) {
        set_server_id(conn, seq, &table, local, server)?;
    }
    remove(conn, seq)
}

/// Records the server's id for a record change `seq` was to make offline under `local`.
pub fn set_server_id(conn: &Connection, seq: i64, table: &str, local: i64, server: i64) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO outbox_ids (seq, tbl, local_id, server_id) VALUES (?1, ?2, ?3, ?4)",
        params![seq, table, local, server],
    )?;
    Ok(())
}

/// The records a change created here, each with the id the server gave it: the same
/// change creates the same records, table by table, in the same order.
pub fn pairs(here: &[Created], server: &[Created]) -> Vec<(Created, i64)> {
    let mut paired = Vec::new();
    for table in here.iter().map(|(t, _)| t).collect::<HashSet<_>>() {
        let local = here.iter().filter(|(t, _)| t == table).map(|(_, id)| *id);
        let given = server.iter().filter(|(t, _)| t == table).map(|(_, id)| *id);
        paired.extend(local.zip(given).map(|(local, given)| ((table.clone(), local), given)));
    }
    paired
}

/// Marks a change refused, with the server's answer (or this copy's own).
pub fn refuse(conn: &Connection, seq: i64, answer: &crate::ErrorBody) -> Result<()> {
    let details = (!answer.details.is_empty()).then(|| json(&answer.details));
    conn.execute(
        "UPDATE outbox SET state = 'refused', error_code = ?2, error_field = ?3, error_message = ?4, error_details = ?5
          WHERE seq = ?1",
        params![seq, answer.code, answer.field, answer.message, details],
    )?;
    Ok(())
}

pub fn set_line(conn: &Connection, seq: i64, line: &Value) -> Result<()> {
    conn.execute("UPDATE outbox SET args_json = ?2 WHERE seq = ?1", params![seq, json(line)])?;
    Ok(())
}

/// Empties the outbox and its id map (after [`undo_all`] took back their effects).
pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM outbox; DELETE FROM outbox_ids;")?;
    Ok(())
}

pub fn remove(conn: &Connection, seq: i64) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
    if conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? == 0 {
        conn.execute("DELETE FROM outbox_ids", [])?;
    }
    Ok(())
}

/// The server's id for a record created offline by change `seq`, once the server has
/// created it.
pub fn server_id(conn: &Connection, seq: i64, table: &str, local: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT server_id FROM outbox_ids WHERE seq = ?1 AND tbl = ?2 AND local_id = ?3",
            params![seq, table, local],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether queued changes have left their mark on this copy.
pub fn has_local_effects(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM outbox_undo)", [], |r| r.get(0))?)
}

/// Deals that queued changes touched here and the server has not confirmed yet.
pub fn waiting_deals(conn: &Connection) -> Result<HashSet<i64>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT json_extract(pk, '$.id') FROM outbox_undo WHERE tbl = 'deals'
         UNION SELECT DISTINCT json_extract(coalesce(row_json, '{}'), '$.deal_id') FROM outbox_undo
               WHERE tbl IN ('activities', 'stage_history', 'checklist_items', 'qualifications', 'proofs_of_concept')
         ",
    )?;
    let ids = stmt.query_map([], |r| r.get::<_, Option<i64>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ids.into_iter().flatten().collect())
}

/// Takes back everything queued changes wrote on this copy, newest first, inside the
/// caller's transaction: the copy is then exactly what the server last sent it.
pub fn undo_all(conn: &Connection) -> Result<usize> {
    capturing(conn, false).or_else(|_| Ok::<(), KeelError>(()))?;
    let notes = notes_after(conn, 0)?;
    if notes.is_empty() {
        return Ok(0);
    }
    conn.execute("INSERT INTO outbox_undoing (id) VALUES (1)", [])?;
    let inverse: Vec<FeedEntry> = notes
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, note)| FeedEntry {
            seq: i as i64,
            table: note.table,
            op: match note.op.as_str() {
                "insert" => "delete".to_string(),
                "delete" => "insert".to_string(),
                _ => "update".to_string(),
            },
            pk: note.pk,
            row: note.before,
        })
        .collect();
    let count = inverse.len();
    feed::apply(conn, &inverse)?;
    conn.execute("DELETE FROM outbox_undoing", [])?;
    conn.execute("DELETE FROM outbox_undo", [])?;
    // A refused change's records are gone from the copy now, and their ids free again
    // (this runs only when nothing waits, so no waiting change names them).
    conn.execute("UPDATE outbox SET created_json = '[]' WHERE state = 'refused'", [])?;
    Ok(count)
}

/// On the server, before a queued change runs: every value it was based on must still
/// be there, else it is refused, naming the field someone else changed.
pub fn check(conn: &Connection, expectations: &[Expectation]) -> Result<Expected> {
    if expectations.is_empty() {
        return Ok(Expected::Proceed);
    }
    let mut all_in_effect = true;
    let mut changes_something = false;
    let tables: std::collections::HashMap<String, feed::Table> =
        feed::tables(conn)?.into_iter().map(|t| (t.name.clone(), t)).collect();
    for e in expectations {
        // Only replicated tables and their own columns: the names come from a client.
        let table = tables
            .get(&e.table)
            .ok_or_else(|| KeelError::invalid("expect", format!("no table {}", e.table)))?;
        if e.absent {
            let key = e
                .key
                .as_ref()
                .ok_or_else(|| KeelError::invalid("expect", "a record made here is named by its key"))?;
            if current_row_by_key(conn, table, key)?.is_some() {
                let deal = key.get("deal_id").map_or_else(|| shown_id(e), Value::to_string);
                return Err(KeelError::ChangedMeanwhile {
                    field: if e.column.is_empty() { record_name(&e.table) } else { field_name(&e.column) },
                    message: format!(
                        "Deal {deal}: its {} was set by someone else since this change was made offline (retry to apply it anyway, or discard it)",
                        record_name(&e.table)
                    ),
                });
            }
            continue;
        }
        if !table.columns.iter().any(|c| c.name == e.column) {
            return Err(KeelError::invalid("expect", format!("{} has no column {}", e.table, e.column)));
        }
        let record = record_name(&e.table);
        let field = field_name(&e.column);
        let row = match &e.key {
            Some(key) => current_row_by_key(conn, table, key)?,
            None => current_row(conn, table, e.id)?,
        };
        let Some(row) = row else {
            return Err(KeelError::ChangedMeanwhile {
                field,
                message: format!(
                    "{record} {} was deleted by someone else since this change was made offline",
                    shown_id(e)
                ),
            });
        };
        let current = row.get(&e.column);
        changes_something |= e.to.as_ref().is_some_and(|to| *to != e.value);
        all_in_effect &= e.to.is_some() && current == e.to.as_ref();
        if current != Some(&e.value) && (e.to.is_none() || current != e.to.as_ref()) {
            return Err(KeelError::ChangedMeanwhile {
                message: format!(
                    "{} {}: its {} was changed by someone else since this change was made offline (retry to apply it anyway, or discard it)",
                    capitalized(&record),
                    shown_id(e),
                    field.replace('_', " ")
                ),
                field,
            });
        }
    }
    Ok(if all_in_effect && changes_something { Expected::AlreadyInEffect } else { Expected::Proceed })
}

/// The record's number as people know it: its id, or the id its key holds (a deal's
/// BANT shows as the deal's number).
fn shown_id(e: &Expectation) -> String {
    match &e.key {
        Some(Value::Object(fields)) => fields.values().map(Value::to_string).collect::<Vec<_>>().join("/"),
        _ => e.id.to_string(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// A table's record in words (`deals` → `deal`).
fn record_name(table: &str) -> String {
    match table {
        "activities" => "activity".into(),
        "proofs_of_concept" => "proof of concept".into(),
        "qualifications" => "qualification".into(),
        other => other.strip_suffix('s').unwrap_or(other).replace('_', " "),
    }
}

/// A column as the product names the field (`stage_id` → `stage`, `amount_minor` → `amount`).
fn field_name(column: &str) -> String {
    column.strip_suffix("_id").or_else(|| column.strip_suffix("_minor")).unwrap_or(column).to_string()
}

/// On the server, inside a command's transaction: the records it created (in the feed
/// after `after`), with a single integer key.
pub fn created_since(conn: &Connection, after: i64) -> Result<Vec<Created>> {
    let mut stmt = conn.prepare(
        "SELECT tbl, json_extract(pk, '$.id') FROM change_feed
         WHERE seq > ?1 AND op = 'insert' AND json_extract(pk, '$.id') IS NOT NULL ORDER BY seq",
    )?;
    let rows = stmt.query_map([after], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
