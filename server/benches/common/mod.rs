//! What the team benchmarks share: the binaries, a server on loopback, timing helpers.
#![allow(dead_code)] // each benchmark uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keel-server"))
}

pub fn keel_bin() -> PathBuf {
    // Built as `cargo build` from a shell builds it, without the variables Cargo sets for
    // this benchmark's own run: a build script that reads them (ring's) would otherwise
    // see them change and rebuild the TLS stack and Keel twice on every run.
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--release", "-p", "keel", "--bin", "keel"]);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let run_only =
            ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE"];
        if run_only.iter().any(|prefix| name.starts_with(prefix)) {
            build.env_remove(name.as_ref());
        }
    }
    let built = build.status().expect("cargo build");
    assert!(built.success());
    server_bin().with_file_name("keel")
}

pub fn run(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().expect("run");
    assert!(out.status.success(), "{} {args:?}: {}", bin.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(db: &Path) -> Server {
    serve_on(db, 0)
}

/// Serves `db` on `port` (0: any free one).
pub fn serve_on(db: &Path, port: u16) -> Server {
    let mut child = Command::new(server_bin())
        .args(["--db", db.to_str().expect("utf-8"), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("keel-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening");
    let url = format!("http://{}", line.trim().rsplit("http://").next().expect("address"));
    Server { child, url }
}

pub fn invite(db: &Path, member: &str) -> String {
    run(&server_bin(), &["invite", "--db", db.to_str().expect("utf-8"), "--member", member])
        .trim()
        .to_string()
}

/// A fresh demo team of `deals` deals in `target/NAME/team.db`: the file and what
/// `keel-server init` printed (members and their invitation codes).
pub fn demo_team(name: &str, deals: u64) -> (PathBuf, PathBuf, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("team.db");
    let started = std::time::Instant::now();
    let init = run(
        &server_bin(),
        &["init", "--db", db.to_str().expect("utf-8"), "--admin", "x", "--demo", &deals.to_string()],
    );
    println!("team workspace of {deals} deals made in {:.1} s", started.elapsed().as_secs_f64());
    (dir, db, init)
}
