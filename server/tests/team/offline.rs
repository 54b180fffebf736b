//! Working offline in a team workspace: field work waits in the outbox, applies on the
//! copy at once, and the server decides once it is back; money waits for nobody.

use crate::harness::{an_open_deal_of, assert_checks, exports, json, keel, refusal, Team};
use serde_json::Value;
use std::path::Path;

fn one(db: &Path, sql: &str, param: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [param], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Runs a change while the server is down: it must succeed here, marked as waiting.
fn offline_change(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = keel(db, &all);
    assert!(out.status.success(), "offline keel {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

#[test]
fn records_made_offline_get_server_ids_and_a_move_of_a_deal_lost_meanwhile_is_a_listed_conflict() {
    let mut team = Team::demo(120);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let contested = an_open_deal_of(&ae, "Contested");
    let contested_stage = json(&ae, &["deal", "show", &contested])["deal"]["stage_name"].clone();

    team.kill();
    // On the plane: a new account, a deal for it, the meeting on that deal, a move of it,
    // and a move of an existing deal, all on this copy at once.
    let account = offline_change(
        &ae,
        &["account", "add", "--name", "Offline Works", "--domain", "offline-works.example"],
    );
    let local_account = account["id"].as_i64().expect("account id");
    let deal = offline_change(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &local_account.to_string(),
            "--name",
            "Offline Deal",
            "--amount",
            "48000",
            "--close",
            "2027-02-26",
        ],
    );
    let local_deal = deal["id"].as_i64().expect("deal id");
    offline_change(
        &ae,
        &[
            "activity",
            "add",
            "--deal",
            &local_deal.to_string(),
            "--kind",
            "meeting",
            "--subject",
            "Met on site",
        ],
    );
    offline_change(&ae, &["deal", "move", &local_deal.to_string(), "Qualification"]);
    offline_change(&ae, &["deal", "move", &contested, "Qualification"]);
    assert_eq!(json(&ae, &["deal", "show", &local_deal.to_string()])["deal"]["stage_name"], "Qualification");
    assert_eq!(json(&ae, &["deal", "show", &contested])["deal"]["stage_name"], "Qualification");
    let status = json(&ae, &["sync", "--status"]);
    assert_eq!(status["pending"], 5, "{status}");

    // Money is never made offline, and nothing is kept for it.
    let before = exports(&ae);
    let won = json(&ae, &["deal", "list", "--status", "won", "--limit", "1"])[0]["id"].to_string();
    let refused =
        refusal(&ae, &["revenue", "record", "--deal", &won, "--amount", "1000", "--date", "2026-11-30"]);
    assert_eq!(refused["code"], "offline", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("never made offline"), "{refused}");
    assert_eq!(json(&ae, &["sync", "--status"])["pending"], 5, "nothing queued for an online-only action");
    assert_eq!(exports(&ae), before, "and nothing written");

    // The server is back; meanwhile the leader creates records (so ids move on) and
    // loses the deal the account executive moved offline.
    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    let other_account =
        json(&leader, &["account", "add", "--name", "Meanwhile Inc", "--domain", "meanwhile.example"])["id"]
            .to_string();
    json(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &other_account,
            "--name",
            "Meanwhile Deal",
            "--amount",
            "1000",
            "--close",
            "2027-01-29",
        ],
    );
    json(&leader, &["deal", "move", &contested, "Closed Lost", "--loss-reason", "budget"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(
        (report["sent"].as_i64(), report["refused"].as_i64(), report["pending"].as_i64()),
        (Some(4), Some(1), Some(0)),
        "{report}"
    );

    // On the server: the new records with the server's ids, linked to each other.
    let server_account = one(&team.db, "SELECT id FROM accounts WHERE name = ?1", "Offline Works");
    let server_deal = one(&team.db, "SELECT id FROM deals WHERE name = ?1", "Offline Deal");
    assert_ne!(server_account, local_account, "the leader's account took the id this copy had given");
    assert_ne!(server_deal, local_deal);
    assert_eq!(one(&team.db, "SELECT account_id FROM deals WHERE name = ?1", "Offline Deal"), server_account);
    assert_eq!(
        one(&team.db, "SELECT deal_id FROM activities WHERE subject = ?1", "Met on site"),
        server_deal
    );
    let moved = json(&team.db, &["deal", "show", &server_deal.to_string()]);
    assert_eq!(moved["deal"]["stage_name"], "Qualification");
    let lost = json(&team.db, &["deal", "show", &contested]);
    assert_eq!(lost["deal"]["stage_name"], "Closed Lost", "the leader's change stands");
    assert_ne!(contested_stage, "Closed Lost");

    // The refused move is listed with the server's answer, naming the field.
    let status = json(&ae, &["sync", "--status"]);
    assert_eq!(status["pending"], 0);
    assert_eq!(status["refused"], 1, "{status}");
    let entry = &status["entries"][0];
    assert_eq!(entry["error"]["code"], "conflict", "{status}");
    assert_eq!(entry["error"]["field"], "stage", "{status}");
    assert_eq!(entry["command"][0], "deal", "the change as one would type it: {status}");
    assert_eq!(entry["command"][1], "move", "{status}");

    // Every copy equals the server, and every file passes its checks.
    json(&leader, &["sync"]);
    let server = exports(&team.db);
    assert_eq!(exports(&ae), server, "the account executive's copy converged to the server");
    assert_eq!(exports(&leader), server);
    for db in [&ae, &leader, &team.db] {
        assert_checks(db);
    }

    // Discarding the refused move leaves the list empty; the copy stays as the server is.
    let seq = entry["seq"].to_string();
    json(&ae, &["sync", "--discard", &seq]);
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]));
    assert_eq!(exports(&ae), server);
}

