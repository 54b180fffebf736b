//! Consistent copies of a workspace file: on demand (`keel backup`), before a
//! migration changes the schema, and once a day when the desktop app starts.

use super::integrity_problems;
use crate::{KeelError, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Writes a consistent copy of the database behind `conn` to `dest`: `VACUUM INTO` a
/// temporary file beside it, synced, checked by opening it, then renamed over `dest`.
/// A crash part-way leaves `dest` as it was. Returns the copy's size in bytes.
pub fn copy_to(conn: &Connection, dest: &Path) -> Result<u64> {
    let io = |context: String| move |source| KeelError::Io { context, source };
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest.file_name().ok_or_else(|| KeelError::invalid("file", "names a directory"))?;
    if !dir.is_dir() {
        return Err(KeelError::invalid(
            "file",
            format!("cannot write {}: the folder {} does not exist", dest.display(), dir.display()),
        ));
    }
    // Unique per copy, not just per process: two threads of one process (the desktop's
    // first screen and its daily backup, both opening a file that needs a migration)
    // copy at once.
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!(".{}.keel-backup-{}-{n}", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let text = temp.to_str().ok_or_else(|| KeelError::invalid("file", "is not valid UTF-8"))?;
    let result = (|| -> Result<u64> {
        conn.execute("VACUUM INTO ?1", [text])?;
        let file = std::fs::File::open(&temp).map_err(io(format!("reading {}", temp.display())))?;
        file.sync_all().map_err(io(format!("syncing {}", temp.display())))?;
        let copy = Connection::open_with_flags(&temp, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let problems = integrity_problems(&copy)?;
        if !problems.is_empty() {
            return Err(KeelError::Schema(format!("the backup failed its check: {}", problems.join("; "))));
        }
        drop(copy);
        std::fs::rename(&temp, dest).map_err(io(format!("writing {}", dest.display())))?;
        Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Where automatic backups of `db` go: `<db>.backups/` beside it.
pub fn automatic_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".backups");
    db.with_file_name(name)
}

fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|source| KeelError::Io { context: format!("cannot create {}", dir.display()), source })
}

/// Copies the file before migrations take it from `from` to `to`, as
/// `before-v{to}-from-v{from}[-n].db`, never overwriting an earlier copy.
pub fn before_migration(conn: &Connection, db: &Path, from: u32, to: u32) -> Result<PathBuf> {
    let dir = automatic_dir(db);
    ensure_dir(&dir)?;
    let mut dest = dir.join(format!("before-v{to}-from-v{from}.db"));
    let mut n = 2;
    while dest.exists() {
        dest = dir.join(format!("before-v{to}-from-v{from}-{n}.db"));
        n += 1;
    }
    copy_to(conn, &dest)?;
    Ok(dest)
}

/// The day's automatic copy, `daily-YYYY-MM-DD.db`, unless it exists; then keeps the
/// newest `keep` daily copies. Returns the copy written, if any.
pub fn daily(conn: &Connection, db: &Path, today: chrono::NaiveDate, keep: usize) -> Result<Option<PathBuf>> {
    let dir = automatic_dir(db);
    ensure_dir(&dir)?;
    let dest = dir.join(format!("daily-{today}.db"));
    if dest.exists() {
        return Ok(None);
    }
    copy_to(conn, &dest)?;
    let mut dailies: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| KeelError::Io { context: format!("reading {}", dir.display()), source })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("daily-") && n.ends_with(".db"))
        })
        .collect();
    // The date in the name sorts as text.
    dailies.sort();
    let excess = dailies.len().saturating_sub(keep.max(1));
    for old in &dailies[..excess] {
        std::fs::remove_file(old)
            .map_err(|source| KeelError::Io { context: format!("removing {}", old.display()), source })?;
    }
    Ok(Some(dest))
}
