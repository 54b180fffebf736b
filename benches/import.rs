//! Import speed: a 100,000-row Salesforce-style opportunity CSV through
//! `keel import deals` (a whole process: read, decode, parse, match, insert with
//! history and batch records), beside plain prepared INSERTs of the same deals into
//! the same schema, in one transaction, measured in the same run. Target: < 5 s.
//!
//! Run: `cargo bench --bench import` (KEEL_BENCH_ROWS=N for another size).

use keel::clock::SystemClock;
use keel::services::{pipeline, team, Workspace};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const OWNERS: &[&str] = &["Maria Lopez", "Tom Reed", "Ana Almeida", "Sam Park", "Priya Patel", "Jonas Weber"];
const STAGES: &[(&str, u32)] = &[
    ("Prospecting", 10),
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 50),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
];

struct Row {
    account: String,
    name: String,
    stage: usize,
    amount_cents: i64,
    created: (u32, u32, i32),
    close: (u32, u32, i32),
}

fn rows(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let month = (i % 12) as u32 + 1;
            let day = (i % 27) as u32 + 1;
            Row {
                account: format!("Account {:05}", i % 10_000),
                name: format!("Opportunity {i}"),
                stage: (i * 7 + i / 3) % STAGES.len(),
                amount_cents: 500_000 + (i as i64 * 7_919) % 50_000_000,
                created: (month, day, 2025),
                close: (month, day, 2026),
            }
        })
        .collect()
}

fn salesforce_csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Probability (%),Close Date,Created Date,Lead Source,Type\r\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let (stage, probability) = STAGES[r.stage];
        let dollars = r.amount_cents / 100;
        let _ = write!(
            out,
            "006{i:012},{},{},{},{stage},\"${},{:03}.{:02}\",{probability},{}/{}/{},{}/{}/{},Web,New Business\r\n",
            OWNERS[i % OWNERS.len()],
            r.account,
            r.name,
            dollars / 1000,
            dollars % 1000,
            r.amount_cents % 100,
            r.close.0,
            r.close.1,
            r.close.2,
            r.created.0,
            r.created.1,
            r.created.2,
        );
    }
    out
}

/// The same deals as a Salesforce report exported with a European locale: `;`, every
/// cell quoted, decimal commas, day-first `d-m-yyyy` dates, an `Amount Currency` column
/// (EUR and GBP), blank amounts on half the open deals, stages the org named itself,
/// its own lead sources, and the report's footer lines.
fn messy_csv(rows: &[Row]) -> String {
    const CUSTOM: &[(&str, u32)] = &[
        ("Erstkontakt", 10),
        ("Bedarfsanalyse", 20),
        ("Angebot", 50),
        ("Verhandlung", 80),
        ("Closed Won", 100),
        ("Closed Lost", 0),
        ("Geparkt", 5),
    ];
    const SOURCES: &[&str] = &["Increasing Portfolio", "Messe", "Partner Referral", "Web", "Bestandskunde"];
    let mut out = String::from(
        "\"Opportunity Owner\";\"Account Name\";\"Opportunity Name\";\"Stage\";\"Amount Currency\";\"Amount\";\"Probability (%)\";\"Close Date\";\"Created Date\";\"Lead Source\";\"Age\";\"Fiscal Period\"\r\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let (stage, probability) = CUSTOM[r.stage % CUSTOM.len()];
        let open = probability > 0 && probability < 100;
        let amount = if open && i % 2 == 0 {
            String::new()
        } else {
            format!("{},{:02}", r.amount_cents / 100, r.amount_cents % 100)
        };
        let _ = write!(
            out,
            "\"{}\";\"{}\";\"{}\";\"{stage}\";\"{}\";\"{amount}\";\"{probability}\";\"{}-{}-{}\";\"{}-{}-{}\";\"{}\";\"{}\";\"Q{}-{}\"\r\n",
            OWNERS[i % OWNERS.len()],
            r.account,
            r.name,
            if i % 3 == 0 { "GBP" } else { "EUR" },
            r.close.1,
            r.close.0,
            r.close.2,
            r.created.1,
            r.created.0,
            r.created.2,
            SOURCES[i % SOURCES.len()],
            i % 400,
            (r.close.0 - 1) / 3 + 1,
            r.close.2,
        );
    }
    out.push_str("\r\n\"Grand Totals (records)\"\r\n\r\n\"Confidential Information - Do Not Distribute\"\r\n\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\r\n");
    out
}

/// One `keel import deals` of `csv` into a fresh workspace, as a whole process.
fn timed_import(dir: &std::path::Path, name: &str, csv: &std::path::Path, n: usize) -> Duration {
    let db = dir.join(name);
    drop(fresh_workspace(&db));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["--db", db.to_str().expect("path"), "--json", "import", "deals", csv.to_str().expect("path")])
        .output()
        .expect("run keel");
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(
        report["counts"]["created"].as_u64(),
        Some(n as u64),
        "every row imported: {}",
        report["notes"]
    );
    elapsed
}

