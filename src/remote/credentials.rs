//! A machine's credential for its team, and its current session, kept outside the
//! workspace file (which is backed up, copied and sent around). The copy's link says only
//! that its credential is kept here (`KEPT_OUTSIDE`).
//!
//! Where: in the OS keyring (the Secret Service on Linux, the Keychain on macOS, the
//! Credential Manager on Windows; service `keel`, account `MACHINE.credential` and
//! `MACHINE.session`) when one answers; else, and on other systems, in files only the user
//! may read (0600, in a 0700 folder), `keel/credentials/MACHINE.credential` and `.session`
//! under the user's configuration directory. A keyring that is missing (no session bus, as
//! on a server or a headless CI machine), locked away or failing is never the member's
//! error: the file keeps what the keyring would not, so nothing is lost. Reading looks in
//! the keyring, then in the file (a file from an older Keel moves to the keyring then);
//! forgetting removes both.
//!
//! `KEEL_CREDENTIALS_STORE=file` keeps to files (for headless users, and tests); `keyring`
//! (the default) is the above. Setting `KEEL_CREDENTIALS_DIR` names the files' folder and,
//! unless `KEEL_CREDENTIALS_STORE=keyring` says otherwise, keeps to files too: the tests
//! set it, and never touch the user's keyring.

use crate::{KeelError, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a copy's link holds in place of a credential kept outside its file.
pub const KEPT_OUTSIDE: &str = "kept-outside";

const CREDENTIAL: &str = "credential";
const SESSION: &str = "session";

/// Where credentials are kept as files: `KEEL_CREDENTIALS_DIR`, else `keel/credentials`
/// under the user's configuration directory.
pub fn dir() -> PathBuf {
    match dir_set() {
        Some(dir) => dir,
        None => dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("keel").join("credentials"),
    }
}

fn dir_set() -> Option<PathBuf> {
    std::env::var_os("KEEL_CREDENTIALS_DIR").filter(|dir| !dir.is_empty()).map(PathBuf::from)
}

/// Where this machine keeps credentials, in words (for a message saying one is missing).
pub fn kept_where() -> String {
    match here() {
        Ok(place) if place.keyring.is_some() => format!("the OS keyring or {}", place.dir.display()),
        _ => dir().display().to_string(),
    }
}

/// Keeps a machine's credential, readable by its user alone, replacing any before.
pub fn keep(client_id: &str, credential: &str) -> Result<()> {
    here()?.keep(client_id, CREDENTIAL, credential)
}

/// Keeps the machine's current session (its token and when it expires, RFC 3339).
pub fn keep_session(client_id: &str, token: &str, expires_at: &str) -> Result<()> {
    here()?.keep(client_id, SESSION, &format!("{token}\n{expires_at}"))
}

/// The machine's kept session, if it has one.
pub fn session(client_id: &str) -> Result<Option<(String, String)>> {
    Ok(here()?
        .read(client_id, SESSION)?
        .and_then(|text| text.split_once('\n').map(|(token, at)| (token.to_string(), at.trim().to_string()))))
}

/// The machine's credential, if it is kept here.
pub fn read(client_id: &str) -> Result<Option<String>> {
    here()?.read(client_id, CREDENTIAL)
}

/// Forgets the machine's credential and session (it left the team).
pub fn forget(client_id: &str) -> Result<()> {
    here()?.forget(client_id)
}

/// The place the environment chooses (see the module's header).
fn here() -> Result<Place<'static>> {
    let store = std::env::var("KEEL_CREDENTIALS_STORE").unwrap_or_default();
    let keyring = keyring_wanted(&store, dir_set().is_some())?;
    Ok(Place { keyring: if keyring { os_keyring() } else { None }, dir: dir() })
}

/// Whether the keyring is asked at all, from `KEEL_CREDENTIALS_STORE` and whether
/// `KEEL_CREDENTIALS_DIR` is set.
fn keyring_wanted(store: &str, dir_set: bool) -> Result<bool> {
    match store.trim() {
        "file" => Ok(false),
        "keyring" => Ok(true),
        "" => Ok(!dir_set),
        other => Err(KeelError::Invalid {
            field: "KEEL_CREDENTIALS_STORE".into(),
            problem: format!("{other:?} is not a store: say file or keyring"),
        }),
    }
}

