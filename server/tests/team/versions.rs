//! Versions on the wire: a client of another protocol or schema is told who must update,
//! and a server put back from a backup makes every copy say "join again" instead of
//! silently skipping the changes it had seen.

use crate::harness::{exports, http, json, refusal, server_bin, Team};
use keel::remote::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER};
use serde_json::Value;

fn feed_position(db: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("server file");
    conn.query_row("SELECT coalesce(max(seq), 0) FROM change_feed", [], |r| r.get(0)).expect("position")
}

#[test]
fn a_client_of_another_protocol_or_schema_is_refused_saying_who_must_update() {
    let team = Team::demo(20);
    let latest = keel::store::latest_version();
    let cases: [(&str, String, &str); 5] = [
        (PROTOCOL_HEADER, (PROTOCOL_VERSION - 1).to_string(), "update this app"),
        (PROTOCOL_HEADER, (PROTOCOL_VERSION + 1).to_string(), "ask your admin"),
        (SCHEMA_HEADER, (latest - 1).to_string(), "update this app"),
        (SCHEMA_HEADER, (latest + 1).to_string(), "ask your admin"),
        (PROTOCOL_HEADER, "not-a-number".to_string(), "update this app"),
    ];
    let before = feed_position(&team.db);
    for (header, value, words) in cases {
        for (method, path) in [("POST", "/v1/join"), ("POST", "/v1/changes"), ("GET", "/v1/feed?after=0")] {
            let url = format!("{}{path}", team.url);
            let sent = match method {
                "POST" => http()
                    .post(&url)
                    .header(header, &value)
                    .send_json(serde_json::json!({"code": team.code(&team.member_named(1))})),
                _ => http().get(&url).header(header, &value).call(),
            };
            let mut reply = sent.expect("an answer");
            assert_eq!(reply.status().as_u16(), 409, "{header}: {value} on {path}");
            let body: Value = reply.body_mut().read_json().expect("json");
            assert_eq!(body["code"], "incompatible", "{body}");
            assert!(body["message"].as_str().unwrap_or_default().contains(words), "{header} {value}: {body}");
        }
    }
    // A version said twice (once right, once not) is not read one way or the other: refused.
    for header in [PROTOCOL_HEADER, SCHEMA_HEADER] {
        let right = if header == PROTOCOL_HEADER { PROTOCOL_VERSION } else { latest };
        let mut reply = http()
            .post(format!("{}/v1/join", team.url))
            .header(header, right.to_string())
            .header(header, (right + 1).to_string())
            .send_json(serde_json::json!({"code": team.code(&team.member_named(1))}))
            .expect("an answer");
        let status = reply.status().as_u16();
        let body: Value = reply.body_mut().read_json().expect("json");
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (422, Some("invalid_input"), Some(header)),
            "{body}"
        );
    }
    assert_eq!(feed_position(&team.db), before, "nothing ran");
    // The refused joins spent no code: the member joins with it now.
    let copy = team.join("ae", &team.code(&team.member_named(1)));
    let conn = rusqlite::Connection::open(&copy).expect("copy");
    let (epoch, schema): (Option<String>, Option<u32>) = conn
        .query_row("SELECT server_epoch, server_schema FROM team_link", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("link");
    assert!(epoch.is_some_and(|e| e.len() >= 16), "the copy keeps the server's epoch");
    assert_eq!(schema, Some(latest));
    // Anyone may ask what the server runs (a copy does before it migrates itself).
    let mut reply = http().get(format!("{}/v1/version", team.url)).call().expect("version");
    let body: Value = reply.body_mut().read_json().expect("json");
    assert_eq!((body["protocol"].as_u64(), body["schema"].as_u64()), (Some(4), Some(u64::from(latest))));
}

