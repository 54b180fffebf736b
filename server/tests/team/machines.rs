//! Machines and sessions: a sales leader sees and revokes any machine, a member their
//! own; a revoked machine is refused at once and its live stream ends; `keel leave`.

use crate::harness::{an_open_deal_of, http, json, keel, refusal, Team};
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

fn machine_of(copy: &Path) -> String {
    crate::harness::link_field(copy, "client_id")
}

fn session_token(copy: &Path) -> String {
    crate::harness::credentials_dir();
    keel::remote::credentials::session(&machine_of(copy)).expect("read").expect("a kept session").0
}

/// A second code for a member, from the leader's copy (`team invite`).
fn another_code(leader: &Path, name: &str) -> String {
    let out = keel(leader, &["team", "invite", name]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let code = text.split(": ").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("a code");
    code.to_string()
}

#[test]
fn a_leader_revokes_a_lost_laptop_which_is_refused_at_once_and_whose_live_stream_ends() {
    let team = Team::demo(30);
    let ae_name = team.member_named(1);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let laptop = team.join("ae-laptop", &team.code(&ae_name));
    let desktop = team.join("ae-desktop", &another_code(&leader, &ae_name));

    // Who sees which machines.
    let mine = json(&laptop, &["team", "machines"]);
    let mine: Vec<&str> =
        mine.as_array().expect("list").iter().map(|m| m["machine"].as_str().unwrap_or("")).collect();
    assert_eq!(mine.len(), 2, "a member sees their own two machines: {mine:?}");
    assert!(!mine.contains(&machine_of(&leader).as_str()), "and not the leader's");
    assert_eq!(
        json(&leader, &["team", "machines"]).as_array().map(Vec::len),
        Some(3),
        "a leader sees the team's"
    );

    // A member may not revoke another member's machine: it does not exist for them.
    let refused = refusal(&laptop, &["team", "revoke", &machine_of(&leader)]);
    assert_eq!(refused["code"], "not_found", "{refused}");
    json(&leader, &["sync"]);

    // The laptop's live stream, open while it is revoked.
    let token = session_token(&laptop);
    let url = format!("{}/v1/events", team.url);
    let stream = std::thread::spawn(move || {
        let mut reply =
            // Bounded: a stream that never ended would end here after 30 s, and fail below.
            http()
                .get(&url)
                .header("Authorization", format!("Bearer {token}"))
                .config()
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .call()
                .expect("events");
        assert_eq!(reply.status().as_u16(), 200);
        let reader = std::io::BufReader::new(reply.body_mut().as_reader());
        let opened = Instant::now();
        let lines = reader.lines().take_while(Result::is_ok).count();
        (lines, opened.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    json(&leader, &["team", "revoke", &machine_of(&laptop)]);
    let (lines, open_for) = stream.join().expect("the stream thread");
    assert!(lines >= 1, "the stream said where the feed stood first");
    assert!(open_for < Duration::from_secs(20), "the revoked machine's stream ended ({open_for:?})");

    let deal = an_open_deal_of(&desktop, "Still at my desk");
    let refused = refusal(
        &laptop,
        &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "From the lost laptop"],
    );
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("revoked"), "{refused}");
    json(&desktop, &["activity", "add", "--deal", &deal, "--kind", "note", "--subject", "From the desk"]);
    let listed = json(&leader, &["team", "machines"]);
    let laptop_row =
        listed.as_array().expect("list").iter().find(|m| m["machine"] == machine_of(&laptop)).cloned();
    assert!(laptop_row.is_some_and(|m| m["revoked_at"].is_string()), "{listed}");
}

#[test]
fn a_member_leaves_from_one_machine_and_the_copy_still_reads() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let before = json(&ae, &["deal", "list", "--limit", "5"]);
    let left = json(&ae, &["leave"]);
    assert_eq!(left["left"], machine_of(&ae).as_str());
    assert_eq!(json(&ae, &["deal", "list", "--limit", "5"]), before, "the copy still reads");
    let credential: String = crate::harness::link_field(&ae, "credential");
    assert!(credential.is_empty(), "the copy no longer says it has one");
    let machine = machine_of(&ae);
    assert_eq!(keel::remote::credentials::read(&machine).expect("read"), None, "and it is forgotten");
    let refused = refusal(&ae, &["sync"]);
    assert_eq!(refused["code"], "not_allowed", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("join again"), "{refused}");
}

/// The credential a machine signs in with is not in the copy's file (which is backed up,
/// copied and sent around) but in a file only its user may read.
#[test]
fn a_machines_credential_is_kept_outside_the_copy_readable_by_its_user_alone() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let machine = machine_of(&ae);
    assert_eq!(crate::harness::link_field(&ae, "credential"), keel::remote::credentials::KEPT_OUTSIDE);
    let secret = keel::remote::credentials::read(&machine).expect("read").expect("kept");
    assert!(secret.len() >= 20, "a real secret: {secret}");
    let copy = std::fs::read(&ae).expect("the copy's file");
    assert!(!copy.windows(secret.len()).any(|w| w == secret.as_bytes()), "not a byte of it in the copy");
    // Nor the session: a copied file cannot act as its member, even before the session ends.
    let token = session_token(&ae);
    assert!(!copy.windows(token.len()).any(|w| w == token.as_bytes()), "nor of the session's token");
    // Nor the session: a copied file cannot act as its member, even before the session ends.
    let token = session_token(&ae);
    assert!(!copy.windows(token.len()).any(|w| w == token.as_bytes()), "nor of the session's token");
    {
        use std::os::unix::fs::PermissionsExt;
        let file = crate::harness::credentials_dir().join(format!("{machine}.credential"));
        let mode = std::fs::metadata(&file).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
        let dir =
            std::fs::metadata(crate::harness::credentials_dir()).expect("dir").permissions().mode() & 0o777;
        assert_eq!(dir, 0o700);
    }
    // It is what the machine signs in with: a change goes through after the session ends.
    std::fs::remove_file(crate::harness::credentials_dir().join(format!("{machine}.session")))
        .expect("no session");
    json(&ae, &["account", "add", "--name", "Signed In Again"]);

    // A copy an older Keel joined holds its credential in its file: it moves out once it
    // has signed in with it.
    let older = team.join("older", &team.code(&team.member_named(2)));
    let older_machine = machine_of(&older);
    let conn = rusqlite::Connection::open(&older).expect("copy");
    conn.execute(
        "UPDATE team_link SET credential = ?1, session_token = NULL, session_expires_at = NULL",
        [keel::remote::credentials::read(&older_machine).expect("read").expect("kept")],
    )
    .expect("as an older Keel kept it");
    drop(conn);
    keel::remote::credentials::forget(&older_machine).expect("forget");
    json(&older, &["sync"]);
    assert_eq!(crate::harness::link_field(&older, "credential"), keel::remote::credentials::KEPT_OUTSIDE);
    assert!(keel::remote::credentials::read(&older_machine).expect("read").is_some());
}
