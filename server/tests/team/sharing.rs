//! One pipeline for the whole team: changes made on one machine reach every copy, with
//! the same figures, exactly once even when the server dies mid-command.

use crate::harness::{assert_checks, exports, json, Team};
use std::io::Read;
use std::time::{Duration, Instant};

fn count_named(db: &std::path::Path, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("SELECT count(*) FROM deals WHERE name = ?1", [name], |r| r.get(0)).expect("count")
}

#[test]
fn a_deal_an_account_executive_creates_reaches_the_leaders_copy_with_the_same_metrics() {
    let team = Team::demo(120);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let pm = team.join("pm", &team.code(&team.member_named(2)));
    let ae_name = team.member_named(1);

    let before = json(&leader, &["metrics"]);
    let account = json(&ae, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let deal = json(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Shared Pipeline Probe",
            "--amount",
            "250000",
            "--close",
            "2027-03-31",
        ],
    );
    assert_eq!(deal["owner_name"], ae_name, "the server acted as the member who signed in");
    let id = deal["id"].to_string();
    // The member's own copy shows the change at once: the command waits for its feed.
    assert_eq!(json(&ae, &["deal", "show", &id])["deal"]["name"], "Shared Pipeline Probe");

    // The leader's copy has not heard of it until it syncs.
    assert_eq!(count_named(&leader, "Shared Pipeline Probe"), 0);
    json(&leader, &["sync"]);
    assert_eq!(count_named(&leader, "Shared Pipeline Probe"), 1);
    let after = json(&leader, &["metrics"]);
    assert_ne!(before, after, "the new deal changes the team's pipeline");
    assert_eq!(after, json(&ae, &["metrics"]), "the same figures on every machine");
    assert_eq!(after, json(&team.db, &["metrics"]), "and on the server's file");
    assert_eq!(json(&leader, &["board"]), json(&ae, &["board"]));

    // A move made by the account executive reaches the partner manager's copy too.
    json(&ae, &["deal", "move", &id, "Qualification"]);
    json(&pm, &["sync"]);
    assert_eq!(json(&pm, &["deal", "show", &id])["deal"]["stage_name"], "Qualification");

    // A copy holds no secret of the server: no credential or session hashes, no feed.
    let conn = rusqlite::Connection::open(&ae).expect("copy");
    let server_tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'server%'", [], |r| r.get(0))
        .expect("tables");
    assert_eq!(server_tables, 0, "the server's own tables do not travel");
    let feed: i64 = conn.query_row("SELECT count(*) FROM change_feed", [], |r| r.get(0)).expect("feed");
    assert_eq!(feed, 0);
    let raw = std::fs::read(&ae).expect("bytes");
    assert!(!String::from_utf8_lossy(&raw).contains("$argon2id$"), "no password hash anywhere in the file");
    drop(conn);

    for copy in [&leader, &ae, &pm] {
        json(copy, &["sync"]);
        assert_eq!(exports(copy), exports(&team.db), "{} equals the server", copy.display());
        assert_checks(copy);
    }
    assert_checks(&team.db);
}

#[test]
fn a_command_the_server_dies_during_is_applied_exactly_once() {
    let mut team = Team::demo(60);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let account = json(&ae, &["account", "list", "--limit", "1"])[0]["id"].to_string();

    // Restart the server so that it commits the next command and then waits before it
    // answers; kill -9 it in that window, then bring it back without the pause.
    let port = team.port;
    team.kill();
    team.start(port, Some(5_000));
    let mut client = std::process::Command::new(crate::harness::keel_bin())
        .arg("--db")
        .arg(&ae)
        .args([
            "--json",
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Crash Probe",
            "--amount",
            "1000",
            "--close",
            "2027-01-31",
        ])
        .env("KEEL_NOW", crate::harness::NOW)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("keel");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !team.server_log().contains("committed; pausing") {
        assert!(Instant::now() < deadline, "the command never reached the server: {}", team.server_log());
        if let Some(status) = client.try_wait().expect("client") {
            let mut err = String::new();
            client.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
            panic!("the client ended ({status}) before the kill: {err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    team.kill();
    assert_eq!(count_named(&team.db, "Crash Probe"), 1, "committed before the kill");
    team.start(port, None);

    let status = client.wait().expect("client");
    let mut out = String::new();
    let mut err = String::new();
    client.stdout.take().expect("stdout").read_to_string(&mut out).expect("read");
    client.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
    assert!(status.success(), "the client retried until the server was back: {err}");
    assert_eq!(count_named(&team.db, "Crash Probe"), 1, "the retry was not applied a second time");
    assert_eq!(count_named(&ae, "Crash Probe"), 1, "the member's copy has it once");

    assert_checks(&team.db);
    json(&leader, &["sync"]);
    for copy in [&ae, &leader] {
        assert_eq!(exports(copy), exports(&team.db), "{} equals the server", copy.display());
    }
}
