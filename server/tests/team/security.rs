//! Every way in a stranger or a less privileged member might try: no session, someone
//! else's name, someone else's machine id, a guessed code, a member who has left.

use crate::harness::{http, json, refusal, session_of, Team};
use serde_json::{json as body, Value};

fn feed_position(team: &Team) -> i64 {
    let conn = rusqlite::Connection::open(&team.db).expect("open");
    conn.query_row("SELECT coalesce(max(seq), 0) FROM change_feed", [], |r| r.get(0)).expect("position")
}

fn submitted_registration(db: &std::path::Path) -> String {
    let list = json(db, &["registration", "list", "--status", "submitted"]);
    list[0]["registration"]["id"].to_string()
}

#[test]
fn every_role_refusal_of_the_core_holds_through_the_server() {
    let team = Team::demo(80);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let registration = submitted_registration(&team.db);
    let partner =
        json(&team.db, &["partner", "list"])[0]["partner"]["name"].as_str().expect("partner").to_string();

    let before = feed_position(&team);
    let attempts: Vec<Vec<&str>> = vec![
        vec!["registration", "approve", &registration],
        vec!["payouts", "approve", "1"],
        vec!["fx", "set", "EUR", "2026-11-01", "1.10"],
        vec!["target", "set", "Launch", "--from", "2027-01-01", "--to", "2027-06-30", "--customers", "5"],
        vec!["partner", "rate", &partner, "--share", "29"],
        vec!["team", "add", "--name", "Mallory", "--role", "sales-leader"],
        vec!["team", "role", "Mallory", "--role", "sales-leader"],
    ];
    for args in &attempts {
        let refused = refusal(&ae, args);
        let expected = if args[0] == "team" && args[1] == "role" { "not_found" } else { "forbidden" };
        assert_eq!(refused["code"], expected, "{args:?}: {refused}");
    }
    // Changing one's own role is a role change like any other.
    let me = team.member_named(1);
    assert_eq!(refusal(&ae, &["team", "role", &me, "--role", "sales-leader"])["code"], "forbidden");
    assert_eq!(feed_position(&team), before, "no refused command wrote anything");

    // The same commands from the sales leader go through, and reach the AE's copy.
    json(&leader, &["fx", "set", "EUR", "2026-11-01", "1.10"]);
    assert!(feed_position(&team) > before);
    json(&ae, &["sync"]);
    let rates = json(&ae, &["fx", "list", "EUR"]);
    assert!(rates.to_string().contains("2026-11-01"), "{rates}");
}

