//! `keel restore`: replace a workspace file with a backup, after checking the backup,
//! keeping the current file aside. The swap is two renames in one directory, so a
//! crash leaves either the old file or the new one at the path, never a mix.

use super::{integrity_problems, latest_version};
use crate::{KeelError, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    /// Where the database that was at the path now is (None when there was none).
    pub kept_aside: Option<PathBuf>,
    /// The backup's schema version (older ones are migrated when next opened).
    pub schema_version: u32,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeelError {
    move |source| KeelError::Io { context, source }
}

/// Checks `backup` (a Keel workspace, a schema this Keel understands, integrity and
/// foreign keys), copies it beside `target`, moves `target` to `target.before-restore-STAMP`
/// and puts the copy in its place. Close the desktop app on `target` first.
pub fn restore(target: &Path, backup: &Path, stamp: &str) -> Result<Restored> {
    if !backup.is_file() {
        return Err(KeelError::invalid("file", format!("{} is not a file", backup.display())));
    }
    let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| KeelError::invalid("file", format!("{} cannot be opened: {e}", backup.display())))?;
    let version: u32 = source
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|_| KeelError::invalid("file", format!("{} is not an SQLite database", backup.display())))?;
    let has_deals: bool = source.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'deals')",
        [],
        |r| r.get(0),
    )?;
    if version == 0 || !has_deals {
        return Err(KeelError::invalid("file", format!("{} is not a Keel workspace", backup.display())));
    }
    if version > latest_version() {
        return Err(KeelError::invalid(
            "file",
            format!(
                "{} has schema version {version}, newer than this Keel ({})",
                backup.display(),
                latest_version()
            ),
        ));
    }
    let problems = integrity_problems(&source)?;
    if !problems.is_empty() {
        return Err(KeelError::invalid(
            "file",
            format!("{} fails its integrity check: {}", backup.display(), problems.join("; ")),
        ));
    }
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        target.file_name().ok_or_else(|| KeelError::invalid("db", "names a directory"))?.to_string_lossy();
    let incoming = dir.join(format!(".{name}.keel-restore-{}", std::process::id()));
    let _ = std::fs::remove_file(&incoming);
    let text = incoming.to_str().ok_or_else(|| KeelError::invalid("db", "is not valid UTF-8"))?;
    if let Err(e) = source.execute("VACUUM INTO ?1", [text]) {
        let _ = std::fs::remove_file(&incoming);
        return Err(e.into());
    }
    drop(source);
    std::fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("syncing {}", incoming.display())))?;

    let kept_aside = if target.exists() {
        // Fold the WAL into the file first so the file kept aside is whole on its own;
        // best effort, since a damaged file is a reason to restore. Whatever WAL is
        // left moves aside with it.
        if let Ok(current) = Connection::open(target) {
            let _ = current.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let aside = dir.join(format!("{name}.before-restore-{stamp}"));
        std::fs::rename(target, &aside).map_err(io(format!("moving {} aside", target.display())))?;
        for suffix in ["-wal", "-shm"] {
            let side = dir.join(format!("{name}{suffix}"));
            if side.exists() {
                let moved = dir.join(format!("{name}.before-restore-{stamp}{suffix}"));
                std::fs::rename(&side, &moved).map_err(io(format!("moving {} aside", side.display())))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, target).map_err(io(format!("writing {}", target.display())))?;
    Ok(Restored { kept_aside, schema_version: version })
}
