//! A machine's credential for its team, and its current session, kept outside the
//! workspace file (which is backed up, copied and sent around): in files only its user may
//! read (0600, in a 0700 folder), under the user's configuration directory, named by the
//! machine's id. The copy's link says only that its credential is kept here (`KEPT_OUTSIDE`).

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
    file_of(client_id, "credential")
}

fn file_of(client_id: &str, kind: &str) -> Result<PathBuf> {
    // A machine id is the server's word: only what a file name may safely hold.
    let safe = !client_id.is_empty()
        && client_id.len() <= 100
        && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !safe {
        return Err(KeelError::Schema(format!("the machine id {client_id:?} cannot name a file")));
    }
    Ok(dir().join(format!("{client_id}.{kind}")))
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeelError {
    move |source| KeelError::Io { context, source }
}

/// Keeps a machine's credential, readable by its user alone, replacing any before.
pub fn keep(client_id: &str, credential: &str) -> Result<()> {
    write_private(&path_of(client_id)?, credential)
}

/// Keeps the machine's current session (its token and when it expires, RFC 3339).
pub fn keep_session(client_id: &str, token: &str, expires_at: &str) -> Result<()> {
    write_private(&file_of(client_id, "session")?, &format!("{token}\n{expires_at}"))
}

/// The machine's kept session, if it has one.
pub fn session(client_id: &str) -> Result<Option<(String, String)>> {
    let path = file_of(client_id, "session")?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.split_once('\n').map(|(token, at)| (token.to_string(), at.trim().to_string()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeelError::Io { context: format!("reading {}", path.display()), source }),
    }
}

fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    let path = path.to_path_buf();
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
    std::io::Write::write_all(&mut file, text.as_bytes())
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

/// Forgets the machine's credential and session (it left the team).
pub fn forget(client_id: &str) -> Result<()> {
    for path in [path_of(client_id)?, file_of(client_id, "session")?] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(KeelError::Io { context: format!("removing {}", path.display()), source })
            }
        }
    }
    Ok(())
}