/// A keyring, as the choice between it and the files sees it (the OS's, or the tests').
trait Keyring {
    /// Keeps `secret` under `account`, replacing any before.
    fn set(&self, account: &str, secret: &str) -> keyring::Result<()>;
    /// What is kept under `account`; `None` when nothing is.
    fn get(&self, account: &str) -> keyring::Result<Option<String>>;
    /// Removes what is kept under `account` (nothing kept is no error).
    fn delete(&self, account: &str) -> keyring::Result<()>;
}

/// Where one machine's secrets go: the keyring when there is one, and the files.
struct Place<'k> {
    keyring: Option<&'k dyn Keyring>,
    dir: PathBuf,
}

impl Place<'_> {
    fn keep(&self, client_id: &str, kind: &str, text: &str) -> Result<()> {
        let path = file_of(&self.dir, client_id, kind)?;
        if let Some(keyring) = self.keyring {
            let account = format!("{client_id}.{kind}");
            // Kept only once it reads back: a keyring that takes it and does not keep it
            // would lose the machine's membership.
            if keyring.set(&account, text).is_ok()
                && keyring.get(&account).ok().flatten().as_deref() == Some(text)
            {
                // A file from before (a keyring that did not answer then) would outlive it.
                return remove(&path);
            }
            // An older value the keyring still holds must not shadow the file's.
            let _ = keyring.delete(&account);
        }
        write_private(&self.dir, &path, text)
    }

    fn read(&self, client_id: &str, kind: &str) -> Result<Option<String>> {
        let path = file_of(&self.dir, client_id, kind)?;
        let account = format!("{client_id}.{kind}");
        if let Some(keyring) = self.keyring {
            if let Ok(Some(text)) = keyring.get(&account) {
                return Ok(Some(text));
            }
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(KeelError::Io { context: format!("reading {}", path.display()), source })
            }
        };
        if let Some(keyring) = self.keyring {
            // A file an older Keel (or an absent keyring) left moves to the keyring now
            // that one answers; the file goes only once the keyring gives it back.
            if keyring.set(&account, &text).is_ok()
                && keyring.get(&account).ok().flatten().as_deref() == Some(text.as_str())
            {
                let _ = remove(&path);
            }
        }
        Ok(Some(text))
    }

    fn forget(&self, client_id: &str) -> Result<()> {
        for kind in [CREDENTIAL, SESSION] {
            if let Some(keyring) = self.keyring {
                let account = format!("{client_id}.{kind}");
                let _ = keyring.delete(&account);
                // A keyring that is not there holds nothing; one that still gives the
                // secret back after the removal must be said to have kept it.
                if let Ok(Some(_)) = keyring.get(&account) {
                    return Err(KeelError::NotAllowed(format!(
                        "the OS keyring would not remove this machine's {kind} (keel, {account}): remove it there"
                    )));
                }
            }
            remove(&file_of(&self.dir, client_id, kind)?)?;
        }
        Ok(())
    }
}

fn file_of(dir: &Path, client_id: &str, kind: &str) -> Result<PathBuf> {
    // A machine id is the server's word: only what a file name may safely hold.
    let safe = !client_id.is_empty()
        && client_id.len() <= 100
        && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !safe {
        return Err(KeelError::Schema(format!("the machine id {client_id:?} cannot name a file")));
    }
    Ok(dir.join(format!("{client_id}.{kind}")))
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeelError {
    move |source| KeelError::Io { context, source }
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(KeelError::Io { context: format!("removing {}", path.display()), source }),
    }
}

fn write_private(dir: &Path, path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let partial = path.with_extension("partial");
    // A leftover of an earlier attempt (or anything planted there) is removed, and the new
    // file is created afresh: never written through a link, never with another's mode.
    remove(&partial)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io(format!("protecting {}", dir.display())))?;
    }
    let mut file = options.open(&partial).map_err(io(format!("writing {}", partial.display())))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(io(format!("writing {}", partial.display())))?;
    file.sync_all().map_err(io(format!("writing {}", partial.display())))?;
    std::fs::rename(&partial, path).map_err(io(format!("keeping {}", path.display())))
}

/// The OS's keyring, if this system has one Keel can use.
fn os_keyring() -> Option<&'static dyn Keyring> {
    static OS: std::sync::OnceLock<Option<OsKeyring>> = std::sync::OnceLock::new();
    OS.get_or_init(OsKeyring::new).as_ref().map(|os| os as &dyn Keyring)
}

