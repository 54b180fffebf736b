//! The SQLite store. Every SQL statement Keel runs lives under this module;
//! services call these functions and never write SQL. A shared-server edition
//! would replace this module and nothing above it.
//!
//! Grouped like the services, by area of the business (one folder each); each table
//! family is re-exported under its short path (`store::deals`). Workspace-wide pieces
//! (opening and migrating, backup, restore, the invariants `keel check` runs, the team
//! workspace's change feed) sit at the top.

pub mod access;
pub mod backup;
pub mod customers;
pub mod exchange;
pub mod feed;
pub mod invariants;
mod migrations;
pub mod outbox;
pub mod partner_program;
pub mod reporting;
pub mod restore;
mod retired_ids;
pub mod sales;

use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

pub use access::{audit, settings, team};
pub use customers::{accounts, contacts, onboarding};
pub use exchange::{exports, imports};
pub use migrations::{apply_migrations, check_copy_may_migrate, latest_version, MIGRATIONS};
pub use partner_program::{partner_users, partners, payouts, registrations, revenue};
pub use reporting::{as_of, facts, forecast, fx, search, targets};
pub use sales::{activities, deal_changes, deals, qualification, stages};

/// How long a writer waits for another (the desktop app and the CLI share one file)
/// before giving up with `busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) a Keel database file and brings its schema up to date:
/// for the commands that create a workspace.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| KeelError::Io {
            context: format!("cannot create directory {}", dir.display()),
            source,
        })?;
    }
    open_with(path, OpenFlags::SQLITE_OPEN_CREATE)
}

/// Opens an existing workspace and brings its schema up to date. A missing file is
/// refused, not created: a command that only reads (or a mistyped path) never leaves
/// a new workspace or folder behind.
pub fn open_existing(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(KeelError::NotAllowed(format!(
            "there is no Keel workspace at {} (create one first, or check the path)",
            path.display()
        )));
    }
    open_with(path, OpenFlags::empty())
}

fn open_with(path: &Path, create: OpenFlags) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | create | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    // Refuse a foreign SQLite file before anything (WAL mode, page size) touches it.
    migrations::check_is_keel(&conn).map_err(|e| match e {
        KeelError::Storage(inner) if inner.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) => {
            KeelError::NotAllowed(format!(
                "cannot read {}: it and its folder are read-only, and SQLite must create {}-shm beside \
                 it to read a workspace; copy the file to a folder you can write to",
                path.display(),
                path.display()
            ))
        }
        other => other,
    })?;
    let read_only = conn.is_readonly(rusqlite::MAIN_DB)?;
    configure(&conn, !read_only)?;
    // A schema change is the riskiest write Keel makes: keep the file as it was first.
    let on_file: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = migrations::latest_version();
    if read_only && on_file != latest {
        return Err(KeelError::NotAllowed(format!(
            "{} is read-only, and its schema (version {on_file}) needs upgrading to {latest} before Keel can open it",
            path.display()
        )));
    }
    if on_file > 0 && on_file < latest {
        migrations::check_copy_may_migrate(&conn, latest)?;
        backup::before_migration(&conn, path, on_file, latest)?;
    }
    apply_migrations(&mut conn)?;
    facts::track_changes(&conn)?;
    Ok(conn)
}

pub fn open_in_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn, false)?;
    apply_migrations(&mut conn)?;
    facts::track_changes(&conn)?;
    Ok(conn)
}

/// Pragmas set once per connection, before anything else runs on it.
fn configure(conn: &Connection, wal: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Only takes effect on a new, empty file, and must precede WAL mode.
    conn.execute_batch("PRAGMA page_size = 8192;")?;
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
/// The deal facts of whatever `f` touched are brought up to date before the commit.
pub fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    refuse_if_read_only(conn)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    facts::refresh_dirty(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// A workspace file without write permission can be read; a command that writes says
/// so plainly instead of SQLite's "attempt to write a readonly database".
fn refuse_if_read_only(conn: &Connection) -> Result<()> {
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        let path = conn.path().unwrap_or("the workspace").to_string();
        return Err(KeelError::NotAllowed(format!(
            "{path} is read-only (no write permission): Keel can show it but not change it"
        )));
    }
    Ok(())
}

/// Runs `f` in a transaction that is always rolled back (a dry run).
pub fn rehearse_tx<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&tx).and_then(|v| facts::refresh_dirty(&tx).map(|()| v));
    tx.rollback()?;
    value
}

/// Runs `f` with foreign-key enforcement off, restoring it afterwards whatever
/// happens. Only for generators that reference nothing but rows they have just
/// written (the demo): it saves millions of parent lookups, and the demo's tests
/// and `keel check` run the full foreign-key check over the result.
pub fn with_foreign_keys_off<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let result = f(conn);
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    result
}

/// Instants are stored as fixed-width UTC text so they sort and compare as text.
/// Written field by field: chrono's strftime parser is the demo's hottest path.
pub fn instant_text(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut text = String::with_capacity(24);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.timestamp_subsec_millis().min(999)
    );
    text
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
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
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

/// Runs a bulk load (demo, import) inside the caller's transaction with the given
/// tables' secondary indexes dropped, then rebuilds them from their own schema
/// text: one sort at the end is far cheaper than millions of random B-tree inserts.
/// On error the transaction rolls back and the indexes come back with it.
pub fn with_indexes_deferred<T>(
    conn: &Connection,
    tables: &[&str],
    load: impl FnOnce() -> Result<T>,
) -> Result<T> {
    // A bigger page cache, and a second sorter thread for the index rebuild.
    conn.execute_batch("PRAGMA cache_size = -262144; PRAGMA threads = 2;")?;
    let mut indexes: Vec<(String, String)> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
        )?;
        for table in tables {
            let found = stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?;
            indexes.extend(found.collect::<rusqlite::Result<Vec<_>>>()?);
        }
    }
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    let value = load()?;
    for (_, sql) in &indexes {
        conn.execute_batch(sql)?;
    }
    Ok(value)
}

/// `%words%` with LIKE's wildcards taken literally.
pub fn like_pattern(words: &str) -> String {
    let escaped = words.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}
