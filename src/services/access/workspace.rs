use crate::clock::Clock;
use crate::domain::TeamMemberId;
use crate::store::{self, settings, team::TeamMember};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open Keel workspace: one SQLite connection and the clock its rules read. The
/// connection is read-only (`PRAGMA query_only`) except inside the workspace's own
/// writing paths ([`Workspace::write`] and its kin), so a read can never write: a service
/// that only holds `&Workspace` reads, whatever it calls.
pub struct Workspace {
    conn: Connection,
    clock: Arc<dyn Clock>,
    path: Option<PathBuf>,
    /// A team workspace's local copy: written only by its server's change feed.
    replica: bool,
    /// On the team server: the client command the next write applies, recorded in the
    /// same transaction so a retry of that command applies once.
    stamp: Option<CommandStamp>,
    /// On the team server, for a job: commit a long import every so many rows and pause,
    /// so other members' commands get the write lock in between.
    import_slices: Option<ImportSlices>,
    /// On a team copy while the server cannot be reached: the change the next writes
    /// make, applied here at once and kept in the outbox under this number.
    queued: Option<QueuedChange>,
}

/// What became of feed entries offered to a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedApplied {
    Applied,
    /// Changes made here offline wait to be sent first.
    OutboxWaiting,
    /// The copy had already moved past where the entries start (applied meanwhile).
    MovedOn,
}

/// A change made on a team copy while its server cannot be reached.
#[derive(Debug, Clone)]
pub struct QueuedChange {
    pub seq: i64,
    /// The change as the outbox keeps it (see [`store::outbox::OutboxEntry`]).
    pub line: serde_json::Value,
    /// The fields (table, column) the change sets as typed.
    pub sets: Vec<(String, String)>,
}

/// How a long import lets others write: rows per commit, and the pause after each.
#[derive(Debug, Clone, Copy)]
pub struct ImportSlices {
    pub rows: usize,
    pub pause: std::time::Duration,
}

/// Which client command a write applies, and for whom.
#[derive(Debug, Clone)]
pub struct CommandStamp {
    pub client_id: String,
    pub seq: i64,
    pub member: TeamMemberId,
    /// For a change made offline: the values it was based on (see [`store::outbox::check`]).
    pub expect: Vec<store::outbox::Expectation>,
    /// What the change was (a digest of it), kept with its number in the same transaction:
    /// the same number sent again with another change is refused, never answered as done.
    pub fingerprint: Option<String>,
}

const CURRENT_USER: &str = "current_user_id";
const POC_MIN_DAYS: &str = "poc_min_days";
const POC_MAX_DAYS: &str = "poc_max_days";