/// Longest a keyring call may take before the files are used instead: an unlock prompt
/// gets its time, a bus that never answers does not hold the member up for long.
const KEYRING_PATIENCE: Duration = Duration::from_secs(10);

struct OsKeyring {
    builder: Arc<keyring::credential::CredentialBuilder>,
    patience: Duration,
    /// Set when a call ran out of patience: the rest of this run keeps to files.
    given_up: AtomicBool,
}

impl OsKeyring {
    fn new() -> Option<OsKeyring> {
        let builder = Arc::from(platform_builder()?);
        Some(OsKeyring { builder, patience: KEYRING_PATIENCE, given_up: AtomicBool::new(false) })
    }

    /// Runs one keyring call on a thread of its own, so one that hangs (a session bus
    /// that does not answer) is left behind rather than waited for.
    fn call<T: Send + 'static>(
        &self,
        account: &str,
        f: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> keyring::Result<T> {
        let unavailable = |why: &str| keyring::Error::NoStorageAccess(why.to_string().into());
        if self.given_up.load(Ordering::Relaxed) {
            return Err(unavailable("the keyring did not answer earlier"));
        }
        let (account, builder) = (account.to_string(), Arc::clone(&self.builder));
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new().name("keel-keyring".into()).spawn(move || {
            let entry = builder.build(None, "keel", &account).map(keyring::Entry::new_with_credential);
            let _ = tx.send(entry.and_then(|entry| f(&entry)));
        });
        if spawned.is_err() {
            return Err(unavailable("no thread for the keyring"));
        }
        rx.recv_timeout(self.patience).unwrap_or_else(|_| {
            self.given_up.store(true, Ordering::Relaxed);
            Err(unavailable("the keyring did not answer in time"))
        })
    }
}

impl Keyring for OsKeyring {
    fn set(&self, account: &str, secret: &str) -> keyring::Result<()> {
        let secret = secret.to_string();
        self.call(account, move |entry| entry.set_password(&secret))
    }

    fn get(&self, account: &str) -> keyring::Result<Option<String>> {
        match self.call(account, |entry| entry.get_password()) {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn delete(&self, account: &str) -> keyring::Result<()> {
        match self.call(account, |entry| entry.delete_credential()) {
            Err(keyring::Error::NoEntry) => Ok(()),
            other => other,
        }
    }
}

#[cfg(target_os = "linux")]
fn platform_builder() -> Option<Box<keyring::credential::CredentialBuilder>> {
    // No session bus, no Secret Service: checked before any connection is tried, so a
    // server or a CI machine goes to its files at once (where zbus would look, but for
    // its last guess, /run/user/UID/bus, as a desktop session sets XDG_RUNTIME_DIR).
    let bus = match std::env::var_os("DBUS_SESSION_BUS_ADDRESS").filter(|a| !a.is_empty()) {
        Some(_) => true,
        None => std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty())
            .is_some_and(|d| Path::new(&d).join("bus").exists()),
    };
    bus.then(keyring::secret_service::default_credential_builder)
}

#[cfg(target_os = "macos")]
fn platform_builder() -> Option<Box<keyring::credential::CredentialBuilder>> {
    Some(keyring::macos::default_credential_builder())
}

#[cfg(windows)]
fn platform_builder() -> Option<Box<keyring::credential::CredentialBuilder>> {
    Some(keyring::windows::default_credential_builder())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_builder() -> Option<Box<keyring::credential::CredentialBuilder>> {
    // The keyring crate's fallback store is in memory only: a credential kept there would
    // be gone at exit, so the files keep it.
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    /// A keyring in memory that can be made to fail, as a missing or broken one does.
    #[derive(Default)]
    struct Fake {
        kept: RefCell<HashMap<String, String>>,
        broken: Cell<bool>,
        /// Takes writes and drops them (a store that answers but does not keep).
        forgetful: Cell<bool>,
        /// Refuses removals while still giving secrets back.
        stuck: Cell<bool>,
    }

    fn down() -> keyring::Error {
        keyring::Error::NoStorageAccess("no session bus".into())
    }

    impl Keyring for Fake {
        fn set(&self, account: &str, secret: &str) -> keyring::Result<()> {
            if self.broken.get() {
                return Err(down());
            }
            if !self.forgetful.get() {
                self.kept.borrow_mut().insert(account.into(), secret.into());
            }
            Ok(())
        }
        fn get(&self, account: &str) -> keyring::Result<Option<String>> {
            if self.broken.get() {
                return Err(down());
            }
            Ok(self.kept.borrow().get(account).cloned())
        }
        fn delete(&self, account: &str) -> keyring::Result<()> {
            if self.broken.get() || self.stuck.get() {
                return Err(down());
            }
            self.kept.borrow_mut().remove(account);
            Ok(())
        }
    }

    fn place<'k>(keyring: Option<&'k Fake>, dir: &Path) -> Place<'k> {
        Place { keyring: keyring.map(|k| k as &dyn Keyring), dir: dir.to_path_buf() }
    }