#[test]
fn an_amount_changed_by_someone_else_meanwhile_is_a_conflict_and_a_retry_applies_it_over() {
    let mut team = Team::demo(60);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Amount to agree");
    let note = an_open_deal_of(&ae, "Quiet deal");

    team.kill();
    offline_change(&ae, &["deal", "update", &deal, "--amount", "77000"]);
    // An account the server will refuse (its domain is taken meanwhile), and a deal for it:
    // the deal is refused here, naming the account, rather than sent with an id that may
    // mean another account on the server.
    let doomed =
        offline_change(&ae, &["account", "add", "--name", "Taken Twice", "--domain", "taken.example"])["id"]
            .to_string();
    offline_change(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &doomed,
            "--name",
            "Orphan",
            "--amount",
            "1000",
            "--close",
            "2027-02-26",
        ],
    );
    // A note on another deal, which nobody touches: it goes through.
    offline_change(&ae, &["activity", "add", "--deal", &note, "--kind", "note", "--subject", "Offline note"]);
    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    json(&leader, &["deal", "update", &deal, "--amount", "99000"]);
    json(&leader, &["account", "add", "--name", "Taken First", "--domain", "taken.example"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(report["refused"], 3, "{report}");
    let status = json(&ae, &["sync", "--status"]);
    let codes: Vec<&str> = status["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["error"]["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["conflict", "duplicate", "not_found"], "{status}");
    let (creator, orphan) = (status["entries"][1]["seq"].to_string(), &status["entries"][2]);
    assert!(
        orphan["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("change {creator} was to make")),
        "{status}"
    );
    // The copy caught up: the id the account had here may be another record's now, so the
    // change naming it shows a word, not a number one could copy into a command.
    let words: Vec<&str> =
        orphan["command"].as_array().expect("words").iter().filter_map(|w| w.as_str()).collect();
    assert!(words.contains(&format!("made-by-change-{creator}").as_str()), "{words:?}");
    assert!(!words.contains(&doomed.as_str()), "{words:?}");
    assert_eq!(one(&team.db, "SELECT count(*) FROM deals WHERE name = ?1", "Orphan"), 0);
    let entry = &status["entries"][0];
    assert_eq!(entry["error"]["code"], "conflict", "{status}");
    assert_eq!(entry["error"]["field"], "amount", "{status}");
    assert_eq!(
        json(&ae, &["deal", "show", &deal])["deal"]["amount"]["amount_minor"],
        9_900_000,
        "the copy shows the server's amount"
    );
    assert_eq!(one(&team.db, "SELECT count(*) FROM activities WHERE subject = ?1", "Offline note"), 1);

    // Retry: the member has seen the other change and applies theirs over it.
    json(&ae, &["sync", "--retry", &entry["seq"].to_string()]);
    assert_eq!(json(&team.db, &["deal", "show", &deal])["deal"]["amount"]["amount_minor"], 7_700_000);
    // The account, edited to another domain, is made; the deal waiting on it follows it.
    json(
        &ae,
        &[
            "sync",
            "--edit",
            &creator,
            "--",
            "account",
            "add",
            "--name",
            "Taken Twice",
            "--domain",
            "taken2.example",
        ],
    );
    // The deal waiting on it followed it, as its refusal said it would.
    let on: String = rusqlite::Connection::open(&team.db)
        .expect("server")
        .query_row(
            "SELECT a.name FROM deals d JOIN accounts a ON a.id = d.account_id WHERE d.name = 'Orphan'",
            [],
            |r| r.get(0),
        )
        .expect("the orphan was made");
    assert_eq!(on, "Taken Twice", "on the account its change was to make, not the other member's");
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]));
    assert_eq!(exports(&ae), exports(&team.db));
}