/// Workspace-wide configuration, with the go-to-market document's defaults.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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
        Workspace::around(store::open(path)?, clock, Some(path))
    }

    fn around(conn: Connection, clock: Arc<dyn Clock>, path: Option<&Path>) -> Result<Workspace> {
        let replica = store::feed::link(&conn)?.is_some();
        conn.execute_batch("PRAGMA query_only = ON")?;
        Ok(Workspace {
            conn,
            clock,
            path: path.map(Path::to_path_buf),
            replica,
            stamp: None,
            import_slices: None,
            queued: None,
        })
    }

    /// Opens an existing workspace file (migrating it if needed); a missing file is
    /// refused, so a read never creates anything.
    pub fn open_existing(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
        Workspace::around(store::open_existing(path)?, clock, Some(path))
    }

    pub fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Workspace> {
        Workspace::around(store::open_in_memory()?, clock, None)
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

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
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

    /// Runs `f` with writing allowed on the connection, then makes it read-only again
    /// (whatever `f` returned); nested calls leave it writable until the outer one ends.
    fn writing<T>(&mut self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let was_read_only: bool = self.conn.query_row("PRAGMA query_only", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA query_only = OFF")?;
        let result = f(&mut self.conn);
        if was_read_only {
            self.conn.execute_batch("PRAGMA query_only = ON")?;
        }
        result
    }

    /// One command, one transaction: `f` commits on `Ok` and leaves nothing on `Err`.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>) -> Result<T> {
        if self.replica {
            return match self.queued.clone() {
                Some(change) => self.write_queued(&change, f),
                None => Err(KeelError::ReplicaWrite),
            };
        }
        let now = self.clock.now();
        let stamp = self.stamp.take();
        self.writing(|conn| {
            store::with_tx(conn, |tx| {
                let before = match &stamp {
                    Some(stamp) => {
                        store::outbox::check(tx, &stamp.expect)?;
                        store::feed::position(tx)?
                    }
                    None => 0,
                };
                let value = f(tx, now)?;
                if let Some(stamp) = &stamp {
                    let created = store::outbox::created_since(tx, before)?;
                    store::feed::record_applied(
                        tx,
                        &stamp.client_id,
                        stamp.seq,
                        stamp.member,
                        now,
                        &created,
                        stamp.fingerprint.as_deref(),
                    )?;
                }
                Ok(value)
            })
        })
    }

    /// A change on a team copy while offline: applied here, with notes of every row it
    /// wrote, and filed in the outbox, in one transaction.
    /// [`Workspace::write`] on behalf of `who`, who must still be on the team when the
    /// transaction starts: a principal authenticated before its member left acts no more.
    pub(crate) fn write_as<T>(
        &mut self,
        who: crate::services::policy::Principal,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        self.write(|tx, now| {
            crate::services::policy::active_member(tx, who.member())?;
            f(tx, now)
        })
    }

    fn write_queued<T>(
        &mut self,
        change: &QueuedChange,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        self.writing(|conn| store::outbox::install_capture(conn))?;
        self.writing(|conn| {
            store::with_tx(conn, |tx| {
                let after = store::outbox::last_note(tx)?;
                store::outbox::capturing(tx, true)?;
                let value = f(tx, now);
                store::outbox::capturing(tx, false)?;
                let value = value?;
                store::outbox::record(tx, change.seq, &change.line, &change.sets, after, now)?;
                Ok(value)
            })
        })
    }

    /// On a team copy: the next writes are a change made offline (see [`QueuedChange`]).
    pub fn queue_next_writes(&mut self, change: Option<QueuedChange>) {
        self.queued = change;
    }

    /// On a team copy: the outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<store::outbox::OutboxEntry>> {
        store::outbox::entries(&self.conn)
    }

    /// On a team copy: how many changes wait to be sent, and how many were refused.
    pub fn outbox_counts(&self) -> Result<(i64, i64)> {
        store::outbox::counts(&self.conn)
    }

    /// On a team copy: deals with changes made here that the server has not confirmed.
    pub fn waiting_deals(&self) -> Result<std::collections::HashSet<i64>> {
        store::outbox::waiting_deals(&self.conn)
    }

    /// On a team copy: runs `f` on the outbox in one transaction.
    pub fn outbox_tx<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.writing(|conn| store::with_tx(conn, f))
    }

    /// On the team server: whether a change made offline still meets what it was based on.
    pub fn check_expectations(
        &self,
        expect: &[store::outbox::Expectation],
    ) -> Result<store::outbox::Expected> {
        store::outbox::check(&self.conn, expect)
    }

    /// On the team server: the records an applied command created.
    pub fn applied_created(&self, client_id: &str, seq: i64) -> Result<Vec<store::outbox::Created>> {
        store::feed::applied_created(&self.conn, client_id, seq)
    }

    /// Whether this is a team workspace's local copy (see [`Workspace::write`]).
    pub fn is_replica(&self) -> bool {
        self.replica
    }

    /// The team server this copy follows, if it is one.
    pub fn team_link(&self) -> Result<Option<store::feed::TeamLink>> {
        store::feed::link(&self.conn)
    }

    /// Makes a freshly downloaded copy follow its server (`keel join`).
    pub fn follow(&mut self, link: &store::feed::TeamLink) -> Result<()> {
        self.writing(|conn| store::with_tx(conn, |tx| store::feed::set_link(tx, link)))?;
        self.replica = true;
        Ok(())
    }

    /// Where the copy stands in its server's feed, with the server's fingerprint of it.
    pub fn position_check(&self) -> Result<Option<(i64, String)>> {
        store::feed::position_check(&self.conn)
    }

    /// Keeps the server's fingerprint of the feed entry the copy stands at (on joining).
    pub fn keep_position_check(&mut self, position: i64, check: &str) -> Result<()> {
        self.writing(|conn| {
            store::with_tx(conn, |tx| store::feed::set_position_checked(tx, position, Some(check)))
        })
    }

    /// Forgets this machine's credential and session (it left the team); the copy reads on.
    pub fn forget_team_credential(&mut self) -> Result<()> {
        self.writing(|conn| store::with_tx(conn, store::feed::forget_credential))
    }

    /// Notes that the credential is kept outside the copy's file (`remote::credentials`),
    /// and clears it from the file.
    pub fn keep_team_credential_outside(&mut self) -> Result<()> {
        self.writing(|conn| store::with_tx(conn, store::feed::credential_kept_outside))
    }

    /// Keeps what the team server said of itself (its epoch, its schema version).
    pub fn note_server(&mut self, epoch: Option<&str>, schema: Option<u32>) -> Result<()> {
        self.writing(|conn| store::with_tx(conn, |tx| store::feed::note_server(tx, epoch, schema)))
    }

    /// The number of this copy's next command to the server, taken once so that a
    /// retry of the same command carries the same number.
    pub fn take_command_seq(&mut self) -> Result<i64> {
        self.writing(|conn| store::with_tx(conn, store::feed::take_command_seq))
    }

    /// Replays the server's feed on this copy, and where it now stands, in one
    /// transaction: a copy is never half caught up.
    /// Like [`Workspace::apply_feed`] for the entries after `from`, unless a change made
    /// here offline waits to be sent (another process of this machine may have just
    /// kept one), or another process of this machine (the app's follower, a command)
    /// applied feed entries meanwhile: both are checked inside the transaction.
    pub fn apply_feed_from(
        &mut self,
        from: i64,
        entries: &[store::feed::FeedEntry],
        position: i64,
        check: Option<&str>,
    ) -> Result<FeedApplied> {
        self.writing(|conn| {
            store::with_tx(conn, |tx| {
                if store::outbox::counts(tx)?.0 > 0 {
                    return Ok(FeedApplied::OutboxWaiting);
                }
                if store::feed::link(tx)?.map(|l| l.position) != Some(from) {
                    return Ok(FeedApplied::MovedOn);
                }
                store::outbox::undo_all(tx)?;
                store::feed::apply(tx, entries)?;
                match check {
                    Some(check) => store::feed::set_position_checked(tx, position, Some(check))?,
                    None => store::feed::set_position(tx, position)?,
                }
                Ok(FeedApplied::Applied)
            })
        })
    }

    /// On a team copy: drops every change the server has not taken (waiting or refused)
    /// and takes back their effects, in one transaction. Returns how many were dropped.
    pub fn discard_outbox(&mut self) -> Result<i64> {
        self.writing(|conn| {
            store::with_tx(conn, |tx| {
                let (waiting, refused) = store::outbox::counts(tx)?;
                store::outbox::undo_all(tx)?;
                store::outbox::clear(tx)?;
                Ok(waiting + refused)
            })
        })
    }

    /// Changes made here offline and not yet confirmed are taken back first (the
    /// server's feed carries what it made of them).
    pub fn apply_feed(&mut self, entries: &[store::feed::FeedEntry], position: i64) -> Result<()> {
        self.writing(|conn| {
            store::with_tx(conn, |tx| {
                store::outbox::undo_all(tx)?;
                store::feed::apply(tx, entries)?;
                store::feed::set_position(tx, position)
            })
        })
    }

    /// On the team server: every write of this connection feeds the replicas.
    pub fn capture_changes(&mut self) -> Result<()> {
        self.writing(|conn| store::feed::capture(conn))
    }

    /// On the team server, for a job: imports commit in slices (see [`ImportSlices`]).
    pub fn slice_imports(&mut self, slices: Option<ImportSlices>) {
        self.import_slices = slices;
    }

    pub(crate) fn import_slices(&self) -> Option<ImportSlices> {
        self.import_slices
    }

    /// On the team server: the next write applies this client command.
    pub fn stamp_next_write(&mut self, stamp: Option<CommandStamp>) {
        self.stamp = stamp;
    }

    /// On the team server: whether a client command was applied, and its answer then.
    pub fn applied_command(&self, client_id: &str, seq: i64) -> Result<Option<Option<serde_json::Value>>> {
        store::feed::applied(&self.conn, client_id, seq)
    }

    pub fn remember_command_result(
        &mut self,
        client_id: &str,
        seq: i64,
        result: &serde_json::Value,
    ) -> Result<()> {
        self.writing(|conn| {
            store::with_tx(conn, |tx| store::feed::set_applied_result(tx, client_id, seq, result))
        })
    }

    pub fn feed_position(&self) -> Result<i64> {
        store::feed::position(&self.conn)
    }

    pub fn feed_since(&self, after: i64, limit: u32) -> Result<Vec<store::feed::FeedEntry>> {
        store::feed::since(&self.conn, after, limit)
    }

    /// Runs `f` exactly as [`Workspace::write`] would, then rolls everything back: a
    /// dry run that takes the real code path and keeps nothing.
    pub(crate) fn rehearse<T>(
        &mut self,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        self.writing(|conn| store::rehearse_tx(conn, |tx| f(tx, now)))
    }

    /// Like [`Workspace::write`], for the demo generator only: see
    /// [`store::with_foreign_keys_off`] for why and how it stays sound.
    pub(crate) fn write_generated<T>(
        &mut self,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        if self.replica {
            return Err(KeelError::ReplicaWrite);
        }
        let now = self.clock.now();
        self.writing(|conn| store::with_foreign_keys_off(conn, |conn| store::with_tx(conn, |tx| f(tx, now))))
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
    pub fn set_poc_bounds(
        &mut self,
        who: crate::services::policy::Principal,
        min_days: u32,
        max_days: u32,
    ) -> Result<Settings> {
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
            crate::services::policy::require(
                tx,
                who,
                crate::services::policy::Capability::LeadSales,
                "change the proof-of-concept bounds",
            )?;
            settings::set(tx, POC_MIN_DAYS, &min_days.to_string())?;
            settings::set(tx, POC_MAX_DAYS, &max_days.to_string())?;
            crate::services::record(
                tx,
                now,
                Some(who.member()),
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
        if let Some(link) = self.team_link()? {
            return Ok(Some(store::team::get(&self.conn, link.member_id)?));
        }
        match settings::get(&self.conn, CURRENT_USER)?.and_then(|v| v.parse().ok()) {
            Some(id) => Ok(Some(store::team::get(&self.conn, TeamMemberId(id))?)),
            None => Ok(None),
        }
    }

    pub fn set_current_user(&mut self, name: &str) -> Result<TeamMember> {
        if self.replica {
            return Err(KeelError::NotAllowed(
                "a team workspace acts as the member who joined it on this machine".into(),
            ));
        }
        let member = crate::services::team::find(self, name)?;
        let id = member.id;
        self.write(|tx, _| settings::set(tx, CURRENT_USER, &id.to_string()))?;
        Ok(member)
    }

    /// Who is acting: the named member, else the workspace's current user. In a team
    /// workspace's copy, always the member who joined with it: nobody names someone else.
    pub fn principal(&self, name: Option<&str>) -> Result<crate::services::policy::Principal> {
        if let Some(link) = self.team_link()? {
            if name.is_some() {
                return Err(KeelError::NotAllowed(
                    "a team workspace acts as the member who joined it on this machine; acting as someone else is refused"
                        .into(),
                ));
            }
            return crate::services::policy::authenticate(&self.conn, link.member_id);
        }
        let id = match name {
            Some(name) => crate::services::team::find(self, name)?.id,
            None => match self.current_user()? {
                Some(member) => member.id,
                // Every read acts for someone too, so an empty team says how to start it.
                None if store::team::count(&self.conn)? == 0 => {
                    return Err(KeelError::NotAllowed(
                        "the workspace has no team yet: add yourself as its first member".to_string(),
                    ))
                }
                None => {
                    return Err(KeelError::NotAllowed(
                        "no acting member: choose who you are first".to_string(),
                    ))
                }
            },
        };
        crate::services::policy::authenticate(&self.conn, id)
    }

    /// The principal for a member the front door has authenticated by other means (the
    /// team server's session, a test's own member).
    pub fn authenticate(&self, member: TeamMemberId) -> Result<crate::services::policy::Principal> {
        crate::services::policy::authenticate(&self.conn, member)
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
        self.writing(store::invariants::problems)
    }

    /// Rebuilds `deal_facts` from the deals, in one transaction (`keel check --rebuild-facts`).
    pub fn rebuild_facts(&mut self) -> Result<()> {
        // Derived data: a team workspace's copy rebuilds its own.
        self.writing(|conn| store::with_tx(conn, store::facts::rebuild_all))
    }

    /// Writes a consistent copy of the workspace to `dest`: `VACUUM INTO` a temporary
    /// file beside it, synced, checked by opening it, then renamed over `dest`. A crash
    /// part-way leaves `dest` as it was.
    pub fn backup_to(&self, dest: &Path) -> Result<u64> {
        self.copying(|conn| store::backup::copy_to(conn, dest))
    }

    /// `VACUUM INTO` counts as a write for SQLite's read-only switch, though it only
    /// writes the new file: a copy runs with the switch off, and it is back on after.
    fn copying<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let was_read_only: bool = self.conn.query_row("PRAGMA query_only", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA query_only = OFF")?;
        let result = f(&self.conn);
        if was_read_only {
            self.conn.execute_batch("PRAGMA query_only = ON")?;
        }
        result
    }

    /// Once a day (by the workspace clock): a copy in `<file>.backups/daily-DATE.db`,
    /// keeping the newest `keep`. None when today's copy exists or the workspace is in memory.
    pub fn daily_backup(&self, keep: usize) -> Result<Option<PathBuf>> {
        match &self.path {
            Some(path) => self.copying(|conn| store::backup::daily(conn, path, self.today(), keep)),
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

#[cfg(test)]
mod tests {
    use super::Workspace;
    use crate::clock::FixedClock;
    use std::sync::Arc;

    fn insert(conn: &rusqlite::Connection, key: &str) -> rusqlite::Result<usize> {
        conn.execute("INSERT INTO settings (key, value) VALUES (?1, 'x')", [key])
    }

    /// Outside the workspace's writing paths the connection refuses every write, temporary
    /// tables included; a write (and a refused one) leaves it read-only again.
    #[test]
    fn a_read_cannot_write_and_a_write_leaves_the_connection_read_only() {
        let mut ws =
            Workspace::open_in_memory(Arc::new(FixedClock::at(chrono::DateTime::UNIX_EPOCH))).expect("open");
        let refused = insert(ws.conn(), "read").expect_err("a read path writing");
        assert!(refused.to_string().contains("readonly"), "{refused}");
        assert!(ws.conn().execute_batch("CREATE TEMP TABLE scratch (a)").is_err());
        ws.write(|tx, _| Ok(insert(tx, "written")?)).expect("a write");
        assert!(insert(ws.conn(), "after").is_err(), "read-only again after a write");
        let failed: crate::Result<()> = ws.write(|tx, _| {
            insert(tx, "rolled back")?;
            Err(crate::KeelError::invalid("field", "refused"))
        });
        assert!(failed.is_err());
        assert!(insert(ws.conn(), "after a refusal").is_err(), "read-only again after a refused write");
        let keys: Vec<String> = ws
            .conn()
            .prepare("SELECT key FROM settings WHERE value = 'x'")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("keys");
        assert_eq!(keys, ["written"]);
    }
}
