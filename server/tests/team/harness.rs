//! Processes for the team tests: a server on a free loopback port over a demo team, and
//! members' machines, each a joined copy driven through the `keel` CLI.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The workspace clock every process reads, so sessions and expiries are reproducible.
pub const NOW: &str = "2026-11-30T10:00:00Z";

pub fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keel-server"))
}

/// The `keel` CLI, built beside the server (cargo builds it for the core's own tests;
/// a lone `cargo test -p keel-server` builds it here).
pub fn keel_bin() -> PathBuf {
    credentials_dir();
    let bin = server_bin().with_file_name("keel");
    if !bin.exists() {
        let built = Command::new(env!("CARGO"))
            .args(["build", "-p", "keel", "--bin", "keel"])
            .status()
            .expect("cargo build keel");
        assert!(built.success(), "building the keel CLI");
    }
    bin
}

/// Where this test run's machines keep their credentials (not the user's own folder): set
/// once, before any `keel` runs, for every process the tests start and for the tests'
/// own reads.
pub fn credentials_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("credentials dir").keep();
        std::env::set_var("KEEL_CREDENTIALS_DIR", &dir);
        dir
    })
    .clone()
}

pub struct Team {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub url: String,
    pub port: u16,
    pub server: Option<Child>,
    /// name → invitation code, from `keel-server init`.
    pub codes: Vec<(String, String)>,
    /// HTTPS: the certificate and key files the server is given.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Team {
    /// A demo team (sales leader, account executive, partner manager invited) served on
    /// a free port.
    pub fn demo(deals: u64) -> Team {
        Team::demo_with(deals, |_| None)
    }

