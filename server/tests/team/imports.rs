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

    // A folder given for the file is said to be one, not taken for an unreachable server.
    let folder = refusal(&ae, &["import", "deals", team.dir.path().to_str().expect("utf-8")]);
    assert_eq!(folder["field"], "file", "{folder}");

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

    let import = |seq: i64, file: serde_json::Value| {
        let mut reply = http()
            .post(format!("{}/v1/changes", team.url))
            .header("Authorization", format!("Bearer {pm_token}"))
            .send_json(serde_json::json!({"client_id": pm_client, "seq": seq,
                "change": {"change": "import", "file": file, "form": {"kind": "deals", "file_name": "x.csv"}}}))
            .expect("change");
        let status = reply.status().as_u16();
        (status, reply.body_mut().read_json::<serde_json::Value>().unwrap_or_default())
    };
    let (status, answer) = import(1, serde_json::json!({"upload": name}));
    assert_eq!(status, 404, "another member's upload: {answer}");
    for (seq, guess) in [(2, "../team.db"), (3, "1-00/../../team.db"), (4, "x/y")] {
        assert_eq!(import(seq, serde_json::json!({"upload": guess})).0, 404, "{guess}");
    }
    // An import naming a path on the server instead of an upload: refused, naming the file.
    let (status, answer) = import(5, serde_json::json!({"path": team.db.to_str().expect("utf-8")}));
    assert_eq!((status, answer["field"].as_str()), (422, Some("file")), "{answer}");
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

/// A file sent ahead goes with an import only, as the file it imports: a command that
/// puts `@upload` anywhere else (a deal's name, say) is refused and runs nothing, so the
/// server's own path never ends up in a record.
#[test]
fn an_upload_stands_only_for_an_imports_file() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let (token, client) = session_of(&team, &ae);
    let mut reply = http()
        .post(format!("{}/v1/uploads", team.url))
        .header("Authorization", format!("Bearer {token}"))
        .header("x-keel-file-name", "notes.csv")
        .send(&b"Deal Name,Amount\nX,1\n"[..])
        .expect("upload");
    let upload: serde_json::Value = reply.body_mut().read_json().expect("json");
    let account = json(&ae, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let before = deal_count(&team.db);
    // An upload stands only for an import's file: no other change has a place for it.
    let mut reply = http()
        .post(format!("{}/v1/changes", team.url))
        .header("Authorization", format!("Bearer {token}"))
        .send_json(serde_json::json!({"client_id": client, "seq": 900, "upload": upload["upload"],
            "change": {"change": "deal_add", "form": {"account_id": account.parse::<i64>().expect("id"),
                "name": "@upload", "amount": "1", "currency": "USD", "expected_close_date": "2027-01-29",
                "source": "inbound", "deal_type": "new-business", "owner_id": null, "stage": null,
                "probability": null, "forecast": null, "expands_deal_id": null}}}))
        .expect("change");
    assert_eq!(reply.status().as_u16(), 422);
    let body: serde_json::Value = reply.body_mut().read_json().expect("json");
    assert_eq!(body["field"], "change", "{body}");
    assert_eq!(deal_count(&team.db), before, "nothing ran");
}

