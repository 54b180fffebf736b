//! Imports into a team workspace: the file travels with the command, the import runs as a
//! job on the server, and every copy gets its deals.

use crate::harness::{http, json, refusal, session_of, Team};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/exports").join(name)
}

fn deal_count(db: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("SELECT count(*) FROM deals", [], |r| r.get(0)).expect("count")
}

#[test]
fn an_import_on_a_copy_runs_on_the_server_and_reaches_every_copy() {
    let team = Team::demo(40);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let before = deal_count(&team.db);
    let file = fixture("hubspot-all-deals-default-view.csv");

    let report = json(&ae, &["import", "deals", file.to_str().expect("utf-8")]);
    assert_eq!(report["counts"]["created"].as_u64(), Some(87), "{report}");
    assert_eq!(deal_count(&team.db), before + 87, "written on the server");
    assert_eq!(deal_count(&ae), before + 87, "and on the importing copy at once");
    json(&leader, &["sync"]);
    assert_eq!(deal_count(&leader), before + 87, "and on the other copy after sync");
    let batches = json(&leader, &["import", "list"]);
    assert_eq!(batches[0]["file_name"], "hubspot-all-deals-default-view.csv", "{batches}");
    assert!(
        !team.dir.path().join(".keel-uploads").read_dir().is_ok_and(|mut d| d.next().is_some()),
        "uploads are removed"
    );

    // Re-importing changes nothing; reverting through the server removes the deals everywhere.
    let again = json(&ae, &["import", "deals", file.to_str().expect("utf-8")]);
    assert_eq!(again["counts"]["created"].as_u64(), Some(0), "{again}");
    let batch = batches[0]["id"].to_string();
    json(&leader, &["import", "revert", &batch]);
    json(&ae, &["sync"]);
    assert_eq!(deal_count(&ae), before);
    assert_eq!(deal_count(&team.db), before);

    // A rejects file would be written on the server: refused before anything is sent.
    let rejects = team.dir.path().join("rejects.csv");
    let refused = refusal(
        &ae,
        &["import", "deals", file.to_str().expect("utf-8"), "--rejects", rejects.to_str().expect("utf-8")],
    );
    assert_eq!(refused["code"], "not_allowed", "{refused}");
}

#[test]
fn a_member_cannot_use_another_members_upload_or_see_their_job() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let pm = team.join("pm", &team.code(&team.member_named(2)));
    let (ae_token, _) = session_of(&team, &ae);
    let (pm_token, pm_client) = session_of(&team, &pm);
    let mut reply = http()
        .post(format!("{}/v1/uploads", team.url))
        .header("Authorization", format!("Bearer {ae_token}"))
        .header("x-keel-file-name", "../../etc/passwd")
        .send(&b"Deal Name,Amount\nX,1\n"[..])
        .expect("upload");
    assert_eq!(reply.status().as_u16(), 200);
    let upload: serde_json::Value = reply.body_mut().read_json().expect("json");
    let name = upload["upload"].as_str().expect("name").to_string();
    assert!(name.ends_with("/passwd") && !name.contains(".."), "the name is the file's own: {name}");

    let mut reply = http()
        .post(format!("{}/v1/commands", team.url))
        .header("Authorization", format!("Bearer {pm_token}"))
        .send_json(serde_json::json!({"client_id": pm_client, "seq": 1, "json": true, "upload": name,
            "background": true, "args": ["import", "deals", "@upload"]}))
        .expect("command");
    assert_eq!(reply.status().as_u16(), 404, "{:?}", reply.body_mut().read_to_string());
    for guess in ["../team.db", "1-00/../../team.db", "x/y"] {
        let status = http()
            .post(format!("{}/v1/commands", team.url))
            .header("Authorization", format!("Bearer {pm_token}"))
            .send_json(serde_json::json!({"client_id": pm_client, "seq": 2, "json": true, "upload": guess,
                "args": ["import", "deals", "@upload"]}))
            .expect("command")
            .status()
            .as_u16();
        assert_eq!(status, 404, "{guess}");
    }
    // An import naming a path on the server instead of an upload: refused.
    let status = http()
        .post(format!("{}/v1/commands", team.url))
        .header("Authorization", format!("Bearer {pm_token}"))
        .send_json(serde_json::json!({"client_id": pm_client, "seq": 3, "json": true,
            "args": ["import", "deals", team.db.to_str().expect("utf-8")]}))
        .expect("command")
        .status()
        .as_u16();
    assert_eq!(status, 409);
    let status = http()
        .get(format!("{}/v1/jobs/anything-1", team.url))
        .header("Authorization", format!("Bearer {pm_token}"))
        .call()
        .expect("job")
        .status()
        .as_u16();
    assert_eq!(status, 404);
}

#[test]
fn a_long_import_commits_in_slices_and_another_members_command_gets_in_between() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let rows = 10_500;
    let file = team.dir.path().join("big.csv");
    let mut csv = String::from("Deal Name,Account Name,Amount,Close Date,Deal Stage\r\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Sliced {i},Slice Account {:04},{}.00,2027-{:02}-{:02},Qualification\r\n",
            i % 500,
            1_000 + i,
            i % 12 + 1,
            i % 27 + 1
        ));
    }
    std::fs::write(&file, csv).expect("csv");
    let before = deal_count(&team.db);

    let importing = {
        let (ae, file) = (ae.clone(), file.clone());
        std::thread::spawn(move || {
            let out =
                crate::harness::keel(&ae, &["--json", "import", "deals", file.to_str().expect("utf-8")]);
            (out, std::time::Instant::now())
        })
    };
    // Once the first slice is committed, the leader sets a rate.
    let server = rusqlite::Connection::open(&team.db).expect("server file");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while server
        .query_row("SELECT count(*) FROM import_batches", [], |r| r.get::<_, i64>(0))
        .expect("batches")
        == 0
    {
        assert!(std::time::Instant::now() < deadline, "the import never committed a slice");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    json(&leader, &["fx", "set", "EUR", "2026-11-01", "1.08"]);
    let rate_set = std::time::Instant::now();
    let (out, import_done) = importing.join().expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(rate_set < import_done, "the leader's command was answered while the import went on");

    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["counts"]["created"].as_u64(), Some(rows as u64), "{}", report["counts"]);
    assert_eq!(deal_count(&team.db), before + rows as i64);
    let batches = json(&leader, &["import", "list"]);
    assert_eq!(batches.as_array().expect("list").len(), 1, "one import, one batch, however many slices");
    json(&leader, &["sync"]);
    assert_eq!(deal_count(&leader), before + rows as i64);
    assert_eq!(crate::harness::exports(&leader), crate::harness::exports(&team.db));
    for db in [&team.db, &leader] {
        let check = crate::harness::keel(db, &["check"]);
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    }
    // The whole import reverts as one batch.
    json(&leader, &["import", "revert", &batches[0]["id"].to_string()]);
    assert_eq!(deal_count(&team.db), before);
}
