//! Numbered SQL migrations embedded in the binary. The schema version lives in
//! `PRAGMA user_version`. A shipped migration is never edited: add the next number.

use crate::{KeelError, Result};
use rusqlite::{Connection, OptionalExtension};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
    /// Work in Rust after the SQL, in the same transaction (deriving data, say).
    pub then: Option<fn(&Connection) -> Result<()>>,
}

/// In order; `version` must equal the number in the file name (checked by a test).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_foundation.sql",
        sql: include_str!("migrations/0001_foundation.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "0002_partner_program.sql",
        sql: include_str!("migrations/0002_partner_program.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "0003_imports.sql",
        sql: include_str!("migrations/0003_imports.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "0004_metrics.sql",
        sql: include_str!("migrations/0004_metrics.sql"),
        then: Some(super::facts::rebuild_all),
    },
    Migration {
        version: 5,
        name: "0005_incomplete_deals.sql",
        sql: include_str!("migrations/0005_incomplete_deals.sql"),
        then: None,
    },
    Migration {
        version: 6,
        name: "0006_imported_activities.sql",
        sql: include_str!("migrations/0006_imported_activities.sql"),
        then: None,
    },
    Migration {
        version: 7,
        name: "0007_team.sql",
        sql: include_str!("migrations/0007_team.sql"),
        then: None,
    },
    Migration {
        version: 8,
        name: "0008_outbox.sql",
        sql: include_str!("migrations/0008_outbox.sql"),
        then: None,
    },
    Migration {
        version: 9,
        name: "0009_partner_users.sql",
        sql: include_str!("migrations/0009_partner_users.sql"),
        then: None,
    },
    Migration {
        version: 10,
        name: "0010_forecast.sql",
        sql: include_str!("migrations/0010_forecast.sql"),
        then: None,
    },
    Migration {
        version: 11,
        name: "0011_deal_changes.sql",
        sql: include_str!("migrations/0011_deal_changes.sql"),
        then: None,
    },
    Migration {
        version: 12,
        name: "0012_history_by_time.sql",
        sql: include_str!("migrations/0012_history_by_time.sql"),
        then: None,
    },
    Migration {
        version: 13,
        name: "0013_history_by_time_covering.sql",
        sql: include_str!("migrations/0013_history_by_time_covering.sql"),
        then: None,
    },
    Migration {
        version: 14,
        name: "0014_changes_by_time_covering.sql",
        sql: include_str!("migrations/0014_changes_by_time_covering.sql"),
        then: None,
    },
    Migration {
        version: 15,
        name: "0015_ids_never_reused.sql",
        sql: include_str!("migrations/0015_ids_never_reused.sql"),
        then: Some(super::retired_ids::rebuild_with_autoincrement),
    },
    Migration {
        version: 16,
        name: "0016_server_versions.sql",
        sql: include_str!("migrations/0016_server_versions.sql"),
        then: None,
    },
];

/// Refuses an SQLite file that is not a Keel workspace (tables, but no Keel schema
/// version), reading only, so the file is left exactly as it was.
pub fn check_is_keel(conn: &Connection) -> Result<()> {
    let on_file: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if on_file == 0 {
        let foreign: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )?;
        if foreign > 0 {
            return Err(KeelError::Schema("this file is an SQLite database but not a Keel workspace".into()));
        }
    }
    Ok(())
}

/// A team copy is not migrated ahead of its server: a feed from an older schema would not
/// fit, and the server would refuse this app's changes anyway. A copy that last heard its
/// server at an older schema waits (the older app still opens it) until the server runs
/// this version. A copy from before the server's schema was kept migrates as it did.
pub fn check_copy_may_migrate(conn: &Connection, latest: u32) -> Result<()> {
    let knows_server: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('team_link') WHERE name = 'server_schema'",
        [],
        |r| r.get(0),
    )?;
    if !knows_server {
        return Ok(());
    }
    let server: Option<u32> = conn
        .query_row("SELECT server_schema FROM team_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten();
    match server {
        Some(server) if server < latest => Err(KeelError::Incompatible(format!(
            "this app is newer than the team server (schema {latest}; the server runs {server}): ask your admin to \
             update the server, or use the Keel version it runs; this copy was left as it was"
        ))),
        _ => Ok(()),
    }
}

pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every pending migration in one immediate transaction, so a crash leaves
/// the file at its old version or the new one, never between.
pub fn apply_migrations(conn: &mut Connection) -> Result<u32> {
    // The common case, an up-to-date file, takes no write lock: opening a workspace
    // must not queue behind another process's long write.
    let on_file: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if on_file == latest_version() {
        return Ok(on_file);
    }
    // A migration may rebuild a table other tables refer to (SQLite's way to relax a
    // column), which needs foreign keys off; they are checked in full before the commit.
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let applied = apply_in_transaction(conn);
    if enforced {
        conn.execute_batch("PRAGMA foreign_keys = ON")?;
    }
    applied
}

fn apply_in_transaction(conn: &mut Connection) -> Result<u32> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = latest_version();
    if current > latest {
        return Err(KeelError::Schema(format!(
            "this database has schema version {current}, newer than this Keel understands ({latest}); upgrade Keel"
        )));
    }
    check_is_keel(&tx)?;
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(migration.sql)
            .map_err(|e| KeelError::Schema(format!("migration {} failed: {e}", migration.name)))?;
        if let Some(then) = migration.then {
            then(&tx)?;
        }
        tx.pragma_update(None, "user_version", migration.version)?;
    }
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
    if broken > 0 {
        return Err(KeelError::Schema(format!(
            "the upgrade to schema {latest} would leave {broken} broken reference(s); nothing was changed"
        )));
    }
    tx.commit()?;
    Ok(latest)
}