/// A seeded generator (xorshift), so a failing kill point can be replayed.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn kill_after(mut child: std::process::Child, ms: u64) -> bool {
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = std::process::Command::new("kill").args(["-9", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    finished && status.success()
}

#[test]
fn the_outbox_survives_kill_9_at_any_moment_nothing_applied_twice_nothing_lost() {
    let mut team = Team::demo(40);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Noted often");
    let mut rng = Seeded(0x5eed_0019);
    let mut acknowledged: Vec<String> = Vec::new();
    let mut attempted: Vec<String> = Vec::new();
    let port = team.port;
    let spawn = |args: &[&str]| {
        std::process::Command::new(crate::harness::keel_bin())
            .arg("--db")
            .arg(&ae)
            .args(args)
            .env("KEEL_NOW", crate::harness::NOW)
            .env_remove("KEEL_DB")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("keel")
    };
    // Kill points span this machine's own time for each command (a loaded machine is
    // slower), so every run kills some commands early, some late and lets some finish.
    team.kill();
    let took = |args: &[&str]| {
        let started = std::time::Instant::now();
        assert!(spawn(args).wait().expect("wait").success(), "{args:?}");
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX).max(20)
    };
    let queueing = took(&["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Unkilled"]);
    acknowledged.push("Unkilled".to_string());
    attempted.push("Unkilled".to_string());
    team.start(port, None);
    let syncing = took(&["sync"]);
    for round in 0..32 {
        // Offline: queue a note, sometimes killed while queueing.
        team.kill();
        let subject = format!("Kill round {round}");
        attempted.push(subject.clone());
        let child = spawn(&["activity", "add", "--deal", &deal, "--kind", "note", "--subject", &subject]);
        if kill_after(child, rng.below(2 * queueing)) {
            acknowledged.push(subject.clone());
        }
        // Online: the sync that sends it, killed at a random moment.
        team.start(port, None);
        kill_after(spawn(&["sync"]), rng.below(2 * syncing));
    }
    let report = json(&ae, &["sync"]);
    assert_eq!(report["pending"], 0, "{report}");
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]), "nothing refused");
    let (mut lost, mut twice) = (Vec::new(), Vec::new());
    for subject in &attempted {
        let on_server = one(&team.db, "SELECT count(*) FROM activities WHERE subject = ?1", subject);
        if on_server > 1 {
            twice.push(subject.clone());
        }
        if on_server == 0 && acknowledged.contains(subject) {
            lost.push(subject.clone());
        }
    }
    assert!(twice.is_empty(), "applied twice: {twice:?}");
    assert!(lost.is_empty(), "acknowledged here but lost: {lost:?}");
    assert!(acknowledged.len() >= 6, "the kill points let some changes finish: {}", acknowledged.len());
    assert_eq!(exports(&ae), exports(&team.db), "the copy equals the server");
    assert_checks(&ae);
}