fn fresh_workspace(path: &std::path::Path) -> Workspace {
    let mut ws = Workspace::open(path, Arc::new(SystemClock)).expect("open");
    pipeline::init(&mut ws).expect("init");
    team::add(
        &mut ws,
        None,
        team::NewTeamMember {
            name: "Importer".into(),
            role: keel::domain::Role::SalesLeader,
            ae_segment: None,
        },
    )
    .expect("member");
    ws.set_current_user("Importer").expect("current user");
    ws
}

/// The same deals as bare prepared INSERTs: accounts, deals and one history row each.
fn plain_inserts(path: &std::path::Path, rows: &[Row]) -> Duration {
    drop(fresh_workspace(path));
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;").expect("pragmas");
    let started = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut account = tx
            .prepare("INSERT INTO accounts (name, segment, created_at) VALUES (?1, 'smb-mid-market', '2026-01-01T00:00:00.000Z')")
            .expect("prepare");
        let mut deal = tx
            .prepare(
                "INSERT INTO deals (name, account_id, owner_id, pipeline_id, stage_id, amount_minor, currency,
                                    expected_close_date, source, deal_type, created_at, stage_entered_at, updated_at)
                 VALUES (?1, ?2, 1, 1, ?3, ?4, 'USD', ?5, 'inbound', 'new-business', ?6, ?6, ?6)",
            )
            .expect("prepare");
        let mut history = tx
            .prepare(
                "INSERT INTO stage_history (deal_id, to_stage_id, changed_at, amount_minor, currency, probability_bp)
                 VALUES (?1, ?2, ?3, ?4, 'USD', 1000)",
            )
            .expect("prepare");
        let mut accounts = std::collections::HashMap::new();
        for r in rows {
            let account_id = match accounts.get(&r.account) {
                Some(id) => *id,
                None => {
                    account.execute([&r.account]).expect("account");
                    let id = tx.last_insert_rowid();
                    accounts.insert(r.account.clone(), id);
                    id
                }
            };
            let created = format!("{:04}-{:02}-{:02}T00:00:00.000Z", r.created.2, r.created.0, r.created.1);
            let close = format!("{:04}-{:02}-{:02}", r.close.2, r.close.0, r.close.1);
            let stage = (r.stage % 5 + 1) as i64;
            deal.execute(rusqlite::params![r.name, account_id, stage, r.amount_cents, close, created])
                .expect("deal");
            let id = tx.last_insert_rowid();
            history.execute(rusqlite::params![id, stage, created, r.amount_cents]).expect("history");
        }
    }
    tx.commit().expect("commit");
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let n: usize = std::env::var("KEEL_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = rows(n);
    let csv = dir.path().join("opportunities.csv");
    std::fs::write(&csv, salesforce_csv(&data)).expect("write csv");
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);

    let messy = dir.path().join("report-eu.csv");
    std::fs::write(&messy, messy_csv(&data)).expect("write messy csv");
    let messy_size = std::fs::metadata(&messy).map(|m| m.len()).unwrap_or(0);

    let mut imports = Vec::new();
    let mut messies = Vec::new();
    let mut plains = Vec::new();
    for round in 0..3 {
        imports.push(timed_import(dir.path(), &format!("import-{round}.db"), &csv, n));
        messies.push(timed_import(dir.path(), &format!("messy-{round}.db"), &messy, n));
        plains.push(plain_inserts(&dir.path().join(format!("plain-{round}.db")), &data));
    }
    let messy = median(messies);
    let (import, plain) = (median(imports), median(plains));
    println!("{n}-row Salesforce CSV ({:.1} MB), median of 3 in one run:", size as f64 / 1e6);
    println!(
        "  keel import deals (whole process):  {:>6.2} s  {:>9.0} rows/s  (target < 5 s)",
        import.as_secs_f64(),
        n as f64 / import.as_secs_f64()
    );
    println!(
        "  plain prepared INSERTs, same schema: {:>6.2} s  {:>9.0} rows/s",
        plain.as_secs_f64(),
        n as f64 / plain.as_secs_f64()
    );
    println!("  ratio import / plain inserts: {:.1}x", import.as_secs_f64() / plain.as_secs_f64());
    println!(
        "  keel import deals, the same deals as a messy European report ({:.1} MB: ';', decimal commas,\n    \
         day-first dates, EUR/GBP, blank amounts, custom stages and sources, footer): {:>6.2} s  {:>9.0} rows/s  \
         ({:.1}x plain inserts)",
        messy_size as f64 / 1e6,
        messy.as_secs_f64(),
        n as f64 / messy.as_secs_f64(),
        messy.as_secs_f64() / plain.as_secs_f64()
    );
}
