//! What crosses between a copy and its server, as a member meets it: refusals keep their
//! details, plain HTTP goes nowhere but this machine, and a leader adding a member gets
//! the code the new member joins with.

use crate::harness::{an_open_deal_of, json, keel, refusal, Team};

#[test]
fn a_move_the_server_refuses_lists_each_missing_criterion_on_the_copy() {
    let team = Team::demo(60);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Unqualified");
    json(&ae, &["deal", "move", &deal, "Qualification"]);

    let refused = refusal(&ae, &["deal", "move", &deal, "Discovery & Demo"]);
    assert_eq!(refused["code"], "criteria_unmet", "{refused}");
    let details: Vec<String> = refused["details"]
        .as_array()
        .unwrap_or_else(|| panic!("the server's details reach the copy: {refused}"))
        .iter()
        .map(|d| d.as_str().unwrap_or_default().to_lowercase())
        .collect();
    for item in ["budget", "authority", "need", "timeline"] {
        assert!(details.iter().any(|d| d.contains(item)), "{item} is listed: {details:?}");
    }
    assert_eq!(json(&ae, &["deal", "show", &deal])["deal"]["stage_name"], "Qualification", "nothing moved");
}

#[test]
fn joining_over_plain_http_is_refused_unless_the_server_is_on_this_machine() {
    let team = Team::demo(20);
    let code = team.code(&team.member_named(1));
    let dir = tempfile::tempdir().expect("dir");
    for url in ["http://crm.example.com:8080", "http://10.1.2.3:8080", "http://127.0.0.1@crm.example.com"] {
        let copy = dir.path().join("refused.db");
        let refused = refusal(&copy, &["join", url, &code]);
        assert_eq!(refused["code"], "invalid_input", "{url}: {refused}");
        assert_eq!(refused["field"], "url", "{url}: {refused}");
        assert!(refused["message"].as_str().unwrap_or_default().contains("https://"), "{refused}");
        assert!(!copy.exists(), "{url}: no copy is made");
    }
    // The same code still works over loopback: the refusals spent nothing.
    let copy = dir.path().join("ok.db");
    let joined = keel(&copy, &["join", &team.url, &code]);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
}

#[test]
fn a_leader_adding_a_member_with_json_gets_the_code_the_member_joins_with() {
    let team = Team::demo(20);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let added = json(&leader, &["team", "add", "--name", "Noor Haddad", "--role", "sales-engineer"]);
    assert_eq!(added["name"], "Noor Haddad", "{added}");
    let code = added["invitation_code"].as_str().unwrap_or_else(|| panic!("an invitation code: {added}"));
    let copy = team.join("noor", code);
    let conn = rusqlite::Connection::open(&copy).expect("copy");
    let member: i64 = conn.query_row("SELECT member_id FROM team_link", [], |r| r.get(0)).expect("link");
    assert_eq!(Some(member), added["id"].as_i64(), "the copy acts as the member just added");
}

fn sessions_of(team: &Team, copy: &std::path::Path) -> i64 {
    let client = crate::harness::link_field(copy, "client_id");
    rusqlite::Connection::open(&team.db)
        .expect("server file")
        .query_row("SELECT count(*) FROM server_sessions WHERE client_id = ?1", [client], |r| r.get(0))
        .expect("sessions")
}

/// A machine signs in once per session, not once per change (password hashing is slow on
/// purpose); when the session ends on the server, the next change signs in again.
#[test]
fn many_changes_from_one_copy_take_one_sign_in() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let deal = an_open_deal_of(&ae, "Chatty deal");
    for n in 0..30 {
        json(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", &format!("Note {n}")]);
    }
    json(&ae, &["sync"]);
    assert_eq!(sessions_of(&team, &ae), 1, "the session made on joining served every change");

    // The server ends the session (an admin cleared them): the copy signs in again, once.
    rusqlite::Connection::open(&team.db)
        .expect("server")
        .execute("DELETE FROM server_sessions", [])
        .expect("end");
    json(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "After the end"]);
    json(&ae, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "And again"]);
    assert_eq!(sessions_of(&team, &ae), 1);
}

#[test]
fn a_copy_put_back_from_a_backup_is_told_its_change_number_was_used_not_answered_with_another_change() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let older = team.dir.path().join("older.db");
    std::fs::copy(&ae, &older).expect("a copy of the file, as a backup put back would be");
    let made = json(&ae, &["account", "add", "--name", "From the copy in use"]);

    // The older file numbers its next change as the one the copy in use just sent.
    let refused = crate::harness::refusal(&older, &["account", "add", "--name", "From the older file"]);
    assert_eq!(refused["code"], "not_allowed", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("join the team again"), "{refused}");
    let names: Vec<String> = json(&team.db, &["account", "list", "--search", "From the", "--limit", "10"])
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        vec!["From the copy in use".to_string()],
        "the first change stands; the second was not made"
    );
    assert_ne!(made["id"], serde_json::Value::Null);

    // And the machine stops there: both files are the one machine, whose numbers can no
    // longer be trusted; each is told to join again, and neither makes anything more.
    for copy in [&older, &ae] {
        let stopped = crate::harness::refusal(copy, &["account", "add", "--name", "After the refusal"]);
        assert_eq!(stopped["code"], "forbidden", "{stopped}");
        assert!(stopped["message"].as_str().unwrap_or_default().contains("join again"), "{stopped}");
    }
    assert_eq!(
        json(&team.db, &["account", "list", "--search", "After the refusal"]).as_array().map(Vec::len),
        Some(0)
    );
}