/// A QBR scheduled offline and then marked held offline: the second change names the
/// first's record, and must land on it on the server, not on whichever QBR the server
/// gave the same number meanwhile (the outbox once did not know `qbr held` named a QBR).
#[test]
fn a_qbr_scheduled_and_held_offline_is_held_on_the_server_and_no_other_qbr_is() {
    let mut team = Team::demo(60);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let accounts = json(&ae, &["account", "list", "--limit", "2"]);
    let (mine, other) = (accounts[0]["id"].to_string(), accounts[1]["id"].to_string());

    team.kill();
    let scheduled = offline_change(&ae, &["qbr", "add", "--account", &mine, "--date", "2027-01-14"]);
    let local = scheduled
        .as_array()
        .expect("the account's QBRs")
        .iter()
        .find(|q| q["scheduled_on"] == "2027-01-14")
        .expect("the QBR scheduled offline")["id"]
        .to_string();
    offline_change(&ae, &["qbr", "held", &local, "--date", "2027-01-15", "--notes", "Held on site"]);

    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    // The leader's QBR on another account takes the number the copy had given its own.
    let theirs = json(&leader, &["qbr", "add", "--account", &other, "--date", "2027-02-11"]);
    let theirs = theirs
        .as_array()
        .expect("the other account's QBRs")
        .iter()
        .find(|q| q["scheduled_on"] == "2027-02-11")
        .expect("the leader's QBR")["id"]
        .to_string();
    assert_eq!(theirs, local, "the test needs the server to reuse the copy's provisional number");

    let report = json(&ae, &["sync"]);
    assert_eq!((report["sent"].as_i64(), report["refused"].as_i64()), (Some(2), Some(0)), "{report}");
    let held = |account: &str, date: &str| {
        json(&team.db, &["qbr", "list", "--account", account])
            .as_array()
            .expect("QBRs")
            .iter()
            .find(|q| q["scheduled_on"] == date)
            .cloned()
            .unwrap_or_else(|| panic!("no QBR on {date} for account {account}"))
    };
    let on_mine = held(&mine, "2027-01-14");
    assert_eq!(on_mine["held_on"], "2027-01-15", "the offline QBR is held on the server: {on_mine}");
    assert_eq!(on_mine["notes"], "Held on site");
    let on_other = held(&other, "2027-02-11");
    assert_eq!(on_other["held_on"], Value::Null, "the leader's QBR is untouched: {on_other}");
    json(&leader, &["sync"]);
    assert_eq!(exports(&ae), exports(&team.db));
    assert_checks(&ae);
}