/// The server is stopped, its file put back from last night's backup and started again:
/// every copy that had followed it further says "join again" and keeps what it has.
#[test]
fn a_restore_on_the_server_makes_every_copy_say_join_again_and_change_nothing() {
    let mut team = Team::demo(60);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let backup = team.dir.path().join("nightly.db");
    crate::harness::backup(&team.db, &backup);
    let account = json(&leader, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    json(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "After the backup",
            "--amount",
            "900",
            "--close",
            "2027-03-31",
        ],
    );
    json(&ae, &["sync"]);
    let ae_before = exports(&ae);

    team.kill();
    let restored = std::process::Command::new(server_bin())
        .args(["--db", team.db.to_str().expect("path"), "restore", "--from", backup.to_str().expect("path")])
        .env("KEEL_NOW", crate::harness::NOW)
        .output()
        .expect("keel-server restore");
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let port = team.port;
    team.start(port, None);
    let server_before = exports(&team.db);

    for copy in [&ae, &leader] {
        let said = refusal(copy, &["sync"]);
        assert_eq!(said["code"], "restored", "{said}");
        assert!(said["message"].as_str().unwrap_or_default().contains("join again"), "{said}");
    }
    // The backup's credentials sign in no more, even from a client that leaves out its
    // epoch (a machine revoked after the backup stays locked out).
    let machine = crate::harness::link_field(&ae, "client_id");
    let credential =
        keel::remote::credentials::read(&machine).expect("read").expect("the machine's credential");
    let status = http()
        .post(format!("{}/v1/session", team.url))
        .send_json(serde_json::json!({ "credential": credential }))
        .expect("sign in")
        .status()
        .as_u16();
    assert_eq!(status, 403, "an old credential after a restore");
    let refused = refusal(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Lost in time",
            "--amount",
            "1",
            "--close",
            "2027-03-31",
        ],
    );
    assert_eq!(refused["code"], "restored", "{refused}");
    assert_eq!(exports(&ae), ae_before, "the copy keeps what it had");
    assert_eq!(exports(&team.db), server_before, "and the server took nothing");

    // Joining again gives a copy equal to the restored server.
    let code = std::process::Command::new(server_bin())
        .args(["--db", team.db.to_str().expect("path"), "invite", "--member", &team.member_named(1)])
        .env("KEEL_NOW", crate::harness::NOW)
        .output()
        .expect("invite");
    let code = String::from_utf8_lossy(&code.stdout).trim().to_string();
    let again = team.join("ae-again", &code);
    assert_eq!(exports(&again), exports(&team.db));
}

/// Put back by hand (a file copy, so the epoch is the old one): the copy has seen feed
/// positions the file never reached, and says "join again" rather than skip.
#[test]
fn a_server_file_copied_back_by_hand_is_noticed_by_the_copies_ahead_of_it() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let backup = team.dir.path().join("by-hand.db");
    crate::harness::backup(&team.db, &backup);
    let account = json(&leader, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    json(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Gone by hand",
            "--amount",
            "900",
            "--close",
            "2027-03-31",
        ],
    );

    team.kill();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", team.db.display()));
    }
    std::fs::copy(&backup, &team.db).expect("copied back");
    let port = team.port;
    team.start(port, None);
    let said = refusal(&leader, &["sync"]);
    assert_eq!(said["code"], "restored", "{said}");

    // Others go on working on the copied-back file until its feed numbers pass the
    // leader's: the numbers alone would now look fine; the fingerprint does not.
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader_at: i64 = rusqlite::Connection::open(&leader)
        .expect("copy")
        .query_row("SELECT position FROM team_link", [], |r| r.get(0))
        .expect("link");
    let mut n = 0;
    while feed_position(&team.db) <= leader_at + 2 {
        n += 1;
        json(
            &ae,
            &[
                "deal",
                "add",
                "--account",
                &account,
                "--name",
                &format!("Meanwhile {n}"),
                "--amount",
                "5",
                "--close",
                "2027-03-31",
            ],
        );
    }
    let said = refusal(&leader, &["sync"]);
    assert_eq!(said["code"], "restored", "{said}");
    let said = refusal(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Typed on a stale copy",
            "--amount",
            "9",
            "--close",
            "2027-03-31",
        ],
    );
    assert_eq!(said["code"], "restored", "{said}");
    let applied: i64 = rusqlite::Connection::open(&team.db)
        .expect("server")
        .query_row("SELECT count(*) FROM deals WHERE name = 'Typed on a stale copy'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(applied, 0, "a refused change ran nothing");
}