    #[test]
    fn a_keyring_that_answers_keeps_the_secret_and_no_file_does() {
        let dir = tempfile::tempdir().expect("dir");
        let fake = Fake::default();
        let place = place(Some(&fake), dir.path());
        place.keep("m-1", CREDENTIAL, "secret-1").expect("keep");
        place.keep("m-1", SESSION, "token\n2030-01-01T00:00:00Z").expect("keep");
        assert_eq!(fake.kept.borrow().get("m-1.credential").map(String::as_str), Some("secret-1"));
        assert!(fake.kept.borrow().contains_key("m-1.session"));
        assert!(!dir.path().join("m-1.credential").exists(), "no file holds the credential");
        assert!(!dir.path().join("m-1.session").exists());
        assert_eq!(place.read("m-1", CREDENTIAL).expect("read").as_deref(), Some("secret-1"));
    }

    #[test]
    fn a_keyring_that_fails_leaves_the_secret_to_a_private_file() {
        let dir = tempfile::tempdir().expect("dir");
        let fake = Fake { broken: Cell::new(true), ..Fake::default() };
        let place = place(Some(&fake), dir.path());
        place.keep("m-1", CREDENTIAL, "secret-1").expect("no keyring is not the member's error");
        let file = dir.path().join("m-1.credential");
        assert_eq!(std::fs::read_to_string(&file).expect("a file").trim(), "secret-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(place.read("m-1", CREDENTIAL).expect("read").as_deref(), Some("secret-1"));
        place.forget("m-1").expect("forgetting with no keyring is no error either");
        assert!(!file.exists());
    }

    #[test]
    fn a_keyring_that_takes_a_secret_but_does_not_give_it_back_is_not_trusted_with_it() {
        let dir = tempfile::tempdir().expect("dir");
        let fake = Fake { forgetful: Cell::new(true), ..Fake::default() };
        place(Some(&fake), dir.path()).keep("m-1", CREDENTIAL, "secret-1").expect("keep");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("m-1.credential")).expect("a file").trim(),
            "secret-1"
        );
    }

    #[test]
    fn reading_finds_the_secret_in_either_place_and_moves_a_file_into_the_keyring() {
        let dir = tempfile::tempdir().expect("dir");
        // Kept while no keyring answered (or by an older Keel): in a file.
        place(None, dir.path()).keep("m-1", CREDENTIAL, "from-file").expect("keep");
        let fake = Fake::default();
        fake.kept.borrow_mut().insert("m-2.credential".into(), "from-keyring".into());
        let both = place(Some(&fake), dir.path());
        assert_eq!(both.read("m-2", CREDENTIAL).expect("read").as_deref(), Some("from-keyring"));
        assert_eq!(both.read("m-1", CREDENTIAL).expect("read").as_deref(), Some("from-file"));
        assert_eq!(fake.kept.borrow().get("m-1.credential").map(String::as_str), Some("from-file"));
        assert!(!dir.path().join("m-1.credential").exists(), "the file went once the keyring held it");
        assert_eq!(both.read("m-3", CREDENTIAL).expect("read"), None);
        // Files only: the keyring is not asked.
        assert_eq!(place(None, dir.path()).read("m-2", CREDENTIAL).expect("read"), None);
    }

    #[test]
    fn a_file_stays_when_the_keyring_will_not_take_it() {
        let dir = tempfile::tempdir().expect("dir");
        place(None, dir.path()).keep("m-1", CREDENTIAL, "from-file").expect("keep");
        let fake = Fake { forgetful: Cell::new(true), ..Fake::default() };
        assert_eq!(
            place(Some(&fake), dir.path()).read("m-1", CREDENTIAL).expect("read").as_deref(),
            Some("from-file")
        );
        assert!(dir.path().join("m-1.credential").exists());
    }

    #[test]
    fn a_new_session_in_the_file_is_not_shadowed_by_an_older_one_in_the_keyring() {
        let dir = tempfile::tempdir().expect("dir");
        let fake = Fake::default();
        let place = place(Some(&fake), dir.path());
        place.keep("m-1", SESSION, "old\n2030-01-01T00:00:00Z").expect("keep");
        // The keyring takes no more writes but still reads (and removes).
        fake.forgetful.set(true);
        place.keep("m-1", SESSION, "new\n2030-01-02T00:00:00Z").expect("keep");
        assert_eq!(place.read("m-1", SESSION).expect("read").as_deref(), Some("new\n2030-01-02T00:00:00Z"));
    }

    #[test]
    fn forgetting_removes_the_keyring_entries_and_the_files() {
        let dir = tempfile::tempdir().expect("dir");
        place(None, dir.path()).keep("m-1", SESSION, "token\n2030-01-01T00:00:00Z").expect("keep");
        let fake = Fake::default();
        let both = place(Some(&fake), dir.path());
        fake.kept.borrow_mut().insert("m-1.credential".into(), "secret-1".into());
        both.forget("m-1").expect("forget");
        assert!(fake.kept.borrow().is_empty(), "nothing left in the keyring");
        assert!(!dir.path().join("m-1.session").exists(), "nor in a file");
        assert_eq!(both.read("m-1", CREDENTIAL).expect("read"), None);
        assert_eq!(both.read("m-1", SESSION).expect("read"), None);
    }

    #[test]
    fn a_keyring_that_keeps_what_it_was_told_to_remove_says_so() {
        let dir = tempfile::tempdir().expect("dir");
        let fake = Fake { stuck: Cell::new(true), ..Fake::default() };
        fake.kept.borrow_mut().insert("m-1.credential".into(), "secret-1".into());
        let err = place(Some(&fake), dir.path()).forget("m-1").expect_err("not silently kept");
        assert!(err.to_string().contains("m-1.credential"), "{err}");
    }

    #[test]
    fn the_environment_chooses_files_for_tests_and_headless_users() {
        assert!(keyring_wanted("", false).expect("default"), "the keyring by default");
        assert!(!keyring_wanted("", true).expect("dir"), "a folder named means files");
        assert!(!keyring_wanted("file", false).expect("file"));
        assert!(keyring_wanted("keyring", true).expect("said"), "said outright, the keyring");
        assert!(keyring_wanted("vault", false).is_err(), "a misspelling is not taken for either");
    }

    /// An OS store whose every call hangs, as over a session bus that never answers.
    struct Hangs;

    impl keyring::credential::CredentialBuilderApi for Hangs {
        fn build(
            &self,
            _: Option<&str>,
            _: &str,
            _: &str,
        ) -> keyring::Result<Box<keyring::credential::Credential>> {
            std::thread::sleep(Duration::from_secs(60));
            Err(keyring::Error::NoEntry)
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn a_keyring_that_hangs_is_left_behind_and_the_file_keeps_the_secret() {
        let os = OsKeyring {
            builder: Arc::new(Hangs),
            patience: Duration::from_millis(200),
            given_up: AtomicBool::new(false),
        };
        let dir = tempfile::tempdir().expect("dir");
        let place = Place { keyring: Some(&os), dir: dir.path().to_path_buf() };
        let started = std::time::Instant::now();
        place.keep("m-1", CREDENTIAL, "secret-1").expect("keep");
        assert!(os.given_up.load(Ordering::Relaxed));
        assert_eq!(place.read("m-1", CREDENTIAL).expect("read").as_deref(), Some("secret-1"));
        place.forget("m-1").expect("forget");
        // One wait for the whole run, not one per call.
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(!dir.path().join("m-1.credential").exists());
    }

    #[test]
    fn the_os_keyring_is_asked_without_holding_the_member_up() {
        // With no keyring (no session bus here, as on CI) the answer comes at once; with
        // one, an account never kept is simply not there.
        let started = std::time::Instant::now();
        if let Some(keyring) = os_keyring() {
            let answer = keyring.get("keel-test-never-kept.credential");
            assert!(!matches!(answer, Ok(Some(_))), "nothing was kept under that name");
        }
        assert!(started.elapsed() < KEYRING_PATIENCE + Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