/// Ids are never reused: an account merged away on the server keeps its id retired, so
/// a change queued offline against it is refused and listed, never applied to the next
/// new account (which SQLite would once have given the freed id).
#[test]
fn a_change_queued_against_an_account_merged_away_is_refused_not_applied_to_a_new_one() {
    let mut team = Team::demo(60);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let keep = json(&leader, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let merged =
        json(&leader, &["account", "add", "--name", "Harbor Twin", "--domain", "harbor-twin.example"])["id"]
            .to_string();
    json(&ae, &["sync"]);

    team.kill();
    offline_change(
        &ae,
        &["activity", "add", "--account", &merged, "--kind", "call", "--subject", "Called the twin"],
    );
    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    json(&leader, &["account", "merge", &keep, &merged]);
    let newcomer =
        json(&leader, &["account", "add", "--name", "Newcomer Ltd", "--domain", "newcomer.example"])["id"]
            .to_string();
    assert_ne!(newcomer, merged, "a merged-away account's id stays retired");

    let report = json(&ae, &["sync"]);
    assert_eq!((report["sent"].as_i64(), report["refused"].as_i64()), (Some(0), Some(1)), "{report}");
    let status = json(&ae, &["sync", "--status"]);
    assert_eq!(status["entries"][0]["error"]["code"], "not_found", "{status}");
    assert_eq!(
        one(&team.db, "SELECT count(*) FROM activities WHERE subject = ?1", "Called the twin"),
        0,
        "the call is on no account"
    );
    assert_checks(&team.db);
}

/// A queued change the server fails with a storage error (here a rule only the server's
/// file has) does not wedge the outbox: it is listed as refused, the changes after it
/// go, the copy follows the feed again, and once the server can take it a retry applies it.
#[test]
fn a_change_the_server_fails_with_a_storage_error_is_listed_and_the_copy_goes_on() {
    let mut team = Team::demo(60);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Storage probe");

    team.kill();
    offline_change(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Poison"]);
    offline_change(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Fine"]);
    let server_file = rusqlite::Connection::open(&team.db).expect("server file");
    server_file
        .execute_batch(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON activities WHEN NEW.subject = 'Poison'
             BEGIN SELECT RAISE(ABORT, 'the disk said no'); END;",
        )
        .expect("a rule only the server has");
    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    json(&leader, &["deal", "update", &deal, "--amount", "41000"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(
        (report["sent"].as_i64(), report["refused"].as_i64(), report["pending"].as_i64()),
        (Some(1), Some(1), Some(0)),
        "{report}"
    );
    let status = json(&ae, &["sync", "--status"]);
    let entry = &status["entries"][0];
    assert_eq!(entry["error"]["code"], "storage", "{status}");
    assert_eq!(
        json(&ae, &["deal", "show", &deal])["deal"]["amount"]["amount_minor"],
        4_100_000,
        "the copy follows the feed again"
    );
    // A new change goes to the server at once, not into the queue.
    let note = json(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Online"]);
    assert_eq!(json(&ae, &["sync", "--status"])["pending"], 0, "{note}");
    assert_eq!(one(&team.db, "SELECT count(*) FROM activities WHERE subject = ?1", "Online"), 1);

    server_file.execute_batch("DROP TRIGGER refuse_poison").expect("the server can take it now");
    json(&ae, &["sync", "--retry", &entry["seq"].to_string()]);
    assert_eq!(one(&team.db, "SELECT count(*) FROM activities WHERE subject = ?1", "Poison"), 1);
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]));
    json(&leader, &["sync"]);
    assert_eq!(exports(&ae), exports(&team.db));
}

/// An offline update that types the value the copy shows is based on that value: another
/// member's change to the field meanwhile is a conflict, not silently undone.
#[test]
fn an_offline_update_typing_the_shown_value_does_not_undo_another_members_change() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Confirmed amount");
    json(&leader, &["sync"]);

    team.kill();
    offline_change(&ae, &["deal", "update", &deal, "--amount", "30000"]);
    let port = team.port;
    team.start(port, None);
    json(&leader, &["deal", "update", &deal, "--amount", "45000"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(report["refused"], 1, "{report}");
    let status = json(&ae, &["sync", "--status"]);
    assert_eq!(status["entries"][0]["error"]["code"], "conflict", "{status}");
    assert_eq!(status["entries"][0]["error"]["field"], "amount", "{status}");
    let on_server = json(&team.db, &["deal", "show", &deal]);
    assert_eq!(on_server["deal"]["amount"]["amount_minor"], 4_500_000, "the leader's amount stands");
    assert_eq!(exports(&ae), exports(&team.db));
}

/// Two members move a deal to the same stage, one of them offline: the same change made
/// twice is no conflict; it is done once, and every copy agrees.
#[test]
fn two_members_moving_a_deal_to_the_same_stage_is_no_conflict() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Moved twice");
    json(&leader, &["sync"]);

    team.kill();
    offline_change(&ae, &["deal", "move", &deal, "Qualification"]);
    let port = team.port;
    team.start(port, None);
    json(&leader, &["deal", "move", &deal, "Qualification"]);

    let report = json(&ae, &["sync"]);
    assert_eq!((report["sent"].as_i64(), report["refused"].as_i64()), (Some(1), Some(0)), "{report}");
    let shown = json(&ae, &["deal", "show", &deal]);
    assert_eq!(shown["deal"]["stage_name"], "Qualification");
    let moves = shown["history"].as_array().expect("history").len();
    assert_eq!(moves, 2, "created in Lead, moved once: {shown}");
    assert_eq!(exports(&ae), exports(&team.db));
}

/// Back online, the member types a command naming a record they made offline by the id
/// this copy shows: it reaches that record, not the other member's record the server
/// gave the same number meanwhile.
#[test]
fn a_command_typed_with_an_offline_records_id_reaches_that_record_on_the_server() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    json(&leader, &["sync"]);

    team.kill();
    let mine = offline_change(
        &ae,
        &["account", "add", "--name", "Offline Works", "--domain", "offline-works.example"],
    )["id"]
        .to_string();
    let port = team.port;
    team.start(port, None);
    let theirs =
        json(&leader, &["account", "add", "--name", "Meanwhile Inc", "--domain", "meanwhile.example"])["id"]
            .to_string();
    assert_eq!(theirs, mine, "the test needs the server to give the leader's account the copy's number");

    // No sync first: the next command is typed with the id the copy shows.
    json(
        &ae,
        &["activity", "add", "--account", &mine, "--kind", "call", "--subject", "Called the offline account"],
    );
    let name: String = rusqlite::Connection::open(&team.db)
        .expect("server")
        .query_row(
            "SELECT a.name FROM activities v JOIN accounts a ON a.id = v.account_id WHERE v.subject = ?1",
            ["Called the offline account"],
            |r| r.get(0),
        )
        .expect("the call");
    assert_eq!(name, "Offline Works", "the call is on the member's own account");
    json(&leader, &["sync"]);
    assert_eq!(exports(&ae), exports(&team.db));
}

/// A member taken off the team while changes wait on their laptop: the server refuses
/// them, the changes can be read (to hand over) and discarded, and the copy then shows
/// the team's workspace as it last caught up.
#[test]
fn a_deactivated_members_waiting_changes_can_be_listed_and_discarded() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae_name = team.member_named(1);
    let ae = team.join("ae", &team.code(&ae_name));
    let deal = an_open_deal_of(&ae, "Handed over");
    let before = exports(&ae);

    team.kill();
    offline_change(&ae, &["deal", "move", &deal, "Qualification"]);
    offline_change(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Met the CTO"]);
    let port = team.port;
    team.start(port, None);
    json(&leader, &["team", "deactivate", &ae_name]);

    let refused = refusal(&ae, &["sync"]);
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let status = json(&ae, &["sync", "--status"]);
    let listed: Vec<String> =
        status["entries"].as_array().expect("entries").iter().map(|e| e["command"].to_string()).collect();
    assert_eq!(listed.len(), 2, "both changes are listed, to hand over: {status}");
    assert!(listed[1].contains("Met the CTO"), "{listed:?}");

    let dropped = json(&ae, &["sync", "--discard-all"]);
    assert_eq!(dropped["discarded"], 2, "{dropped}");
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]));
    assert_eq!(exports(&ae), before, "the copy is as it last caught up");
    assert_checks(&ae);
}

