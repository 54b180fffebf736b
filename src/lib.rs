//! Keel's core: the sales domain, the SQLite store, the services that hold every
//! rule of the sales process, and the `keel` command-line tool built on them.
//! This crate never depends on tauri; the desktop app is a thin shell over it.

pub mod changes;
pub mod cli;
pub mod clock;
pub mod domain;
mod error;
pub mod files;
pub mod money;
pub mod remote;
pub mod services;
pub mod store;

pub use error::{ErrorBody, ErrorCode, KeelError, Result};

/// Where the CLI and the desktop app keep the workspace unless told otherwise:
/// `KEEL_DB`, else `keel/keel.db` under the platform's data directory.
pub fn default_db_path() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("KEEL_DB").filter(|p| !p.is_empty()) {
        return path.into();
    }
    dirs::data_dir().unwrap_or_else(|| std::path::PathBuf::from(".")).join("keel").join("keel.db")
}
