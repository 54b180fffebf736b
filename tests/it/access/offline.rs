//! A team copy while its server cannot be reached: every change that may wait applies at
//! once and is kept; taking the kept changes back leaves the copy exactly as it was, row
//! for row (the derived report tables included); money waits for nobody.

use keel::changes::Change;
use keel::clock::FixedClock;
use keel::domain::{AccountId, DealId, TeamMemberId};
use keel::services::demo::{generate, DemoOptions};
use keel::services::Workspace;
use keel::store::feed::TeamLink;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// Every row of every table a copy shares with its server, plus the derived tables.
fn contents(path: &Path) -> Vec<(String, Vec<String>)> {
    let conn = Connection::open(path).expect("open");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'outbox%' AND name <> 'team_link' ORDER BY name",
        )
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("names");
    tables
        .into_iter()
        .map(|t| {
            let mut rows: Vec<String> = conn
                .prepare(&format!("SELECT * FROM \"{t}\""))
                .expect("select")
                .query_map([], |r| {
                    let n = r.as_ref().column_count();
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).expect("value")))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("values");
            rows.sort();
            (t, rows)
        })
        .collect()
}

fn one(path: &Path, sql: &str) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn changes_made_offline_apply_at_once_and_are_taken_back_exactly_and_money_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("copy.db");
    let clock = Arc::new(FixedClock::at(crate::start()));
    let mut ws = Workspace::open(&path, clock.clone()).expect("open");
    generate(&mut ws, DemoOptions { deals: 300, seed: 11 }).expect("demo");
    drop(ws);
    let ae = one(&path, "SELECT id FROM team_members WHERE role = 'account-executive' ORDER BY id LIMIT 1");
    let lead = one(&path, "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.name = 'Lead' ORDER BY d.id LIMIT 1");
    let won = one(&path, "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.name = 'Closed Won' ORDER BY d.id LIMIT 1");
    let negotiating =
        one(&path, "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.name = 'Negotiation' ORDER BY d.id LIMIT 1");
    let mut ws = Workspace::open_existing(&path, clock.clone()).expect("open");
    // A copy of a server nobody answers for (the discard port on loopback).
    ws.follow(&TeamLink {
        server_url: "http://127.0.0.1:9".into(),
        member_id: TeamMemberId(ae),
        credential: "unused".into(),
        client_id: "offline-test".into(),
        next_seq: 1,
        position: 0,
        server_epoch: None,
        server_schema: None,
    })
    .expect("follow");
    let before = contents(&path);

    // Each change as the CLI reads it from what a member types, submitted as the app does.
    let who = ws.principal(None).expect("the copy's member");
    let mut send = |words: &[&str]| -> serde_json::Value {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let change = keel::cli::change_from_line(&ws, &words).expect("reads").expect("a change");
        let sent = keel::changes::submit(&mut ws, who, change).unwrap_or_else(|e| panic!("{words:?}: {e}"));
        assert!(sent.queued, "{words:?} was kept, not sent");
        serde_json::json!({ "id": sent.applied.id })
    };
    let account =
        send(&["account", "add", "--name", "Harbor Freight Labs", "--domain", "harbor-labs.example"])["id"]
            .to_string();
    let contact = send(&[
        "contact",
        "add",
        "--account",
        &account,
        "--name",
        "Ines Field",
        "--email",
        "ines@harbor-labs.example",
    ])["id"]
        .to_string();
    send(&["contact", "update", &contact, "--title", "CTO"]);
    let deal = send(&[
        "deal",
        "add",
        "--account",
        &account,
        "--name",
        "Harbor pilot",
        "--amount",
        "42000",
        "--close",
        "2027-02-26",
    ])["id"]
        .to_string();
    let (lead, negotiating) = (lead.to_string(), negotiating.to_string());
    send(&["deal", "update", &lead, "--amount", "61000", "--close", "2027-04-30"]);
    send(&["deal", "bant", &lead, "--budget", "confirmed", "--authority", "confirmed"]);
    send(&["deal", "move", &lead, "Qualification"]);
    send(&[
        "deal",
        "poc",
        &deal,
        "--scope",
        "Two plants",
        "--criteria",
        "Latency under 50 ms",
        "--start",
        "2026-12-01",
        "--end",
        "2027-01-15",
    ]);
    send(&["deal", "checklist", &negotiating, "contract", "in-progress"]);
    let call = send(&[
        "activity",
        "add",
        "--deal",
        &deal,
        "--kind",
        "task",
        "--subject",
        "Send the pilot plan",
        "--due",
        "2026-12-03",
    ])["id"]
        .to_string();
    send(&["activity", "update", &call, "--notes", "Plan drafted on the train"]);
    send(&["activity", "done", &call]);

    // Shown at once on the copy.
    assert_eq!(one(&path, "SELECT count(*) FROM deals WHERE name = 'Harbor pilot'"), 1);
    assert_eq!(one(&path, &format!("SELECT count(*) FROM stage_history WHERE deal_id = {lead}")), 2);
    let waiting = ws.waiting_deals().expect("waiting");
    assert!(
        waiting.contains(&lead.parse().expect("id")) && waiting.contains(&deal.parse().expect("id")),
        "{waiting:?}"
    );
    assert_eq!(ws.outbox_counts().expect("counts"), (12, 0));
    let outbox = ws.outbox().expect("outbox");
    assert!(outbox.windows(2).all(|w| w[0].seq < w[1].seq), "kept in order");
    let update = outbox
        .iter()
        .find(|e| {
            e.line["change"]["change"] == "deal_update"
                && e.line["change"]["deal"].as_i64() == lead.parse().ok()
        })
        .expect("update");
    let fields: Vec<&str> = update.expect.iter().map(|e| e.column.as_str()).collect();
    assert!(
        fields.contains(&"amount_minor") && fields.contains(&"expected_close_date"),
        "based on: {fields:?}"
    );
    let created_deal =
        outbox.iter().find(|e| e.line["change"]["form"]["name"] == "Harbor pilot").expect("deal add");
    assert!(created_deal.created.contains(&("deals".to_string(), deal.parse().expect("id"))));
    assert!(created_deal.expect.is_empty(), "a new record was based on nothing");

    // Money and program actions are refused offline, and nothing is kept or written.
    let kept = contents(&path);
    for change in [
        Change::RevenueRecord {
            deal: DealId(won),
            amount: "1000".into(),
            date: "2026-11-30".into(),
            refund: false,
        },
        Change::FxRate {
            form: keel::services::fx::RateForm {
                currency: "EUR".into(),
                effective_on: "2026-11-01".into(),
                rate: "1.08".into(),
            },
        },
        Change::AccountMerge { keep: AccountId(1), other: AccountId(2) },
    ] {
        assert!(!change.may_queue(), "{change:?}");
        let refused = keel::changes::submit(&mut ws, who, change.clone()).expect_err("online only");
        assert_eq!(refused.code(), "offline", "{change:?}: {refused}");
        assert!(refused.to_string().contains("never made offline"), "{refused}");
    }
    assert_eq!(ws.outbox_counts().expect("counts"), (12, 0), "nothing kept for them");
    assert_eq!(contents(&path), kept, "and nothing written");

    // Taking the kept changes back (what catching up with the server does first) leaves
    // every row as it was, the report projection included.
    let position = ws.team_link().expect("link").expect("joined").position;
    ws.apply_feed(&[], position).expect("take back");
    assert_eq!(contents(&path), before);
    assert!(ws.waiting_deals().expect("waiting").is_empty());
    assert!(ws.invariant_problems().expect("invariants").is_empty());
}

