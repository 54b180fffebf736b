//! A machine's credential for its team, kept outside the workspace file (which is backed
//! up, copied and sent around): in a file only its user may read (0600, in a 0700
//! folder), under the user's configuration directory, named by the machine's id. The
//! copy's link says only that its credential is kept here (`KEPT_OUTSIDE`).

use crate::{KeelError, Result};
use std::path::PathBuf;

/// What a copy's link holds in place of a credential kept outside its file.
pub const KEPT_OUTSIDE: &str = "kept-outside";

/// Where credentials are kept: `KEEL_CREDENTIALS_DIR`, else `keel/credentials` under the
/// user's configuration directory.
pub fn dir() -> PathBuf {
    match std::env::var_os("KEEL_CREDENTIALS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("keel").join("credentials"),
    }
}

fn path_of(client_id: &str) -> Result<PathBuf> {
    // A machine id is the server's word: only what a file name may safely hold.
    let safe = !client_id.is_empty()
        && client_id.len() <= 100
        && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !safe {
        return Err(KeelError::Schema(format!("the machine id {client_id:?} cannot name a file")));
    }
    Ok(dir().join(format!("{client_id}.credential")))
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeelError {
    move |source| KeelError::Io { context, source }
}

/// Keeps a machine's credential, readable by its user alone, replacing any before.
pub fn keep(client_id: &str, credential: &str) -> Result<()> {
    let path = path_of(client_id)?;
    let dir = dir();
    std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
    let partial = path.with_extension("partial");
    // A leftover of an earlier attempt (or anything planted there) is removed, and the new
    // file is created afresh: never written through a link, never with another's mode.
    match std::fs::remove_file(&partial) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(KeelError::Io { context: format!("removing {}", partial.display()), source })
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io(format!("protecting {}", dir.display())))?;
    }
    let mut file = options.open(&partial).map_err(io(format!("writing {}", partial.display())))?;
    std::io::Write::write_all(&mut file, credential.as_bytes())
        .map_err(io(format!("writing {}", partial.display())))?;
    file.sync_all().map_err(io(format!("writing {}", partial.display())))?;
    std::fs::rename(&partial, &path).map_err(io(format!("keeping {}", path.display())))
}

/// The machine's credential, if it is kept here.
pub fn read(client_id: &str) -> Result<Option<String>> {
    let path = path_of(client_id)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeelError::Io { context: format!("reading {}", path.display()), source }),
    }
}

/// Forgets the machine's credential (it left the team).
pub fn forget(client_id: &str) -> Result<()> {
    let path = path_of(client_id)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(KeelError::Io { context: format!("removing {}", path.display()), source }),
    }
}
