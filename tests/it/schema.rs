//! Migrations and connection settings.

use crate::Fixture;
use keel::clock::SystemClock;
use keel::services::Workspace;
use keel::store::{latest_version, MIGRATIONS};
use std::sync::Arc;

#[test]
fn migrations_are_numbered_like_their_files_and_consecutive() {
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert_eq!(m.version as usize, i + 1, "versions start at 1 with no gaps");
        assert!(m.name.starts_with(&format!("{:04}_", m.version)), "{} must carry its version", m.name);
    }
}

#[test]
fn a_fresh_database_gets_the_latest_schema_with_strict_tables() {
    let fx = Fixture::seeded();
    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, latest_version());
    let non_strict: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND strict = 0 AND name NOT LIKE 'sqlite_%'")
        .expect("table list")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(non_strict.is_empty(), "every table is STRICT, these are not: {non_strict:?}");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal", "file workspaces use WAL so the app and the CLI can share them");
    assert!(fx.ws.integrity_problems().expect("check").is_empty());
}

#[test]
fn reopening_is_idempotent_and_keeps_data() {
    let mut fx = Fixture::seeded();
    fx.account("Nova Games", "novagames.com");
    drop(std::mem::replace(&mut fx.ws, Workspace::open_in_memory(Arc::new(SystemClock)).expect("mem")));
    let ws = Workspace::open(&fx.path, Arc::new(SystemClock)).expect("reopen");
    let accounts = keel::services::accounts::list(&ws, &Default::default()).expect("list");
    assert_eq!(accounts.len(), 1, "data survives a reopen and migrations do not run twice");
}

#[test]
fn a_newer_schema_is_refused_not_downgraded() {
    let fx = Fixture::seeded();
    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    conn.pragma_update(None, "user_version", latest_version() + 1).expect("bump");
    drop(conn);
    let err = Workspace::open(&fx.path, Arc::new(SystemClock)).err().expect("must refuse");
    assert!(err.to_string().contains("newer than this Keel"), "{err}");
    assert_eq!(err.code(), "schema");
}

#[test]
fn a_foreign_sqlite_file_is_not_taken_over() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path).expect("open").execute_batch("CREATE TABLE t (x)").expect("create");
    let err = Workspace::open(&path, Arc::new(SystemClock)).err().expect("must refuse");
    assert!(err.to_string().contains("not a Keel workspace"), "{err}");
}

#[test]
fn each_connection_enforces_foreign_keys_and_waits_when_busy() {
    let fx = Fixture::seeded();
    let conn = keel::store::open(&fx.path).expect("store connection");
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("fk");
    assert_eq!(fk, 1);
    let timeout: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).expect("timeout");
    assert!(timeout >= 5_000, "a writer waits for another instead of failing at once (got {timeout} ms)");
    let err = conn
        .execute(
            "INSERT INTO contacts (account_id, name, email, created_at) VALUES (999, 'x', 'x@y.io', 'now')",
            [],
        )
        .expect_err("unknown account");
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

#[test]
fn stage_history_and_audit_log_reject_update_and_delete() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    keel::services::deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    for sql in [
        "UPDATE stage_history SET amount_minor = 1",
        "DELETE FROM stage_history",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
    ] {
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

fn schema_of(path: &std::path::Path) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .expect("schema");
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

#[test]
fn a_version_1_database_upgrades_to_the_fresh_schema_with_its_data() {
    let dir = tempfile::tempdir().expect("dir");
    let old = dir.path().join("v1.db");
    {
        let conn = rusqlite::Connection::open(&old).expect("open");
        conn.execute_batch(MIGRATIONS[0].sql).expect("schema 1");
        conn.pragma_update(None, "user_version", 1).expect("version");
        conn.execute_batch(
            "INSERT INTO team_members (name, role, created_at) VALUES ('Ana', 'account-executive', '2026-01-01T00:00:00.000Z');
             INSERT INTO accounts (name, domain, segment, created_at) VALUES ('Nova', 'nova.io', 'enterprise', '2026-01-01T00:00:00.000Z');",
        )
        .expect("data");
    }
    let ws = Workspace::open(&old, Arc::new(SystemClock)).expect("upgrade");
    let accounts = keel::services::accounts::list(&ws, &Default::default()).expect("accounts");
    assert_eq!(accounts.len(), 1, "data survives the upgrade");
    drop(ws);
    let fresh = Fixture::seeded();
    assert_eq!(schema_of(&old), schema_of(&fresh.path), "an upgraded file has exactly the fresh schema");
}
