//! Two writers at once on one workspace file, as the desktop app and the CLI are:
//! each command waits its turn on SQLite's lock (a busy timeout and `BEGIN IMMEDIATE`),
//! so no write fails with "database is locked" and every one lands.

use crate::Fixture;
use keel::services::accounts::{self, AccountInput};
use keel::services::Workspace;
use std::process::Command;
use std::sync::Arc;

const WRITES_EACH: usize = 120;

fn keel(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("KEEL_NOW", "2026-03-02T09:00:00Z")
        .output()
        .expect("run keel")
}

#[test]
fn the_app_and_the_cli_write_at_once_and_every_write_lands() {
    let fx = Fixture::seeded();
    let path = fx.path.clone();
    let (ae, ae_name) = (fx.ae, keel::services::team::get(&fx.ws, fx.ae.member()).expect("ae").name);
    let clock = fx.clock.clone();

    // The app: a connection per command, as keel-desktop opens one per IPC call.
    let app = {
        let path = path.clone();
        std::thread::spawn(move || {
            for i in 0..WRITES_EACH {
                let mut ws = Workspace::open(&path, Arc::new(clock.clone())).expect("the app opens the file");
                let input = AccountInput {
                    name: format!("App account {i}"),
                    domain: Some(format!("app-{i}.example.com")),
                    segment: None,
                    vertical: None,
                    region: None,
                };
                accounts::create(&mut ws, ae, input).unwrap_or_else(|e| panic!("app write {i}: {e}"));
            }
        })
    };
    // The CLI: one process per command, with a long import holding the lock midway.
    let cli = {
        let path = path.clone();
        let name = ae_name.clone();
        std::thread::spawn(move || {
            for i in 0..WRITES_EACH {
                let out =
                    keel(&path, &["--as", &name, "account", "add", "--name", &format!("Cli account {i}")]);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "cli write {i}: {stderr}");
            }
        })
    };
    let import = {
        let path = path.clone();
        let csv = fx.path.with_file_name("long.csv");
        let mut text = String::from("Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Close Date,Created Date\r\n");
        for i in 0..2_000 {
            text.push_str(&format!(
                "006LOCK{i:08},{ae_name},Lock Account {},Lock deal {i},Prospecting,1000,6/30/2026,3/1/2026\r\n",
                i % 300
            ));
        }
        std::fs::write(&csv, text).expect("csv");
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let out = keel(&path, &["--as", &ae_name, "import", "deals", csv.to_str().expect("path")]);
            assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
        })
    };
    for (who, handle) in [("app", app), ("cli", cli), ("import", import)] {
        handle.join().unwrap_or_else(|_| panic!("the {who} writer failed"));
    }

    let conn = rusqlite::Connection::open(&path).expect("open");
    let count = |pattern: &str| -> i64 {
        conn.query_row("SELECT count(DISTINCT name) FROM accounts WHERE name LIKE ?1", [pattern], |r| {
            r.get(0)
        })
        .expect("count")
    };
    assert_eq!(count("App account %"), WRITES_EACH as i64, "every app write landed, once");
    assert_eq!(count("Cli account %"), WRITES_EACH as i64, "every CLI write landed, once");
    let deals: i64 = conn
        .query_row("SELECT count(*) FROM deals WHERE name LIKE 'Lock deal %'", [], |r| r.get(0))
        .expect("deals");
    assert_eq!(deals, 2_000, "the import landed whole");
    drop(conn);
    let mut ws = Workspace::open(&path, Arc::new(fx.clock.clone())).expect("open");
    assert_eq!(ws.invariant_problems().expect("check"), Vec::<String>::new());
    println!("concurrent writes checked: {WRITES_EACH} from the app, {WRITES_EACH} from the CLI, one 2,000-row import");
}
