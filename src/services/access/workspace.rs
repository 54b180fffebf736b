use crate::clock::Clock;
use crate::domain::TeamMemberId;
use crate::store::{self, settings, team::TeamMember};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open Keel workspace: one SQLite connection and the clock its rules read.
pub struct Workspace {
    conn: Connection,
    clock: Arc<dyn Clock>,
    path: Option<PathBuf>,
}

const CURRENT_USER: &str = "current_user_id";
const POC_MIN_DAYS: &str = "poc_min_days";
const POC_MAX_DAYS: &str = "poc_max_days";

/// Workspace-wide configuration, with the go-to-market document's defaults.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Shortest allowed proof-of-concept evaluation period, in days.
    pub poc_min_days: u32,
    /// Longest allowed proof-of-concept evaluation period, in days.
    pub poc_max_days: u32,
    pub current_user: Option<String>,
}

impl Workspace {
    /// Opens the workspace file, creating and migrating it as needed: for the commands
    /// that create a workspace.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
        Ok(Workspace { conn: store::open(path)?, clock, path: Some(path.to_path_buf()) })
    }

    /// Opens an existing workspace file (migrating it if needed); a missing file is
    /// refused, so a read never creates anything.
    pub fn open_existing(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
        Ok(Workspace { conn: store::open_existing(path)?, clock, path: Some(path.to_path_buf()) })
    }

    pub fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Workspace> {
        Ok(Workspace { conn: store::open_in_memory()?, clock, path: None })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the clock reading `at`, then restores the workspace's own clock:
    /// for the demo, which books past months' payouts on the days they would have run.
    pub(crate) fn as_of<T>(
        &mut self,
        at: DateTime<Utc>,
        f: impl FnOnce(&mut Workspace) -> Result<T>,
    ) -> Result<T> {
        let own = std::mem::replace(&mut self.clock, Arc::new(crate::clock::FixedClock::at(at)));
        let result = f(self);
        self.clock = own;
        result
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// One command, one transaction: `f` commits on `Ok` and leaves nothing on `Err`.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>) -> Result<T> {
        let now = self.clock.now();
        store::with_tx(&mut self.conn, |tx| f(tx, now))
    }

    /// Runs `f` exactly as [`Workspace::write`] would, then rolls everything back: a
    /// dry run that takes the real code path and keeps nothing.
    pub(crate) fn rehearse<T>(
        &mut self,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        store::rehearse_tx(&mut self.conn, |tx| f(tx, now))
    }

    /// Like [`Workspace::write`], for the demo generator only: see
    /// [`store::with_foreign_keys_off`] for why and how it stays sound.
    pub(crate) fn write_generated<T>(
        &mut self,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        store::with_foreign_keys_off(&mut self.conn, |conn| store::with_tx(conn, |tx| f(tx, now)))
    }

    /// Whether `keel init` has run (the default pipeline exists).
    pub fn is_initialized(&self) -> Result<bool> {
        Ok(store::stages::default_pipeline(&self.conn).is_ok())
    }

    pub fn settings(&self) -> Result<Settings> {
        let number = |key: &str, default: u32| -> Result<u32> {
            Ok(settings::get(&self.conn, key)?.and_then(|v| v.parse().ok()).unwrap_or(default))
        };
        Ok(Settings {
            poc_min_days: number(POC_MIN_DAYS, 30)?,
            poc_max_days: number(POC_MAX_DAYS, 60)?,
            current_user: self.current_user()?.map(|m| m.name),
        })
    }

    /// Sets the proof-of-concept evaluation bounds (the seed's default is 30–60 days).
    pub fn set_poc_bounds(&mut self, actor: TeamMemberId, min_days: u32, max_days: u32) -> Result<Settings> {
        if min_days == 0 {
            return Err(KeelError::invalid("poc_min_days", "must be at least 1 day"));
        }
        if max_days < min_days {
            return Err(KeelError::invalid(
                "poc_max_days",
                format!("must be at least poc_min_days ({min_days})"),
            ));
        }
        if max_days > 366 {
            return Err(KeelError::invalid("poc_max_days", "must be at most 366 days"));
        }
        self.write(|tx, now| {
            settings::set(tx, POC_MIN_DAYS, &min_days.to_string())?;
            settings::set(tx, POC_MAX_DAYS, &max_days.to_string())?;
            crate::services::record(
                tx,
                now,
                Some(actor),
                "settings.poc_bounds",
                "settings",
                0,
                serde_json::json!({"min_days": min_days, "max_days": max_days}),
            )
        })?;
        self.settings()
    }

    /// The team member this workspace acts as when no `--as` is given.
    pub fn current_user(&self) -> Result<Option<TeamMember>> {
        match settings::get(&self.conn, CURRENT_USER)?.and_then(|v| v.parse().ok()) {
            Some(id) => Ok(Some(store::team::get(&self.conn, TeamMemberId(id))?)),
            None => Ok(None),
        }
    }

    pub fn set_current_user(&mut self, name: &str) -> Result<TeamMember> {
        let member = crate::services::team::find(self, name)?;
        let id = member.id;
        self.write(|tx, _| settings::set(tx, CURRENT_USER, &id.to_string()))?;
        Ok(member)
    }

    /// Who is acting: the named member, else the workspace's current user.
    pub fn actor(&self, name: Option<&str>) -> Result<TeamMemberId> {
        match name {
            Some(name) => Ok(crate::services::team::find(self, name)?.id),
            None => self.current_user()?.map(|m| m.id).ok_or_else(|| {
                KeelError::NotAllowed("no acting member: choose who you are first".to_string())
            }),
        }
    }

    /// Runs SQLite's integrity and foreign-key checks.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        store::integrity_problems(&self.conn)
    }

    /// Whether the file lacks write permission (reads work; every write is refused).
    pub fn is_read_only(&self) -> Result<bool> {
        Ok(self.conn.is_readonly(rusqlite::MAIN_DB)?)
    }

    /// Keel's own invariants (ledger, statements, registrations, history, facts); see
    /// [`store::invariants`].
    pub fn invariant_problems(&mut self) -> Result<Vec<String>> {
        store::invariants::problems(&mut self.conn)
    }

    /// Rebuilds `deal_facts` from the deals, in one transaction (`keel check --rebuild-facts`).
    pub fn rebuild_facts(&mut self) -> Result<()> {
        self.write(|tx, _| store::facts::rebuild_all(tx))
    }

    /// Writes a consistent copy of the workspace to `dest`: `VACUUM INTO` a temporary
    /// file beside it, synced, checked by opening it, then renamed over `dest`. A crash
    /// part-way leaves `dest` as it was.
    pub fn backup_to(&self, dest: &Path) -> Result<u64> {
        store::backup::copy_to(&self.conn, dest)
    }

    /// Once a day (by the workspace clock): a copy in `<file>.backups/daily-DATE.db`,
    /// keeping the newest `keep`. None when today's copy exists or the workspace is in memory.
    pub fn daily_backup(&self, keep: usize) -> Result<Option<PathBuf>> {
        match &self.path {
            Some(path) => store::backup::daily(&self.conn, path, self.today(), keep),
            None => Ok(None),
        }
    }

    pub fn deal_count(&self) -> Result<i64> {
        store::deals::count(&self.conn)
    }

    pub fn audit_log(
        &self,
        entity: Option<&str>,
        entity_id: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<store::audit::AuditEntry>> {
        store::audit::list(&self.conn, entity, entity_id, crate::services::page_size(limit))
    }

    pub(crate) fn set_setting(tx: &Connection, key: &str, value: &str) -> Result<()> {
        settings::set(tx, key, value)
    }
}