/// An upload no command used is not kept for ever: the next upload sweeps those older
/// than a day. A stranger's upload is refused before it is read.
#[test]
fn uploads_no_command_used_are_swept_and_strangers_cannot_upload() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let (token, _) = session_of(&team, &ae);
    let send = |token: &str| {
        http()
            .post(format!("{}/v1/uploads", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .header("x-keel-file-name", "deals.csv")
            .send(&b"Deal Name,Amount\nX,1\n"[..])
            .expect("upload")
    };
    let mut first = send(&token);
    let name: serde_json::Value = first.body_mut().read_json().expect("json");
    let folder = name["upload"].as_str().expect("name").split('/').next().expect("folder").to_string();
    let uploads = team.dir.path().join(".keel-uploads");
    let kept = uploads.join(&folder);
    assert!(kept.is_dir());
    let aged =
        std::process::Command::new("touch").args(["-d", "2 days ago"]).arg(&kept).status().expect("touch");
    assert!(aged.success());
    assert_eq!(send(&token).status().as_u16(), 200);
    assert!(!kept.exists(), "the day-old unused upload was swept");
    let before = std::fs::read_dir(&uploads).expect("uploads").count();
    assert_eq!(send("not-a-session").status().as_u16(), 401);
    assert_eq!(std::fs::read_dir(&uploads).expect("uploads").count(), before, "a stranger left nothing");

    // A member cannot make the server keep files without end: three may wait at once.
    assert_eq!(send(&token).status().as_u16(), 200);
    assert_eq!(send(&token).status().as_u16(), 200);
    let mut refused = send(&token);
    assert_eq!(refused.status().as_u16(), 409);
    let body: serde_json::Value = refused.body_mut().read_json().expect("json");
    assert!(body["message"].as_str().unwrap_or("").contains("wait for their import"), "{body}");
    assert_eq!(std::fs::read_dir(&uploads).expect("uploads").count(), 3, "the refused file was not kept");
    // Another member is not held back by them.
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let (theirs, _) = session_of(&team, &leader);
    assert_eq!(send(&theirs).status().as_u16(), 200);
}

/// An import sent again under its number (a lost reply) gets its job again, running or
/// done, even once its upload is gone; the number with another import is refused.
#[test]
fn an_import_sent_again_gets_its_job_and_its_number_with_another_import_is_refused() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let (token, client) = session_of(&team, &ae);
    let upload = |name: &str| -> serde_json::Value {
        let mut reply = http()
            .post(format!("{}/v1/uploads", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .header("x-keel-file-name", name)
            .send(&b"Deal Name,Amount\nResent Import,1\n"[..])
            .expect("upload");
        reply.body_mut().read_json::<serde_json::Value>().expect("json")["upload"].clone()
    };
    let send = |upload: &serde_json::Value| -> (u16, serde_json::Value) {
        let mut reply = http()
            .post(format!("{}/v1/changes", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(serde_json::json!({"client_id": client, "seq": 50,
                "change": {"change": "import", "file": {"upload": upload},
                           "form": {"kind": "deals", "file_name": "first.csv"}}}))
            .expect("change");
        (reply.status().as_u16(), reply.body_mut().read_json().unwrap_or_default())
    };
    let first = upload("first.csv");
    let (status, answer) = send(&first);
    assert_eq!(status, 200, "{answer}");
    let job = answer["job"].as_str().expect("a job").to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut reply = http()
            .get(format!("{}/v1/jobs/{job}", team.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("job");
        let state: serde_json::Value = reply.body_mut().read_json().expect("json");
        if state["state"] != "running" {
            assert_eq!(state["state"], "done", "{state}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the import ended");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Sent again after it ended (its upload removed): the same job, nothing imported twice.
    let (status, again) = send(&first);
    assert_eq!((status, again["job"].as_str()), (200, Some(job.as_str())), "{again}");
    // The same number with another file: refused, and that file is not imported.
    let (status, refused) = send(&upload("second.csv"));
    assert_eq!((status, refused["code"].as_str()), (409, Some("not_allowed")), "{refused}");
    let imported = one_value(&team.db, "SELECT count(*) FROM deals WHERE name = 'Resent Import'");
    assert_eq!(imported, 1, "imported once");
}

fn one_value(db: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db).expect("open").query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// A whole Salesforce Data Export, as the zip Salesforce downloads, is one typed import on
/// a copy too: it runs on the server and every copy gets its accounts, deals and history.
#[test]
fn a_salesforce_data_export_imported_on_a_copy_reaches_every_copy() {
    let team = Team::demo(20);
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let folder = fixture("salesforce-data-export");
    // Its folder is not sent (a team server takes the zip as Salesforce downloads it).
    let refused = refusal(&ae, &["import", "salesforce", folder.to_str().expect("utf-8")]);
    assert_eq!(refused["field"], "file", "{refused}");

    let zip = team.dir.path().join("WE_00D000000000001_1.zip");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("export")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    let zipped = std::process::Command::new("python3")
        .current_dir(&folder)
        .args(["-m", "zipfile", "-c", zip.to_str().expect("utf-8")])
        .args(&names)
        .status()
        .expect("python3 zipfile");
    assert!(zipped.success());

    let before = deal_count(&team.db);
    let report = json(&ae, &["import", "salesforce", zip.to_str().expect("utf-8")]);
    let created = report["deals"]["counts"]["created"].as_i64().expect("deals created");
    assert!(created > 0, "{report}");
    assert_eq!(deal_count(&team.db), before + created, "written on the server");
    assert_eq!(deal_count(&ae), before + created, "and on the importing copy at once");
    json(&leader, &["sync"]);
    assert_eq!(deal_count(&leader), before + created, "and on the other copy");
    assert_eq!(crate::harness::exports(&leader), crate::harness::exports(&team.db));
}