/// A queued move the server refuses for unmet criteria lists each missing item among the
/// changes not synced, as the window shows a refused move.
#[test]
fn a_refused_queued_move_keeps_its_missing_criteria() {
    let mut team = Team::demo(30);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Qualified once");
    json(&ae, &["deal", "move", &deal, "Qualification"]);
    let mut bant = vec!["deal", "bant", deal.as_str()];
    bant.extend([
        "--budget",
        "confirmed",
        "--authority",
        "confirmed",
        "--need",
        "confirmed",
        "--timeline",
        "confirmed",
    ]);
    json(&ae, &bant);
    json(&leader, &["sync"]);

    team.kill();
    offline_change(&ae, &["deal", "move", &deal, "Discovery & Demo"]);
    let port = team.port;
    team.start(port, None);
    // Meanwhile the leader finds the budget only partly confirmed: on the server the move
    // misses its criteria.
    json(&leader, &["deal", "bant", &deal, "--budget", "partial"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(report["refused"], 1, "{report}");
    let status = json(&ae, &["sync", "--status"]);
    let moved = &status["entries"][0];
    assert_eq!(moved["error"]["code"], "criteria_unmet", "{status}");
    let details = moved["error"]["details"].as_array().cloned().unwrap_or_default();
    assert!(
        details.iter().any(|d| d.as_str().unwrap_or_default().to_lowercase().contains("budget")),
        "the missing criteria are kept with the refusal: {status}"
    );
}

/// A sync cut short after the server took a record made offline but before the copy
/// caught up (later changes still wait): a command typed next with the id the copy shows
/// reaches that record, not the other member's record with that number on the server.
#[test]
fn after_an_interrupted_sync_a_typed_command_reaches_the_record_made_offline() {
    let mut team = Team::demo(40);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let other = an_open_deal_of(&ae, "Touched later");
    json(&leader, &["sync"]);
    let account = json(&ae, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let machine: String = crate::harness::link_field(&ae, "client_id");

    team.kill();
    let mine = offline_change(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Made offline",
            "--amount",
            "2000",
            "--close",
            "2027-03-01",
        ],
    )["id"]
        .to_string();
    offline_change(&ae, &["deal", "update", &other, "--amount", "4321"]);
    let port = team.port;
    team.start(port, Some(4_000));
    let theirs = json(
        &leader,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "The leader's",
            "--amount",
            "3000",
            "--close",
            "2027-04-01",
        ],
    )["id"]
        .to_string();
    assert_eq!(theirs, mine, "the test needs the server to give the leader's deal the copy's number");

    // The sync sends the new deal, then the update, and the server dies right after
    // committing the update, before answering it.
    let sync = std::process::Command::new(crate::harness::keel_bin())
        .args(["--db", ae.to_str().expect("utf-8"), "sync"])
        .env("KEEL_NOW", crate::harness::NOW)
        .env_remove("KEEL_DB")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("keel sync");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while team.server_log().matches(&format!("of {machine} committed")).count() < 2 {
        assert!(std::time::Instant::now() < deadline, "the server never paused: {}", team.server_log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    team.kill();
    let _ = sync.wait_with_output();
    team.start(port, None);

    json(&ae, &["deal", "update", &mine, "--amount", "7777"]);
    let amount = |name: &str| -> i64 {
        rusqlite::Connection::open(&team.db)
            .expect("server")
            .query_row("SELECT amount_minor FROM deals WHERE name = ?1", [name], |r| r.get(0))
            .expect("deal")
    };
    assert_eq!(amount("Made offline"), 777_700, "the member's own deal took the change");
    assert_eq!(amount("The leader's"), 300_000, "the leader's deal is untouched");
    json(&leader, &["sync"]);
    assert_eq!(exports(&ae), exports(&team.db));
}

/// Records keyed by their deal (BANT, the proof of concept) are guarded like any other: an
/// offline BANT change based on a status someone else changed meanwhile is a conflict,
/// naming the field, not a silent overwrite.
#[test]
fn an_offline_bant_change_over_another_members_is_a_conflict() {
    let mut team = Team::demo(30);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Qualifying");
    json(&ae, &["deal", "move", &deal, "Qualification"]);
    json(&ae, &["deal", "bant", &deal, "--budget-note", "Asked on the first call"]);
    json(&leader, &["sync"]);

    team.kill();
    offline_change(&ae, &["deal", "bant", &deal, "--budget", "confirmed"]);
    let port = team.port;
    team.start(port, None);
    json(&leader, &["deal", "bant", &deal, "--budget", "partial"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(report["refused"], 1, "{report}");
    let status = json(&ae, &["sync", "--status"]);
    assert_eq!(status["entries"][0]["error"]["code"], "conflict", "{status}");
    assert_eq!(status["entries"][0]["error"]["field"], "budget_status", "{status}");
    let message = status["entries"][0]["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains(&deal), "names the deal: {message}");
    let shown = json(&team.db, &["deal", "show", &deal]);
    assert_eq!(shown["bant"][0]["status"], "partial", "the leader's status stands: {shown}");
    assert_eq!(exports(&ae), exports(&team.db));
}

#[test]
fn a_deals_first_bant_and_proof_of_concept_set_offline_over_another_members_are_conflicts() {
    let mut team = Team::demo(30);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    // A new deal: no BANT and no proof of concept yet, on any copy.
    let account = json(&ae, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let deal = json(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Fresh Deal",
            "--amount",
            "1000",
            "--close",
            "2027-02-26",
        ],
    )["id"]
        .to_string();
    json(&leader, &["sync"]);

    team.kill();
    offline_change(&ae, &["deal", "bant", &deal, "--budget", "confirmed"]);
    offline_change(&ae, &["deal", "poc", &deal, "--scope", "The AE's scope"]);
    let port = team.port;
    team.start(port, None);
    // Meanwhile the leader sets both first, online.
    json(&leader, &["deal", "bant", &deal, "--budget", "partial"]);
    json(&leader, &["deal", "poc", &deal, "--scope", "The leader's scope"]);

    let report = json(&ae, &["sync"]);
    assert_eq!(report["refused"], 2, "neither is written over the leader's: {report}");
    let status = json(&ae, &["sync", "--status"]);
    for (entry, field) in
        status["entries"].as_array().expect("entries").iter().zip(["budget_status", "proof of concept"])
    {
        assert_eq!(entry["error"]["code"], "conflict", "{status}");
        assert_eq!(entry["error"]["field"], field, "{status}");
        let message = entry["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("Deal {deal}")), "names the deal: {message}");
    }
    let shown = json(&team.db, &["deal", "show", &deal]);
    assert_eq!(shown["bant"][0]["status"], "partial", "the leader's BANT stands: {shown}");
    assert_eq!(shown["proof_of_concept"]["scope"], "The leader's scope", "{shown}");
    assert_eq!(exports(&ae), exports(&team.db));
    // Retried as it is, the member's change is made over the leader's.
    let seq = status["entries"][0]["seq"].to_string();
    json(&ae, &["sync", "--retry", &seq]);
    assert_eq!(json(&team.db, &["deal", "show", &deal])["bant"][0]["status"], "confirmed");
}

/// A refused record edited while the server cannot be reached waits again under a new
/// number; the changes waiting on it follow it there, and land on the record it makes.
#[test]
fn a_refused_record_edited_offline_takes_the_changes_waiting_on_it_along() {
    let mut team = Team::demo(30);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    team.kill();
    let doomed =
        offline_change(&ae, &["account", "add", "--name", "Edited Offline", "--domain", "twice.example"])
            ["id"]
            .to_string();
    offline_change(
        &ae,
        &[
            "deal",
            "add",
            "--account",
            &doomed,
            "--name",
            "Follower",
            "--amount",
            "1000",
            "--close",
            "2027-02-26",
        ],
    );
    let port = team.port;
    team.start(port, None);
    json(&leader, &["sync"]);
    json(&leader, &["account", "add", "--name", "There First", "--domain", "twice.example"]);
    assert_eq!(json(&ae, &["sync"])["refused"], 2);
    let status = json(&ae, &["sync", "--status"]);
    let creator = status["entries"][0]["seq"].to_string();

    // Edited with the server gone: made here again, waiting.
    team.kill();
    json(
        &ae,
        &[
            "sync",
            "--edit",
            &creator,
            "--",
            "account",
            "add",
            "--name",
            "Edited Offline",
            "--domain",
            "twice2.example",
        ],
    );
    let waiting = json(&ae, &["sync", "--status"]);
    let states: Vec<&str> =
        waiting["entries"].as_array().expect("entries").iter().filter_map(|e| e["state"].as_str()).collect();
    assert_eq!(states.len(), 2, "{waiting}");

    team.start(port, None);
    // Sent, and the change that waited only for it follows it on its own.
    json(&ae, &["sync"]);
    let on: String = rusqlite::Connection::open(&team.db)
        .expect("server")
        .query_row(
            "SELECT a.domain FROM deals d JOIN accounts a ON a.id = d.account_id WHERE d.name = 'Follower'",
            [],
            |r| r.get(0),
        )
        .expect("the follower was made");
    assert_eq!(on, "twice2.example", "on the account as edited, not the other member's");
    assert_eq!(json(&ae, &["sync", "--status"])["entries"], serde_json::json!([]));
    assert_eq!(exports(&ae), exports(&team.db));
}