    /// A demo team whose server is given `tls(dir)`'s certificate and key.
    pub fn demo_with(deals: u64, tls: impl FnOnce(&Path) -> Option<(PathBuf, PathBuf)>) -> Team {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("team.db");
        let out = Command::new(server_bin())
            .args([
                "init",
                "--db",
                db.to_str().expect("utf-8"),
                "--admin",
                "unused",
                "--demo",
                &deals.to_string(),
            ])
            .env("KEEL_NOW", NOW)
            .output()
            .expect("keel-server init");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let codes = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let (who, code) = line.rsplit_once(": ")?;
                let name = who.split(" (").next()?.to_string();
                code.contains('-').then(|| (name, code.to_string()))
            })
            .collect();
        let tls = tls(dir.path());
        let mut team = Team { dir, db, url: String::new(), port: 0, server: None, codes, tls };
        team.start(0, None);
        team
    }

    /// Starts the server (port 0: any free one) and waits until it listens.
    pub fn start(&mut self, port: u16, pause_after_commit_ms: Option<u64>) {
        self.start_at(port, pause_after_commit_ms, NOW);
    }

    /// Starts the server with its clock at `now`.
    pub fn start_at(&mut self, port: u16, pause_after_commit_ms: Option<u64>, now: &str) {
        self.start_with(port, pause_after_commit_ms, now, &[]);
    }

    /// Starts the server with more of its options (`--trusted-proxy 127.0.0.1`, say).
    pub fn start_with(&mut self, port: u16, pause_after_commit_ms: Option<u64>, now: &str, options: &[&str]) {
        let log = self.dir.path().join("server.err");
        let mut command = Command::new(server_bin());
        command
            .args(["--db", self.db.to_str().expect("utf-8"), "--listen", &format!("127.0.0.1:{port}")])
            .args(options)
            .env("KEEL_NOW", now)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log"));
        if let Some((cert, key)) = &self.tls {
            command.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        if let Some(ms) = pause_after_commit_ms {
            command.env("KEEL_SERVER_PAUSE_AFTER_COMMIT_MS", ms.to_string());
        }
        let mut child = command.spawn().expect("keel-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("listening line");
        let url = line.trim().rsplit(' ').next().expect("address").to_string();
        self.port = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        self.url = url;
        self.server = Some(child);
    }

    /// `kill -9`: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = Command::new("kill").args(["-9", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.err")).unwrap_or_default()
    }

    pub fn code(&self, name_starts: &str) -> String {
        self.codes.iter().find(|(n, _)| n.starts_with(name_starts)).map(|(_, c)| c.clone()).expect("code")
    }

    pub fn member_named(&self, index: usize) -> String {
        self.codes[index].0.clone()
    }

    /// Joins with `code` into a new copy on "another machine" (its own file).
    pub fn join(&self, machine: &str, code: &str) -> PathBuf {
        let copy = self.dir.path().join(format!("{machine}.db"));
        let out = keel(&copy, &["join", &self.url, code]);
        assert!(out.status.success(), "join: {}", String::from_utf8_lossy(&out.stderr));
        copy
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn keel(db: &Path, args: &[&str]) -> Output {
    Command::new(keel_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .env("KEEL_NOW", NOW)
        .env_remove("KEEL_DB")
        .output()
        .expect("keel")
}

/// Runs a command that must succeed and returns its JSON.
pub fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = keel(db, &all);
    assert!(out.status.success(), "keel {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel {args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs a command that must fail and returns its `{code, field, message}`.
pub fn refusal(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = keel(db, &all);
    assert!(
        !out.status.success(),
        "keel {args:?} should have been refused: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A raw HTTP client that keeps 4xx and 5xx answers as answers.
/// Every request says the protocol and schema versions this build speaks, as the real
/// client does, unless the test sets its own.
pub fn http() -> ureq::Agent {
    use keel::remote::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER};
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .middleware(
            |mut request: ureq::http::Request<ureq::SendBody>, next: ureq::middleware::MiddlewareNext| {
                let headers = request.headers_mut();
                if !headers.contains_key(PROTOCOL_HEADER) {
                    headers.insert(PROTOCOL_HEADER, PROTOCOL_VERSION.into());
                }
                if !headers.contains_key(SCHEMA_HEADER) {
                    headers.insert(SCHEMA_HEADER, keel::store::latest_version().into());
                }
                next.handle(request)
            },
        )
        .build()
        .into()
}

/// Signs in the way a machine does, with the credential its copy holds.
pub fn session_of(team: &Team, copy: &Path) -> (String, String) {
    let conn = rusqlite::Connection::open(copy).expect("copy");
    let (kept, client_id): (String, String) = conn
        .query_row("SELECT credential, client_id FROM team_link", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("link");
    credentials_dir();
    let credential = match kept.as_str() {
        keel::remote::credentials::KEPT_OUTSIDE => {
            keel::remote::credentials::read(&client_id).expect("read").expect("the machine's credential")
        }
        _ => kept,
    };
    let mut reply = http()
        .post(format!("{}/v1/session", team.url))
        .send_json(serde_json::json!({ "credential": credential }))
        .expect("sign in");
    assert_eq!(reply.status().as_u16(), 200);
    let body: Value = reply.body_mut().read_json().expect("json");
    (body["token"].as_str().expect("token").to_string(), client_id)
}

/// The export of every record kind, for comparing a copy with the server's file.
pub fn exports(db: &Path) -> Vec<String> {
    ["deals", "accounts", "contacts", "activities"]
        .iter()
        .map(|kind| {
            let out = keel(db, &["export", kind]);
            assert!(out.status.success(), "export {kind}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect()
}

/// `keel check` passes on the file.
pub fn assert_checks(db: &Path) {
    let out = keel(db, &["check"]);
    assert!(
        out.status.success(),
        "keel check {}: {}{}",
        db.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new open deal of the member's own, made online; its id as typed.
pub fn an_open_deal_of(db: &Path, name: &str) -> String {
    let account = json(db, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    json(
        db,
        &["deal", "add", "--account", &account, "--name", name, "--amount", "30000", "--close", "2027-03-31"],
    )["id"]
        .to_string()
}

/// One column of a copy's link to its server (`client_id`, `credential`…), as text.
pub fn link_field(copy: &Path, column: &str) -> String {
    rusqlite::Connection::open(copy)
        .expect("copy")
        .query_row(&format!("SELECT {column} FROM team_link"), [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("team_link.{column}: {e}"))
}

/// A consistent copy of a workspace file, as `keel backup` takes it.
pub fn backup(db: &Path, to: &Path) {
    let out = keel(db, &["backup", to.to_str().expect("utf-8")]);
    assert!(out.status.success(), "backup: {}", String::from_utf8_lossy(&out.stderr));
}
