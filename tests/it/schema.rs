//! Migrations and connection settings.

use crate::CurrentUser;
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
    let accounts = keel::services::accounts::list(&ws, ws.me(), &Default::default()).expect("list");
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
    let ana = ws.principal(Some("Ana")).expect("a version 1 member acts");
    let accounts = keel::services::accounts::list(&ws, ana, &Default::default()).expect("accounts");
    assert_eq!(accounts.len(), 1, "data survives the upgrade");
    drop(ws);
    let fresh = Fixture::seeded();
    assert_eq!(schema_of(&old), schema_of(&fresh.path), "an upgraded file has exactly the fresh schema");
}

/// Every row of a table, each value rendered as text, in the order of all its columns
/// (some tables have no rowid).
fn rows_of(conn: &rusqlite::Connection, table: &str, columns: &[String]) -> Vec<String> {
    let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {}", columns.join(", "), order.join(", "));
    let mut stmt = conn.prepare(&sql).expect("select");
    let n = columns.len();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join("|"))
        })
        .expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

/// Each table of `conn` with its columns.
fn tables_of(conn: &rusqlite::Connection) -> Vec<(String, Vec<String>)> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    names
        .into_iter()
        .map(|t| {
            let cols = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .expect("columns")
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("names");
            (t, cols)
        })
        .collect()
}

/// The files in tests/fixtures/schema were written at each earlier schema version
/// (`make.py` there). Each upgrades to exactly the fresh schema, keeps every row it
/// held, passes `keel check`, and leaves a copy of itself as it was.
#[test]
fn every_earlier_schema_version_upgrades_to_the_fresh_schema_with_its_data() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema");
    let fresh = Fixture::seeded();
    for version in 1..latest_version() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keel.db");
        std::fs::copy(fixtures.join(format!("v{version}.db")), &path).expect("fixture");
        let before: Vec<(String, Vec<String>, Vec<String>)> = {
            let conn = rusqlite::Connection::open(&path).expect("open");
            let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
            assert_eq!(found, version, "fixture v{version}.db");
            tables_of(&conn)
                .into_iter()
                .map(|(t, cols)| {
                    let rows = rows_of(&conn, &t, &cols);
                    (t, cols, rows)
                })
                .collect()
        };
        assert!(
            before.iter().any(|(t, _, rows)| t == "deals" && rows.len() == 40),
            "the fixture holds deals"
        );

        let mut ws = Workspace::open(&path, Arc::new(SystemClock)).expect("upgrade");
        assert_eq!(ws.invariant_problems().expect("check"), Vec::<String>::new(), "v{version} after upgrade");
        keel::services::metrics::compute(&ws, ws.me(), &Default::default())
            .expect("reports run on the upgraded file");
        drop(ws);
        assert_eq!(
            schema_of(&path),
            schema_of(&fresh.path),
            "v{version} upgrades to exactly the fresh schema"
        );
        let conn = rusqlite::Connection::open(&path).expect("reopen");
        for (table, columns, rows) in &before {
            assert_eq!(&rows_of(&conn, table, columns), rows, "v{version}: {table} keeps its rows");
        }

        let kept = dir
            .path()
            .join("keel.db.backups")
            .join(format!("before-v{}-from-v{version}.db", latest_version()));
        let copy = rusqlite::Connection::open(&kept).expect("the copy from before the migration");
        let kept_version: u32 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(kept_version, version);
        assert_eq!(
            rows_of(&copy, "deals", &before.iter().find(|t| t.0 == "deals").expect("deals").1).len(),
            40
        );
    }
}

/// The desktop opens a workspace from two threads at once on its first start (the first
/// screen and the daily backup). When the file needs a migration, both take the copy
/// that comes first: neither may spoil the other's, and the file is migrated once.
#[test]
fn two_threads_opening_a_file_that_needs_a_migration_both_succeed() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keel.db");
    std::fs::copy(fixtures.join(format!("v{}.db", latest_version() - 1)), &path).expect("fixture");
    let opened: Vec<keel::Result<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                scope.spawn(move || Workspace::open_existing(&path, Arc::new(SystemClock))?.deal_count())
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for result in &opened {
        assert!(result.is_ok(), "{result:?}");
    }
    let conn = rusqlite::Connection::open(&path).expect("open");
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    assert_eq!(version, latest_version());
    let backups = dir.path().join("keel.db.backups");
    let leftovers: Vec<_> = std::fs::read_dir(&backups)
        .expect("backups")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no half-written copy is left behind: {leftovers:?}");
}

/// A record's id is never given again (a change queued offline against an account merged
/// away must not land on the next new one): every replicated table keyed by `id` is
/// AUTOINCREMENT, on a fresh file as on an upgraded one.
#[test]
fn an_account_merged_away_keeps_its_id_retired_and_every_replicated_id_is_autoincrement() {
    let mut fx = Fixture::seeded();
    let keep = fx.account("Nova Games", "novagames.com");
    let twin = fx.account("Nova Games GmbH", "novagames.de");
    keel::services::duplicates::merge(&mut fx.ws, fx.leader, keep, twin).expect("merge");
    let next = fx.account("Orbit Labs", "orbitlabs.io");
    assert!(next.0 > twin.0, "the merged-away id {} was given again as {}", twin.0, next.0);

    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    let keyed_by_id: Vec<(String, String)> = conn
        .prepare(
            "SELECT m.name, m.sql FROM sqlite_schema m JOIN pragma_table_info(m.name) c
              WHERE m.type = 'table' AND c.name = 'id' AND c.pk = 1 AND c.type = 'INTEGER'
                AND m.name NOT IN ('team_link', 'outbox_undo', 'outbox_undoing') AND m.name NOT LIKE 'sqlite_%'",
        )
        .expect("tables")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(keyed_by_id.len() > 20, "the workspace's record tables: {keyed_by_id:?}");
    let reusing: Vec<&String> =
        keyed_by_id.iter().filter(|(_, sql)| !sql.contains("AUTOINCREMENT")).map(|(name, _)| name).collect();
    assert!(reusing.is_empty(), "these tables would give a deleted row's id again: {reusing:?}");
}

/// A team copy is not migrated ahead of its server: one that last heard its server at an
/// older schema is refused by a newer app, naming who must update, and left as it was; a
/// copy whose server runs this schema (or that never said) migrates as before.
#[test]
fn a_team_copy_whose_server_runs_an_older_schema_is_not_migrated_ahead() {
    let fx = Fixture::seeded();
    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    conn.execute(
        "INSERT INTO team_link (id, server_url, member_id, credential, client_id, next_seq, position, server_schema)
         VALUES (1, 'https://crm.example.com', 1, 'secret', 'machine', 1, 0, ?1)",
        [latest_version() - 1],
    )
    .expect("link");
    let refused = keel::store::check_copy_may_migrate(&conn, latest_version()).expect_err("server is older");
    assert_eq!(refused.code(), "incompatible");
    assert!(refused.to_string().contains("ask your admin to update the server"), "{refused}");
    for server in [Some(latest_version()), None] {
        conn.execute("UPDATE team_link SET server_schema = ?1", [server]).expect("server schema");
        assert!(keel::store::check_copy_may_migrate(&conn, latest_version()).is_ok(), "{server:?}");
    }
}