#[test]
fn a_change_runs_as_the_session_and_a_command_line_is_no_way_in() {
    let team = Team::demo(40);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let leader_name = team.member_named(0);
    let (token, client_id) = session_of(&team, &ae);
    let (_, leader_client) = session_of(&team, &leader);
    let before = feed_position(&team);
    let post = |path: &str, request: Value| -> (u16, Value) {
        let mut reply = http()
            .post(format!("{}{path}", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(request)
            .expect("request");
        (reply.status().as_u16(), reply.body_mut().read_json().unwrap_or(Value::Null))
    };
    let fx_rate = body!({"change": "fx_rate", "form": {"currency": "EUR", "effective_on": "2026-11-01", "rate": "1.5"}});

    // A change runs as the session's member: the AE may not set rates, whoever they name.
    let (status, answer) = post("/v1/changes", body!({"client_id": client_id, "seq": 1, "change": fx_rate}));
    assert_eq!((status, answer["code"].as_str()), (403, Some("forbidden")), "{answer}");
    assert!(answer["message"].as_str().expect("message").contains(&team.member_named(1)), "{answer}");
    // The leader's machine id with the AE's session: refused.
    let (status, answer) =
        post("/v1/changes", body!({"client_id": leader_client, "seq": 2, "change": fx_rate}));
    assert_eq!((status, answer["code"].as_str()), (403, Some("forbidden")), "{answer}");
    // There is no command-line door any more: a command line names no change.
    let stolen = team.dir.path().join("stolen.db");
    let request = body!({"client_id": client_id, "seq": 4, "json": true,
        "args": ["backup", stolen.to_str().expect("utf-8")]});
    let (status, answer) = post("/v1/commands", request);
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")), "{answer}");
    assert!(!stolen.exists());
    assert_eq!(feed_position(&team), before);
    // And the copy itself refuses --as before anything is sent.
    let refused = refusal(&ae, &["--as", &leader_name, "fx", "set", "EUR", "2026-11-01", "1.5"]);
    assert_eq!(refused["code"], "not_allowed", "{refused}");
}

#[test]
fn a_crafted_change_that_is_not_a_change_is_refused_and_runs_nothing() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let (token, client_id) = session_of(&team, &ae);
    let (_, leader_client) = session_of(&team, &leader);
    let send = |request: Value| -> (u16, Value) {
        let mut reply = http()
            .post(format!("{}/v1/changes", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(request)
            .expect("request");
        (reply.status().as_u16(), reply.body_mut().read_json().unwrap_or(Value::Null))
    };
    let before = feed_position(&team);
    let stolen = team.dir.path().join("stolen.db");
    let path = stolen.to_str().expect("utf-8");
    for change in [
        // A read is not a change, whatever it is called.
        body!({"change": "deal_list"}),
        body!({"change": "deal_show", "deal": 1}),
        // Kinds that are not changes at all, naming files on the server.
        body!({"change": "backup", "file": path}),
        body!({"change": "import_deals", "file": "/etc/passwd"}),
        // A known kind with a field it does not have is refused, not half-read.
        body!({"change": "account_add", "form": {"name": "X"}, "file": path}),
        body!({"change": "account_add", "form": {"name": "X", "db": path}}),
        // The command line of before.
        body!(["backup", path]),
    ] {
        let (status, answer) = send(body!({"client_id": client_id, "seq": 1, "change": change}));
        assert_eq!((status, answer["code"].as_str()), (422, Some("invalid_input")), "{change}: {answer}");
        assert_eq!(answer["field"], "change", "{answer}");
    }
    // Fields naming someone else mean nothing to a change: the request is refused whole.
    let (status, answer) =
        send(body!({"client_id": client_id, "seq": 2, "member_id": 1, "as": team.member_named(0),
        "change": {"change": "account_add", "form": {"name": "Y"}}}));
    assert_eq!((status, answer["code"].as_str()), (422, Some("invalid_input")), "{answer}");
    // Another machine's id with this session: refused.
    let (status, answer) = send(body!({"client_id": leader_client, "seq": 3,
        "change": {"change": "account_add", "form": {"name": "Z"}}}));
    assert_eq!((status, answer["code"].as_str()), (403, Some("forbidden")), "{answer}");
    assert!(!stolen.exists());
    assert_eq!(feed_position(&team), before, "nothing ran");

    // A change well made runs as the session's member, once per number.
    let account_add = body!({"client_id": client_id, "seq": 4,
        "change": {"change": "account_add", "form": {"name": "Crafted Co", "segment": "enterprise"}}});
    let (status, answer) = send(account_add.clone());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applied"]["table"], "accounts", "{answer}");
    let id = answer["applied"]["id"].as_i64().expect("id");
    let (status, again) = send(account_add);
    assert_eq!((status, again["repeated"].as_bool()), (200, Some(true)), "{again}");
    assert_eq!(again["applied"]["id"].as_i64(), Some(id), "the same record, not a second one");
    let conn = rusqlite::Connection::open(&team.db).expect("server file");
    let (accounts, actor): (i64, String) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM accounts WHERE name = 'Crafted Co'),
                    (SELECT m.name FROM audit_log a JOIN team_members m ON m.id = a.actor_id
                      WHERE a.entity = 'account' AND a.entity_id = ?1)",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("account");
    assert_eq!((accounts, actor), (1, team.member_named(1)));
    // Numbers count from 1; only a change made offline says what it was based on (so an
    // online-only change cannot be skipped as "already in effect" before its permission).
    let (status, answer) = send(body!({"client_id": client_id, "seq": 0,
        "change": {"change": "account_add", "form": {"name": "Zero Co"}}}));
    assert_eq!((status, answer["field"].as_str()), (422, Some("seq")), "{answer}");
    let fx = body!({"change": "fx_rate", "form": {"currency": "EUR", "effective_on": "2026-11-01", "rate": "1.5"}});
    let expect = body!([{"table": "deals", "id": 1, "column": "name", "value": "x", "to": "x"}]);
    let (status, answer) = send(body!({"client_id": client_id, "seq": 6, "change": fx, "expect": expect}));
    assert_eq!((status, answer["field"].as_str()), (422, Some("expect")), "{answer}");
    let bogus = body!([{"table": "deals", "id": 1, "column": "name", "value": "x", "bogus": 1}]);
    let (status, answer) = send(body!({"client_id": client_id, "seq": 7,
        "change": {"change": "activity_done", "activity": 1}, "expect": bogus}));
    assert_eq!(
        (status, answer["field"].as_str()),
        (422, Some("change")),
        "an unknown field in expect: {answer}"
    );
    // A body far past what a change is gets an answer in words like any other refusal.
    let huge = "x".repeat((2 << 20) + 1000);
    let (status, answer) = send(body!({"client_id": client_id, "seq": 9,
        "change": {"change": "account_add", "form": {"name": huge}}}));
    assert_eq!((status, answer["code"].as_str()), (413, Some("invalid_input")), "{status}");
    // A mistake in a change names its field, as through every other door.
    let (status, answer) = send(body!({"client_id": client_id, "seq": 8,
        "change": {"change": "account_add", "form": {"name": "W", "segment": "galactic"}}}));
    assert_eq!(
        (status, answer["code"].as_str(), answer["field"].as_str()),
        (422, Some("invalid_input"), Some("segment"))
    );
    // The same number with another change is refused, never answered as the first one, and
    // the machine, whose numbers can no longer be trusted, is stopped there.
    let (status, answer) = send(body!({"client_id": client_id, "seq": 4,
        "change": {"change": "account_add", "form": {"name": "Second Co"}}}));
    assert_eq!((status, answer["code"].as_str()), (409, Some("not_allowed")), "{answer}");
    assert!(answer["message"].as_str().unwrap_or_default().contains("join the team again"), "{answer}");
    let (status, _) = send(body!({"client_id": client_id, "seq": 10,
        "change": {"change": "account_add", "form": {"name": "Third Co"}}}));
    assert_eq!(status, 401, "its session ended with it");
}

#[test]
fn strangers_get_401_and_no_data() {
    let team = Team::demo(20);
    for token in [None, Some("not-a-token"), Some("")] {
        for (method, path) in [
            ("GET", "/v1/feed?after=0"),
            ("GET", "/v1/snapshot"),
            ("GET", "/v1/events"),
            ("GET", "/v1/me"),
            ("POST", "/v1/changes"),
        ] {
            let agent = http();
            let url = format!("{}{path}", team.url);
            let reply = match (method, token) {
                ("GET", Some(t)) => agent.get(&url).header("Authorization", format!("Bearer {t}")).call(),
                ("GET", None) => agent.get(&url).call(),
                (_, Some(t)) => agent
                    .post(&url)
                    .header("Authorization", format!("Bearer {t}"))
                    .send_json(body!({"client_id": "x", "seq": 1, "json": true, "args": ["deal", "list"]})),
                (_, None) => agent
                    .post(&url)
                    .send_json(body!({"client_id": "x", "seq": 1, "json": true, "args": ["deal", "list"]})),
            };
            let mut reply = reply.expect("request");
            assert_eq!(reply.status().as_u16(), 401, "{method} {path} with {token:?}");
            let text = reply.body_mut().read_to_string().expect("body");
            let answer: Value = serde_json::from_str(&text).expect("json error");
            assert_eq!(answer["code"], "unauthenticated");
            assert!(!text.contains("entries") && text.len() < 200, "no data: {text}");
        }
    }
}

#[test]
fn a_deactivated_member_is_shut_out_at_once() {
    let team = Team::demo(40);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let (token, _) = session_of(&team, &ae);
    let feed = |token: &str| {
        http()
            .get(format!("{}/v1/feed?after=0&limit=1", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("feed")
            .status()
            .as_u16()
    };
    assert_eq!(feed(&token), 200);
    json(&leader, &["team", "deactivate", &team.member_named(1)]);
    assert_eq!(feed(&token), 401, "the open session ended with the deactivation");
    let refused = refusal(&ae, &["sync"]);
    assert_eq!(refused["code"], "forbidden", "{refused}");
    // Their history stays: the deals they own are still theirs on the leader's copy.
    json(&leader, &["sync"]);
    let team_list = json(&leader, &["team", "list"]);
    let gone = team_list
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["name"] == team.member_named(1))
        .expect("member");
    assert!(gone["deactivated_at"].is_string(), "{gone}");
}

#[test]
fn wrong_codes_are_refused_and_repeated_failures_are_slowed() {
    let team = Team::demo(20);
    let code = team.code(&team.member_named(1));
    let member = code.split('-').next().expect("member").to_string();
    let join = |code: &str| -> (u16, Value, Option<String>) {
        let mut reply =
            http().post(format!("{}/v1/join", team.url)).send_json(body!({ "code": code })).expect("join");
        let retry = reply.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        (reply.status().as_u16(), reply.body_mut().read_json().unwrap_or(Value::Null), retry)
    };
    let (status, answer, _) = join(&format!("{member}-00000000000000000000"));
    assert_eq!((status, answer["code"].as_str()), (401, Some("unauthenticated")));
    let statuses: Vec<u16> = (0..6).map(|i| join(&format!("{member}-bad{i}")).0).collect();
    assert!(statuses.contains(&429), "repeated failures are slowed down: {statuses:?}");
    // While the wait lasts, even the right code waits: guessing cannot race it.
    let (status, answer, retry) = join(&code);
    assert_eq!(status, 429, "{answer}");
    assert!(retry.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s >= 1)));
}

#[test]
fn an_invitation_code_works_once() {
    let team = Team::demo(20);
    let code = team.code(&team.member_named(1));
    team.join("first", &code);
    let second = team.dir.path().join("second.db");
    let refused = refusal(&second, &["join", &team.url, &code]);
    assert_eq!(refused["code"], "unauthenticated", "{refused}");
    assert!(!second.exists(), "a refused join leaves no file");
}

#[test]
fn a_session_expires_and_the_machine_signs_in_again_with_its_credential() {
    let mut team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let (token, _) = session_of(&team, &ae);
    let feed = |team: &Team, token: &str| {
        http()
            .get(format!("{}/v1/feed?after=0&limit=1", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("feed")
            .status()
            .as_u16()
    };
    assert_eq!(feed(&team, &token), 200);
    // Thirteen hours later (sessions last twelve): the token is refused.
    let port = team.port;
    team.kill();
    team.start_at(port, None, "2026-11-30T23:00:00Z");
    assert_eq!(feed(&team, &token), 401, "an expired session");
    // The machine's credential still signs it in: the copy syncs as before.
    json(&ae, &["sync"]);
}

#[test]
fn a_sales_leader_invites_a_member_again_and_an_account_executive_may_not() {
    let team = Team::demo(20);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let ae_name = team.member_named(1);
    let refused = refusal(&ae, &["team", "invite", &ae_name]);
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let out = crate::harness::keel(&leader, &["team", "invite", &ae_name]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let code = text.split(": ").nth(1).and_then(|t| t.split_whitespace().next()).expect("code").to_string();
    // The account executive's second machine joins with it, as the account executive.
    let laptop = team.join("ae-laptop", &code);
    let member_of = |copy: &std::path::Path| -> i64 {
        let conn = rusqlite::Connection::open(copy).expect("copy");
        conn.query_row("SELECT member_id FROM team_link", [], |r| r.get(0)).expect("link")
    };
    assert_eq!(member_of(&laptop), member_of(&ae), "the new machine acts as the member invited");
    // On a workspace of one's own there is no server to keep codes.
    let refused = refusal(&team.db, &["team", "invite", &ae_name]);
    assert_eq!(refused["code"], "not_allowed", "{refused}");
}

/// A stranger's failed sign-ins from the member's own address (an office, a shared proxy)
/// do not lock out a machine the server knows: its credential cannot be guessed, so its
/// sign-in is not held back by the address. The stranger is slowed down all the same.
#[test]
fn a_strangers_failed_sign_ins_do_not_delay_a_members_change() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = crate::harness::an_open_deal_of(&ae, "Busy office");
    // The member's session is over: the next change must sign in.
    rusqlite::Connection::open(&team.db)
        .expect("server")
        .execute("DELETE FROM server_sessions", [])
        .expect("end");
    let statuses: Vec<u16> = (0..7)
        .map(|i| {
            http()
                .post(format!("{}/v1/session", team.url))
                .send_json(body!({ "credential": format!("unknown{i}.guess") }))
                .expect("sign in")
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses.last(), Some(&429), "the stranger waits: {statuses:?}");
    let started = std::time::Instant::now();
    json(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "Not held back"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "no wait was served to the member");
}

/// Behind a trusted proxy, failures are counted per client address as the proxy reports
/// it; from anyone else, the header is ignored (it cannot be used to dodge the count).
#[test]
fn failures_are_counted_per_client_behind_a_trusted_proxy_and_the_header_is_ignored_otherwise() {
    let mut team = Team::demo(20);
    // Each guess aims at another member, so only the address's count can slow them down.
    let guesses = std::cell::Cell::new(900);
    let failing = |team: &Team, forwarded: &str| -> u16 {
        guesses.set(guesses.get() + 1);
        http()
            .post(format!("{}/v1/join", team.url))
            .header("X-Forwarded-For", forwarded)
            .send_json(body!({ "code": format!("{}-nope", guesses.get()) }))
            .expect("join")
            .status()
            .as_u16()
    };
    // Without --trusted-proxy: rotating the header does not help a guesser.
    let spoofed: Vec<u16> = (0..7).map(|i| failing(&team, &format!("198.51.100.{i}"))).collect();
    assert_eq!(spoofed.last(), Some(&429), "{spoofed:?}");

    team.kill();
    let port = team.port;
    team.start_with(port, None, crate::harness::NOW, &["--trusted-proxy", "127.0.0.1"]);
    let one_client: Vec<u16> = (0..7).map(|_| failing(&team, "203.0.113.7")).collect();
    assert_eq!(one_client.last(), Some(&429), "{one_client:?}");
    assert_eq!(
        failing(&team, "10.20.30.40, 203.0.113.99"),
        401,
        "another client behind the proxy is not held back"
    );
    // Only the proxy's own (last) entry counts: a client cannot pick its address by
    // making that entry unreadable; it then counts as the proxy's.
    let dodging: Vec<u16> = (0..7).map(|i| failing(&team, &format!("7.7.7.{i}, 10.0.0.2:4444"))).collect();
    assert_eq!(dodging.last(), Some(&429), "{dodging:?}");
}

/// Guesses aimed at a known machine's id are held back by that machine's own count, so
/// they cannot make the server hash without end nor hold its address for long.
#[test]
fn guesses_at_a_known_machine_are_held_back_by_its_own_count() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let machine: String = crate::harness::link_field(&ae, "client_id");
    let mut last_wait = 0;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let reply = http()
            .post(format!("{}/v1/session", team.url))
            .send_json(body!({ "credential": format!("{machine}.0000") }))
            .expect("sign in");
        statuses.push(reply.status().as_u16());
        last_wait =
            reply.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(last_wait <= 8, "held back before hashing, the wait stops growing: {last_wait} s, {statuses:?}");
}