#[test]
fn two_processes_catching_a_copy_up_with_the_same_entries_apply_them_once() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("copy.db");
    let clock = Arc::new(FixedClock::at(crate::start()));
    let mut ws = Workspace::open(&path, clock.clone()).expect("open");
    keel::services::pipeline::init(&mut ws).expect("init");
    ws.follow(&TeamLink {
        server_url: "http://127.0.0.1:9".into(),
        member_id: TeamMemberId(1),
        credential: "unused".into(),
        client_id: "race-test".into(),
        next_seq: 1,
        position: 10,
        server_epoch: None,
        server_schema: None,
    })
    .expect("follow");
    let mut other = Workspace::open_existing(&path, clock).expect("a second process");
    let entries = vec![keel::store::feed::FeedEntry {
        seq: 11,
        table: "settings".into(),
        op: "insert".into(),
        pk: serde_json::json!({"key": "race.probe"}),
        row: Some(serde_json::json!({"key": "race.probe", "value": "once"})),
    }];
    use keel::services::FeedApplied;
    assert_eq!(ws.apply_feed_from(10, &entries, 11, None).expect("first"), FeedApplied::Applied);
    // The second saw position 10 before the first committed: it must not insert again.
    assert_eq!(other.apply_feed_from(10, &entries, 11, None).expect("second"), FeedApplied::MovedOn);
    assert_eq!(one(&path, "SELECT count(*) FROM settings WHERE key = 'race.probe'"), 1);
    assert_eq!(one(&path, "SELECT position FROM team_link"), 11);
}

