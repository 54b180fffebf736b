//! Working offline in a team workspace, measured in one run on this machine against a
//! real `keel-server` on loopback, on a workspace of N deals (default 1,000,000):
//!   * 1,000 changes (moves, activities, deal updates) sent online one by one, as the
//!     CLI and the app send them (the kept session checked, the change, the copy caught up
//!     from the feed the reply brings);
//!   * 1,000 of the same kind made with the server stopped (kept in the outbox), then
//!     replayed when it is back: the outbox sent in order and the copy caught up.
//!
//! Targets: the replay takes at most 2× the online run; the online run at most 2× the
//! replay (issue 28).
//!
//! Run: `cargo bench -p keel-server --bench offline` (KEEL_BENCH_DEALS,
//! KEEL_BENCH_OFFLINE_COMMANDS for other sizes).

use keel::services::Workspace;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::{demo_team, env_number, invite, keel_bin, run, serve_on};

/// Open deals in Lead, `n` of them after skipping `skip`.
fn deals_in_lead(db: &Path, skip: usize, n: usize) -> Vec<i64> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE s.name = 'Lead' ORDER BY d.id LIMIT ?1 OFFSET ?2",
        )
        .expect("query");
    stmt.query_map([n as i64, skip as i64], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids")
}

/// `count` changes over `deals`: half moves (Lead ↔ Qualification), 30% activities, 20%
/// renames, as an account executive makes them in the field.
fn changes(deals: &[i64], count: usize, tag: &str) -> Vec<Vec<String>> {
    let mut moved = vec![0usize; deals.len()];
    (0..count)
        .map(|n| {
            let slot = n % deals.len();
            let deal = deals[slot].to_string();
            let words: Vec<String> = match n % 10 {
                0..=4 => {
                    moved[slot] += 1;
                    let stage = if moved[slot] % 2 == 1 { "Qualification" } else { "Lead" };
                    vec!["deal".into(), "move".into(), deal, stage.into()]
                }
                5..=7 => [
                    "activity",
                    "add",
                    "--deal",
                    &deal,
                    "--kind",
                    "call",
                    "--subject",
                    &format!("{tag} call {n}"),
                ]
                .map(String::from)
                .to_vec(),
                _ => {
                    ["deal", "update", &deal, "--name", &format!("{tag} deal {n}")].map(String::from).to_vec()
                }
            };
            std::iter::once("--json".to_string()).chain(words).collect()
        })
        .collect()
}

fn main() {
    let deals = env_number("KEEL_BENCH_DEALS", 1_000_000);
    let count = env_number("KEEL_BENCH_OFFLINE_COMMANDS", 1_000) as usize;
    let keel = keel_bin();
    let (dir, db, init) = demo_team("bench-offline", deals);
    let ae = init
        .lines()
        .filter(|l| l.contains("(account-executive): "))
        .map(|l| l.split(" (").next().expect("name"));
    let ae = ae.clone().next().expect("an account executive").to_string();
    let mut server = serve_on(&db, 0);
    let port: u16 = server.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let copy = dir.join("ae.db");
    run(&keel, &["--db", copy.to_str().expect("utf-8"), "join", &server.url, &invite(&db, &ae)]);

    let lead = deals_in_lead(&db, 0, 100);
    assert_eq!(lead.len(), 100, "the demo has enough deals in Lead");
    let (online_deals, offline_deals) = lead.split_at(50);
    let clock: Arc<dyn keel::clock::Clock> = Arc::new(keel::clock::SystemClock);
    let mut ws = Workspace::open_existing(&copy, clock).expect("copy");

    // Each change as the CLI reads it from what a member types, submitted as the app does.
    let who = ws.principal(None).expect("the copy's member");
    let online = Instant::now();
    for args in changes(online_deals, count, "Online") {
        let change = keel::cli::change_from_line(&ws, &args).expect("reads").expect("a change");
        let sent = keel::changes::submit(&mut ws, who, change).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(!sent.queued);
    }
    let online = online.elapsed();
    println!(
        "{count} changes sent online one by one: {:.2} s ({:.1} ms each)",
        online.as_secs_f64(),
        online.as_secs_f64() * 1000.0 / count as f64
    );

    drop(server);
    let queueing = Instant::now();
    for args in changes(offline_deals, count, "Offline") {
        let change = keel::cli::change_from_line(&ws, &args).expect("reads").expect("a change");
        let sent = keel::changes::submit(&mut ws, who, change).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(sent.queued, "the server is stopped");
    }
    let queueing = queueing.elapsed();
    println!(
        "{count} changes made with the server stopped (applied here, kept in the outbox): {:.2} s ({:.1} ms each)",
        queueing.as_secs_f64(),
        queueing.as_secs_f64() * 1000.0 / count as f64
    );

    server = serve_on(&db, port);
    let replay = Instant::now();
    let remote = keel::remote::Remote::connect(&mut ws).expect("connect");
    let report = keel::remote::sync(&mut ws, &remote).expect("replay");
    let replay = replay.elapsed();
    assert_eq!((report.sent, report.refused, report.pending), (count, 0, 0), "{report:?}");
    println!(
        "replaying that outbox when the server is back (sent in order, copy caught up): {:.2} s; {} feed rows applied",
        replay.as_secs_f64(),
        report.applied
    );
    println!("replay ÷ online: {:.2} (target ≤ 2)", replay.as_secs_f64() / online.as_secs_f64());
    println!("online ÷ replay: {:.2} (target ≤ 2)", online.as_secs_f64() / replay.as_secs_f64());
    assert_eq!(ws.outbox_counts().expect("outbox"), (0, 0));
    drop(server);
}
