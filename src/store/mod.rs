//! The SQLite store. Every SQL statement Keel runs lives under this module;
//! services call these functions and never write SQL. A shared-server edition
//! would replace this module and nothing above it.

pub mod accounts;
pub mod activities;
pub mod audit;
pub mod contacts;
pub mod deals;
mod migrations;
pub mod onboarding;
pub mod qualification;
pub mod settings;
pub mod stages;
pub mod team;

use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

pub use migrations::{apply_migrations, latest_version, MIGRATIONS};

/// How long a writer waits for another (the desktop app and the CLI share one file)
/// before giving up with `busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) a Keel database file and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| KeelError::Io {
            context: format!("cannot create directory {}", dir.display()),
            source,
        })?;
    }
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, true)?;
    apply_migrations(&mut conn)?;
    Ok(conn)
}

pub fn open_in_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn, false)?;
    apply_migrations(&mut conn)?;
    Ok(conn)
}

/// Pragmas set once per connection, before anything else runs on it.
fn configure(conn: &Connection, wal: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if wal {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(KeelError::Schema(format!("cannot switch the database to WAL mode (got {mode})")));
        }
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;")?;
    Ok(())
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction: committed on `Ok`, rolled back on `Err`.
/// Immediate, so two writers queue on the busy timeout instead of failing mid-way.
pub fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Instants are stored as fixed-width UTC text so they sort and compare as text.
pub fn instant_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn parse_instant(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub fn parse_day(text: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Reads a row's column as an instant.
pub(crate) fn get_instant(row: &rusqlite::Row<'_>, column: &str) -> rusqlite::Result<DateTime<Utc>> {
    parse_instant(&row.get::<_, String>(column)?)
}

pub(crate) fn get_opt_instant(
    row: &rusqlite::Row<'_>,
    column: &str,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    row.get::<_, Option<String>>(column)?.as_deref().map(parse_instant).transpose()
}

pub(crate) fn get_day(row: &rusqlite::Row<'_>, column: &str) -> rusqlite::Result<NaiveDate> {
    parse_day(&row.get::<_, String>(column)?)
}

pub(crate) fn get_opt_day(row: &rusqlite::Row<'_>, column: &str) -> rusqlite::Result<Option<NaiveDate>> {
    row.get::<_, Option<String>>(column)?.as_deref().map(parse_day).transpose()
}

pub(crate) fn get_currency(
    row: &rusqlite::Row<'_>,
    column: &str,
) -> rusqlite::Result<crate::money::Currency> {
    let code: String = row.get(column)?;
    crate::money::Currency::parse(column, &code)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Turns "no rows" into a typed `NotFound` for the entity being looked up.
pub(crate) fn found<T>(result: rusqlite::Result<T>, entity: &'static str, key: impl ToString) -> Result<T> {
    match result {
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(KeelError::not_found(entity, key)),
        other => Ok(other?),
    }
}

/// Integrity and foreign-key checks; an empty list means the file is sound.
pub fn integrity_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    problems.retain(|p| p != "ok");
    let fk: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")?
        .query_map([], |r| {
            Ok(format!(
                "foreign key violation in {} row {:?}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    problems.extend(fk);
    Ok(problems)
}

/// A larger page cache for one long bulk transaction (demo, import): index pages
/// stay in memory instead of being re-read for every insert.
pub fn tune_for_bulk_load(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA cache_size = -262144;")?;
    Ok(())
}