#[test]
fn changes_an_older_keel_kept_as_command_lines_are_read_as_typed_changes_once() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("copy.db");
    let clock = Arc::new(FixedClock::at(crate::start()));
    let mut ws = Workspace::open(&path, clock.clone()).expect("open");
    generate(&mut ws, DemoOptions { deals: 30, seed: 5 }).expect("demo");
    let ae = one(&path, "SELECT id FROM team_members WHERE role = 'account-executive' ORDER BY id LIMIT 1");
    let lead = one(&path, "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.name = 'Lead' ORDER BY d.id LIMIT 1");
    ws.follow(&TeamLink {
        server_url: "http://127.0.0.1:9".into(),
        member_id: TeamMemberId(ae),
        credential: "unused".into(),
        client_id: "upgrade-test".into(),
        next_seq: 1,
        position: 0,
        server_epoch: None,
        server_schema: None,
    })
    .expect("follow");
    let who = ws.principal(None).expect("member");
    // A new account kept offline by this Keel: change 1, under a provisional id here.
    let form = keel::changes::AccountForm { name: "Upgrade Labs".into(), ..Default::default() };
    let made = keel::changes::submit(&mut ws, who, Change::AccountAdd { form }).expect("kept");
    assert!(made.queued);
    let account = made.applied.id;
    // Then what an older Keel kept, as the command lines it would have sent.
    let conn = Connection::open(&path).expect("open");
    for (seq, words) in [
        (
            2,
            serde_json::json!([
                "--json",
                "deal",
                "add",
                "--account",
                format!("@new:1:accounts:{account}"),
                "--name",
                "Legacy deal",
                "--amount",
                "100",
                "--close",
                "2027-01-31"
            ]),
        ),
        (3, serde_json::json!(["--json", "deal", "move", lead.to_string(), "Qualification"])),
        (4, serde_json::json!(["--json", "frobnicate", "7"])),
    ] {
        conn.execute(
            "INSERT INTO outbox (seq, args_json, queued_at, state) VALUES (?1, ?2, '2026-11-20T10:00:00Z', 'pending')",
            rusqlite::params![seq, words.to_string()],
        )
        .expect("an older Keel's line");
    }

    keel::remote::typed::upgrade_queued_lines(&mut ws).expect("upgrade");
    let lines: Vec<serde_json::Value> = ws.outbox().expect("outbox").into_iter().map(|e| e.line).collect();
    // The deal names the account made offline by change 1: noted as such, not as a number.
    assert_eq!(lines[1]["change"]["change"], "deal_add", "{}", lines[1]);
    assert_eq!(lines[1]["change"]["form"]["account_id"], account);
    assert_eq!(
        lines[1]["named"],
        serde_json::json!([{"at": 0, "creator": 1, "table": "accounts", "id": account}]),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2]["change"],
        serde_json::json!({"change": "deal_move", "deal": lead,
        "form": {"stage": "Qualification", "override_reason": null, "loss_reason": null}})
    );
    assert_eq!(
        lines[3],
        serde_json::json!(["--json", "frobnicate", "7"]),
        "a line that is no change stays as it was"
    );
    // Once: a second pass changes nothing.
    keel::remote::typed::upgrade_queued_lines(&mut ws).expect("again");
    let again: Vec<serde_json::Value> = ws.outbox().expect("outbox").into_iter().map(|e| e.line).collect();
    assert_eq!(again, lines);
    // And a member reads it back as the command they would type.
    let shown = keel::remote::outbox::shown(&mut ws, &lines[1]).expect("shown");
    assert_eq!(shown[..4], ["deal", "add", "--account", &account.to_string()]);
}
