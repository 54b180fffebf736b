//! The `keel` binary: arguments, output, exit codes and the shared database file.

use std::path::Path;
use std::process::{Command, Output};

pub fn keel(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(args)
        .env("KEEL_DB", db)
        .env("KEEL_NOW", "2026-03-02T09:00:00Z")
        .output()
        .expect("run keel")
}

pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = keel(db, args);
    assert!(out.status.success(), "keel {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

pub fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, &all)).expect("valid JSON")
}

#[test]
fn a_whole_deal_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init"]);
    // The leader starts the team and adds the rest; Ana then works as herself.
    ok(&db, &["team", "add", "--name", "Vic Okafor", "--role", "sales-leader"]);
    ok(
        &db,
        &["team", "add", "--name", "Ana Almeida", "--role", "account-executive", "--segment", "enterprise"],
    );
    ok(&db, &["team", "use", "Ana Almeida"]);
    let account = json(
        &db,
        &[
            "account",
            "add",
            "--name",
            "Nova Games",
            "--domain",
            "https://www.NovaGames.com",
            "--segment",
            "enterprise",
        ],
    );
    assert_eq!(account["domain"], "novagames.com");
    let deal = json(
        &db,
        &[
            "deal",
            "add",
            "--account",
            "1",
            "--name",
            "Voice SDK",
            "--amount",
            "120,000.50",
            "--currency",
            "eur",
            "--close",
            "2026-06-30",
        ],
    );
    assert_eq!(deal["amount"]["amount_minor"], 12_000_050);
    assert_eq!(deal["amount"]["currency"], "EUR");
    assert_eq!(deal["stage_name"], "Lead");

    let refused = keel(&db, &["deal", "move", "1", "Discovery & Demo"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    assert!(stderr.contains("BANT budget is unknown, needs confirmed"), "{stderr}");

    ok(
        &db,
        &[
            "deal",
            "bant",
            "1",
            "--budget",
            "confirmed",
            "--authority",
            "confirmed",
            "--need",
            "confirmed",
            "--timeline",
            "confirmed",
        ],
    );
    ok(&db, &["--as", "Vic Okafor", "deal", "move", "1", "Discovery & Demo"]);
    let history = json(&db, &["deal", "history", "1"]);
    assert_eq!(history[1]["to_stage"], "Discovery & Demo");
    assert_eq!(history[1]["changed_by"], "Vic Okafor", "--as decides who acted");

    let listed = json(&db, &["deal", "list", "--stage", "Discovery & Demo"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let stages = json(&db, &["stage", "list"]);
    let names: Vec<&str> =
        stages.as_array().expect("array").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "Lead",
            "Qualification",
            "Discovery & Demo",
            "Proof of Concept",
            "Negotiation",
            "Closed Won",
            "Closed Lost"
        ]
    );
    assert!(ok(&db, &["check"]).contains("ok"));
}

#[test]
fn errors_are_one_line_and_json_errors_carry_a_code() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    let out = keel(&db, &["deal", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no Keel workspace at"));
    assert!(!db.exists(), "a read on a missing workspace creates nothing");
    ok(&db, &["init"]);
    // Every read acts for a member too: before the team has one, the CLI says how to start it.
    for args in [&["deal", "list"][..], &["metrics"], &["--as", "Ana", "account", "list"]] {
        let out = keel(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        let expected = if args[0] == "--as" { "team member Ana not found" } else { "no team yet" };
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    let out = keel(&db, &["--json", "deal", "list"]);
    let body: serde_json::Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
    assert_eq!(body["code"], "not_allowed");
    assert!(body["message"].as_str().expect("message").contains("`keel team add --name NAME --role ROLE`"));
    ok(&db, &["team", "add", "--name", "Ana", "--role", "sdr"]);
    let out = keel(
        &db,
        &[
            "--json",
            "deal",
            "add",
            "--account",
            "1",
            "--name",
            "x",
            "--amount",
            "-5",
            "--close",
            "2026-06-30",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON error");
    assert_eq!(body["code"], "invalid_input");
    assert_eq!(body["message"], "amount: must not be negative (got -500 minor units)");
    let out = keel(&db, &["team", "add", "--name", "Bo", "--role", "wizard"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("role: 'wizard' is not one of: account-executive"));
    let out = keel(&db, &["--as", "Nobody", "account", "add", "--name", "X"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("team member Nobody not found"));
}

#[test]
fn the_demo_is_reproducible_and_pages_by_stage() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let summary = json(&a, &["demo", "--deals", "300", "--seed", "7"]);
    json(&b, &["demo", "--deals", "300", "--seed", "7"]);
    assert_eq!(summary["deals"], 300);
    let page_a = json(&a, &["deal", "list", "--stage", "Negotiation", "--limit", "20"]);
    let page_b = json(&b, &["deal", "list", "--stage", "Negotiation", "--limit", "20"]);
    assert_eq!(page_a, page_b, "same seed and clock, same workspace");
    assert!(!page_a.as_array().expect("array").is_empty(), "the demo has deals in Negotiation");
    let again = keel(&a, &["demo"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("the demo needs an empty workspace"));
}

#[test]
fn the_partner_flow_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    let run = |now: &str, args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_keel"))
            .args(args)
            .env("KEEL_DB", &db)
            .env("KEEL_NOW", now)
            .output()
            .expect("run")
    };
    let json_at = |now: &str, args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = run(now, &all);
        assert!(out.status.success(), "keel {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let t0 = "2026-03-02T09:00:00Z";
    json_at(t0, &["init"]);
    json_at(t0, &["team", "add", "--name", "Vic Okafor", "--role", "sales-leader"]);
    json_at(t0, &["team", "add", "--name", "Pat Okoye", "--role", "partner-manager"]);
    json_at(t0, &["team", "add", "--name", "Ana Almeida", "--role", "account-executive"]);
    json_at(t0, &["team", "use", "Pat Okoye"]);
    let partner = json_at(
        t0,
        &[
            "partner",
            "add",
            "--name",
            "Acme Resellers",
            "--domain",
            "acme-resell.com",
            "--tier",
            "reseller",
            "--share",
            "25",
        ],
    );
    assert_eq!(partner["tier"], "reseller");
    json_at(
        t0,
        &["--as", "Ana Almeida", "account", "add", "--name", "Nova Games", "--domain", "novagames.com"],
    );
    json_at(
        t0,
        &[
            "--as",
            "Ana Almeida",
            "deal",
            "add",
            "--account",
            "1",
            "--name",
            "Direct",
            "--amount",
            "1000",
            "--close",
            "2026-06-30",
        ],
    );
    let reg = json_at(
        t0,
        &[
            "registration",
            "submit",
            "--partner",
            "Acme Resellers",
            "--company",
            "Nova EU",
            "--domain",
            "eu.novagames.com",
            "--value",
            "80,000",
            "--currency",
            "USD",
            "--close-date",
            "2026-06-30",
            "--use-case",
            "gaming-voice-video",
        ],
    );
    assert_eq!(reg["conflicts"][0], "account 1 (Nova Games, novagames.com) has an open deal");
    let refused = run(t0, &["registration", "approve", "1"]);
    assert_eq!(refused.status.code(), Some(1));
    json_at(t0, &["registration", "approve", "1", "--override", "AE agrees"]);
    let converted = json_at(t0, &["--as", "Ana Almeida", "registration", "convert", "1"]);
    let deal = converted["deal_id"].as_i64().expect("deal id");
    json_at(
        t0,
        &["--as", "Ana Almeida", "deal", "move", &deal.to_string(), "Closed Won", "--override", "signed"],
    );
    let paid = json_at(
        "2026-03-10T09:00:00Z",
        &[
            "--as",
            "Ana Almeida",
            "revenue",
            "record",
            "--deal",
            &deal.to_string(),
            "--amount",
            "10,000.02",
            "--date",
            "2026-03-10",
        ],
    );
    assert_eq!(
        paid["commission"]["amount"]["amount_minor"], 250_000,
        "25 % of 1,000,002 minor units, half-even"
    );
    let statements = json_at("2026-05-01T09:00:00Z", &["payouts", "run", "--period", "2026-04"]);
    assert_eq!(statements[0]["statement"]["total"]["amount_minor"], 250_000);
    json_at("2026-05-01T09:00:00Z", &["payouts", "approve", "1"]);
    let done = json_at("2026-05-02T09:00:00Z", &["payouts", "paid", "1", "--reference", "WIRE-7"]);
    assert_eq!(done["statement"]["status"], "paid");
    let pdf = dir.path().join("s.pdf");
    json_at(
        "2026-05-02T09:00:00Z",
        &["payouts", "export", "1", "--format", "pdf", "-o", pdf.to_str().expect("path")],
    );
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF"));
    let listed = json_at("2026-05-02T09:00:00Z", &["registration", "list", "--status", "converted"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[test]
fn import_export_and_revert_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init"]);
    ok(&db, &["team", "add", "--name", "Ana Almeida", "--role", "account-executive"]);
    ok(&db, &["team", "use", "Ana Almeida"]);
    let file = dir.path().join("opportunities.csv");
    let mut bytes = crate::import::salesforce_csv();
    bytes.extend(b"0065g00000AbcD5,Tom Reed,Orbit Media,Broken row,Prospecting,lots,10,6/30/2026,1/15/2026,Web,New Business,Q2\r\n");
    std::fs::write(&file, &bytes).expect("write file");
    let file = file.to_str().expect("path");

    let dry = ok(&db, &["import", "deals", file, "--dry-run"]);
    assert!(dry.contains("Dry run (nothing was kept)"), "{dry}");
    assert!(dry.contains("line 2: create deal 'Nova voice rollout'"), "{dry}");
    assert!(dry.contains("line 6: reject amount: 'lots' is not an amount"), "{dry}");
    assert!(ok(&db, &["deal", "list"]).lines().count() <= 1, "the dry run kept nothing");

    let strict = keel(&db, &["import", "deals", file, "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("--strict refuses the whole file"));

    let rejects = dir.path().join("rejects.csv");
    let report = json(&db, &["import", "deals", file, "--rejects", rejects.to_str().expect("path")]);
    assert_eq!(report["counts"]["created"], 4);
    assert_eq!(report["counts"]["rejected"], 1);
    assert_eq!(report["source_system"], "salesforce");
    let rejected = std::fs::read_to_string(&rejects).expect("rejects file");
    assert!(rejected.contains("Broken row") && rejected.contains("is not an amount"), "{rejected}");
    let batch = report["batch"].as_i64().expect("batch id").to_string();

    let listed = ok(&db, &["import", "list"]);
    assert!(listed.contains("opportunities.csv") && listed.contains("salesforce"), "{listed}");

    let exported = dir.path().join("deals.csv");
    ok(&db, &["export", "deals", "-o", exported.to_str().expect("path")]);
    let text = std::fs::read_to_string(&exported).expect("export");
    assert_eq!(text.lines().count(), 5, "a header and four deals");
    let as_json = ok(&db, &["export", "accounts", "--format", "json"]);
    let accounts: serde_json::Value = serde_json::from_str(&as_json).expect("JSON export");
    assert_eq!(accounts.as_array().map(Vec::len), Some(4));

    let reverted = ok(&db, &["import", "revert", &batch]);
    assert!(reverted.contains("removed"), "{reverted}");
    assert!(ok(&db, &["deal", "list"]).lines().count() <= 1, "the revert removed every imported deal");
    let again = keel(&db, &["import", "revert", &batch]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already reverted"));
}

#[test]
fn metrics_fx_and_targets_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["demo", "--deals", "400", "--seed", "3"]);
    let report = json(&db, &["metrics"]);
    let mut keys: Vec<&str> = report.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "avg_deal_size_minor",
            "by_month",
            "by_owner",
            "by_segment",
            "by_source",
            "currency",
            "deals_without_amount",
            "funnel",
            "lost_count",
            "mean_cycle_days",
            "median_cycle_days",
            "open_count",
            "partner_influenced_revenue_minor",
            "partner_sourced_revenue_minor",
            "pipeline_value_minor",
            "sales_velocity_minor_per_day",
            "targets",
            "unconverted",
            "weighted_pipeline_value_minor",
            "win_rate",
            "won_count",
            "won_value_minor",
        ]
    );
    assert_eq!(report["currency"], "USD");
    assert!(report["won_count"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(report["unconverted"].as_array().map(Vec::len), Some(0), "the demo has EUR and GBP rates");
    let by_owner: u64 = report["by_owner"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["open_count"].as_u64().expect("count"))
        .sum();
    assert_eq!(Some(by_owner), report["open_count"].as_u64(), "every open deal has one owner");
    assert_eq!(report["targets"].as_array().map(Vec::len), Some(5), "the plan's phases");

    // The demo's current user is the sales leader, who may set rates.
    let rate = json(&db, &["fx", "set", "CHF", "2026-01-01", "1.1342"]);
    assert_eq!(rate["rate"], 1_134_200_000);
    assert!(ok(&db, &["fx", "list", "CHF"]).contains("1.1342"));
    let bad = keel(&db, &["--json", "fx", "set", "CHF", "2026-01-01", "abc"]);
    assert!(!bad.status.success());
    let error: serde_json::Value = serde_json::from_slice(&bad.stderr).expect("error JSON");
    assert_eq!(error["code"], "invalid_input");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("rate")));

    let period =
        json(&db, &["metrics", "--from", "2026-01-01", "--to", "2026-01-31", "--segment", "enterprise"]);
    assert!(period["by_segment"].as_array().is_some_and(|s| s.iter().all(|g| g["segment"] == "enterprise")));
    let text = ok(&db, &["metrics"]);
    assert!(text.contains("win rate") && text.contains("Funnel") && text.contains("Targets"));
    let targets = ok(
        &db,
        &["target", "set", "FY27", "--from", "2027-01-01", "--to", "2027-12-31", "--customers", "40"],
    );
    assert!(targets.contains("FY27"));
    // The core speaks of a start and an end date; the command line names its flags.
    let undated = keel(&db, &["target", "set", "FY28", "--customers", "40"]);
    let said = String::from_utf8_lossy(&undated.stderr);
    assert!(said.contains("from: a new target needs both --from and --to dates"), "{said}");
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    let backup = dir.path().join("keel-backup.db");
    ok(&db, &["demo", "--deals", "120", "--seed", "3"]);
    let written = json(&db, &["backup", backup.to_str().expect("utf-8")]);
    assert!(written["bytes"].as_u64().unwrap_or(0) > 0, "{written}");
    let before = json(&db, &["account", "list", "--limit", "500"]).as_array().expect("list").len();
    ok(&db, &["account", "add", "--name", "Written After The Backup"]);

    // Refused, naming the file and the problem, with the workspace untouched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").expect("write");
    for (file, problem) in
        [(&junk, "is not an SQLite database"), (&dir.path().join("none.db"), "is not a file")]
    {
        let out = keel(&db, &["restore", file.to_str().expect("utf-8")]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("file:") && err.contains(problem), "{err}");
    }
    assert_eq!(json(&db, &["account", "list", "--limit", "500"]).as_array().expect("list").len(), before + 1);

    let restored = json(&db, &["restore", backup.to_str().expect("utf-8")]);
    assert_eq!(restored["schema_version"], keel::store::latest_version());
    let aside = std::path::PathBuf::from(restored["kept_aside"].as_str().expect("kept aside"));
    assert!(aside.exists(), "the replaced database is kept");
    assert_eq!(json(&db, &["account", "list", "--limit", "500"]).as_array().expect("list").len(), before);
    ok(&db, &["check"]);
    // What was kept aside is a whole workspace with the account written after the backup.
    let kept = json(&aside, &["account", "list", "--limit", "500"]);
    assert!(kept.as_array().expect("list").iter().any(|a| a["name"] == "Written After The Backup"));
}

/// Bad input at the front door: each command is refused with a `{code, message}` that
/// names the field and the problem, and the workspace file is unchanged byte for byte.
#[test]
fn every_kind_of_bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["demo", "--deals", "40", "--seed", "3"]);
    let account = json(&db, &["account", "list", "--limit", "1"])[0]["id"].to_string();
    let partner =
        json(&db, &["partner", "list"])[0]["partner"]["name"].as_str().expect("partner").to_string();
    // A file that says it is UTF-8 (a BOM) and is not. (Without a BOM, non-UTF-8 text is
    // read as Windows-1252, as Excel writes it.)
    let bad_utf8 = dir.path().join("broken.csv");
    std::fs::write(
        &bad_utf8,
        b"\xEF\xBB\xBFOpportunity Name,Account Name,Amount\r\nCaf\xe9 deal,Caf\xe9,100\r\n",
    )
    .expect("file");
    let words = |line: &str| -> Vec<String> { line.split(' ').map(String::from).collect() };
    let deal = |account: &str, amount: &str, close: &str| {
        words(&format!("deal add --name Probe --account {account} --amount {amount} --close {close}"))
    };
    let mut long_name = words("account add --name");
    long_name.push("x".repeat(10_000));
    let mut bell = words("account add --name");
    bell.push("Bell\u{7}Corp".into());
    let mut huge_value = words("registration submit --company Huge --domain huge.io --close-date 2027-01-01");
    huge_value.extend([
        "--partner".to_string(),
        partner.clone(),
        "--value".into(),
        "99999999999999999999".into(),
    ]);
    let mut broken_file = words("import deals");
    broken_file.push(bad_utf8.to_str().expect("path").into());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (long_name, "name: is too long"),
        (bell, "name: contains a control character"),
        (deal(&account, "90071992547409.92", "2026-12-01"), "amount"),
        (deal(&account, "-5", "2026-12-01"), "amount"),
        (deal(&account, "5", "2301-01-01"), "close"),
        (deal("999999", "5", "2026-12-01"), "999999"),
        (huge_value, "value"),
        (words("registration approve 424242"), "424242"),
        (words("payouts paid 424242 --reference W-1"), "424242"),
        (broken_file, "is not valid UTF-8"),
    ];
    let before = std::fs::read(&db).expect("db");
    for (args, names) in cases {
        let mut all = vec!["--json"];
        all.extend(args.iter().map(String::as_str));
        let out = keel(&db, &all);
        assert!(!out.status.success(), "keel {args:?} was accepted");
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|_| {
            panic!("keel {args:?}: not a JSON error: {}", String::from_utf8_lossy(&out.stderr))
        });
        let message = err["message"].as_str().expect("message");
        assert!(err["code"].is_string(), "{err}");
        assert!(message.contains(names), "keel {args:?}: {message:?} does not name {names:?}");
        assert_eq!(std::fs::read(&db).expect("db"), before, "keel {args:?} wrote to the workspace");
    }
}

/// The same mistakes the desktop's form is tested with (src-tauri, `the_new_deal_form_...`):
/// the command line refuses each with the same code and field, and writes nothing.
#[test]
fn a_bad_deal_input_gets_the_same_code_and_field_as_in_the_desktop() {
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/bad-deal-inputs.json")).expect("the shared table");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init", "--name", "Vic Okafor", "--role", "sales-leader"]);
    ok(&db, &["account", "add", "--name", "Nova Games", "--domain", "novagames.com"]);
    let flag = |field: &str| match field {
        "expected_close_date" => "--close",
        "deal_type" => "--type",
        "amount" => "--amount",
        "currency" => "--currency",
        "source" => "--source",
        other => panic!("no flag for {other}"),
    };
    for case in table["cases"].as_array().expect("cases") {
        let mut input = table["valid"].as_object().expect("valid").clone();
        for (k, v) in case["change"].as_object().expect("change") {
            input.insert(k.clone(), v.clone());
        }
        let mut args: Vec<String> =
            ["--json", "deal", "add", "--account", "1", "--name"].iter().map(|s| s.to_string()).collect();
        args.push(input["name"].as_str().expect("name").to_string());
        for field in ["amount", "currency", "expected_close_date", "source", "deal_type"] {
            args.push(flag(field).to_string());
            args.push(input[field].as_str().expect("text").to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = keel(&db, &args);
        assert!(!out.status.success(), "{case}: refused");
        let error: serde_json::Value = serde_json::from_slice(&out.stderr).expect("error JSON");
        assert_eq!((&error["code"], &error["field"]), (&case["code"], &case["field"]), "{case}: {error}");
    }
    assert_eq!(json(&db, &["deal", "list"]).as_array().map(Vec::len), Some(0), "nothing was written");
}

/// Each case of a shared table of mistakes, as the valid input with that one change.
fn cases(table: &serde_json::Value) -> Vec<(serde_json::Map<String, serde_json::Value>, serde_json::Value)> {
    table["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| {
            let mut input = table["valid"].as_object().expect("valid").clone();
            for (k, v) in case["change"].as_object().expect("change") {
                input.insert(k.clone(), v.clone());
            }
            (input, case.clone())
        })
        .collect()
}

fn refused_alike(db: &Path, args: &[String], case: &serde_json::Value) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = keel(db, &args);
    assert!(!out.status.success(), "{case}: refused");
    let error: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("{case}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!((&error["code"], &error["field"]), (&case["code"], &case["field"]), "{case}: {error}");
}

#[test]
fn bad_activity_and_rate_inputs_get_the_same_code_and_field_as_in_the_desktop() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init", "--name", "Vic Okafor", "--role", "sales-leader"]);
    ok(&db, &["account", "add", "--name", "Nova Games", "--domain", "novagames.com"]);
    ok(
        &db,
        &["deal", "add", "--account", "1", "--name", "Platform", "--amount", "1000", "--close", "2026-12-31"],
    );
    let activities: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/bad-activity-inputs.json")).expect("the shared table");
    for (input, case) in cases(&activities) {
        let text = |k: &str| input[k].as_str().expect("text").to_string();
        let args = ["--json", "activity", "add", "--deal", "1", "--kind"].map(String::from).to_vec();
        let args =
            [args, vec![text("kind"), "--subject".into(), text("subject"), "--due".into(), text("due_date")]]
                .concat();
        refused_alike(&db, &args, &case);
    }
    assert_eq!(json(&db, &["activity", "list"]).as_array().map(Vec::len), Some(0), "nothing was written");
    let rates: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/bad-rate-inputs.json")).expect("the shared table");
    for (input, case) in cases(&rates) {
        let text = |k: &str| input[k].as_str().expect("text").to_string();
        let args = vec![
            "--json".into(),
            "fx".into(),
            "set".into(),
            "--".into(),
            text("currency"),
            text("effective_on"),
            text("rate"),
        ];
        refused_alike(&db, &args, &case);
    }
    assert_eq!(json(&db, &["fx", "list"]).as_array().map(Vec::len), Some(0), "nothing was written");
}

/// `keel forecast deals`: the deals behind the category columns, one's own (or a
/// member's, for a sales leader), with the owner's call; another AE's are refused.
#[test]
fn forecast_deals_lists_ones_own_open_deals_of_the_period_and_the_owners_call() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init", "--name", "Vic Okafor", "--role", "sales-leader"]);
    ok(&db, &["team", "add", "--name", "Ana Almeida", "--role", "account-executive"]);
    ok(&db, &["team", "add", "--name", "Ola Berg", "--role", "account-executive"]);
    ok(&db, &["account", "add", "--name", "Nova Games", "--domain", "novagames.com"]);
    let ana = ["--as", "Ana Almeida"];
    for (name, close) in
        [("Platform", "2026-03-20"), ("Expansion", "2026-03-25"), ("Next year", "2027-01-15")]
    {
        ok(
            &db,
            &[
                &ana[..],
                &["deal", "add", "--account", "1", "--name", name, "--amount", "1000", "--close", close],
            ]
            .concat(),
        );
    }
    ok(&db, &[&ana[..], &["deal", "update", "1", "--forecast", "commit"]].concat());
    let listed = json(&db, &[&ana[..], &["forecast", "deals", "--period", "2026-Q1"]].concat());
    assert_eq!(listed["total"], 2, "{listed}");
    let deals = listed["deals"].as_array().expect("deals");
    assert_eq!(deals[0]["forecast_override"], "commit");
    assert!(deals[1]["forecast_override"].is_null());
    let refused = keel(
        &db,
        &["--json", "--as", "Ola Berg", "forecast", "deals", "--period", "2026-Q1", "--owner", "Ana Almeida"],
    );
    assert!(!refused.status.success());
    let error: serde_json::Value = serde_json::from_slice(&refused.stderr).expect("error JSON");
    assert_eq!(error["code"], "forbidden", "{error}");
    let theirs = json(&db, &["forecast", "deals", "--period", "2026-Q1", "--owner", "Ana Almeida"]);
    assert_eq!(theirs["total"], 2, "a leader sees a member's deals");
    // Changing Ana's call is hers (or a leader's), not Ola's; nothing changes on a refusal.
    let other = keel(&db, &["--json", "--as", "Ola Berg", "deal", "update", "2", "--forecast", "commit"]);
    assert!(!other.status.success());
    assert!(json(&db, &["deal", "changes", "2"]).as_array().expect("changes").is_empty());
}
