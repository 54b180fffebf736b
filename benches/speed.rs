//! Keel's speed targets, measured in one run on this machine:
//!   * `keel demo --deals N` (default 1,000,000) wall time, target < 60 s;
//!   * `keel deal list --stage S` first page on that workspace, target < 50 ms,
//!     both as a whole process (what a user waits for) and in-process (the query);
//!   * `keel metrics --json` over all time on that workspace, target < 500 ms, beside
//!     one plain SQL aggregate over the deals table timed in the same run;
//!   * the past and the forecast against today's `keel metrics`, run in turns in the same
//!     run: `keel metrics --as-of` a quarter ago and `keel pipeline changes` over the last
//!     quarter each within 3×, `keel forecast` within 1×; `keel forecast --as-of` and
//!     `keel board --as-of` beside them.
//!
//! Run: `cargo bench --bench speed` (KEEL_BENCH_DEALS=N for another size).

use keel::clock::SystemClock;
use keel::services::deals::{self, DealQuery};
use keel::services::metrics::{self, MetricsQuery};
use keel::services::{pipeline, Workspace};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn keel(db: &std::path::Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out =
        Command::new(env!("CARGO_BIN_EXE_keel")).arg("--db").arg(db).args(args).output().expect("run keel");
    let elapsed = started.elapsed();
    assert!(out.status.success(), "keel {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    elapsed
}

fn main() {
    let deals: u64 = std::env::var("KEEL_BENCH_DEALS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");

    let demo = keel(&db, &["demo", "--deals", &deals.to_string(), "--seed", "1"]);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "keel demo --deals {deals}: {:.1} s (target < 60 s), database {} MB",
        demo.as_secs_f64(),
        size / 1_000_000
    );

    let ws = Workspace::open(&db, Arc::new(SystemClock)).expect("open");
    let me = ws.principal(None).expect("the demo's current user");
    let stages = pipeline::stages(&ws).expect("stages");
    println!("{:<18} {:>16} {:>16} {:>16}", "stage", "process median", "process max", "query median");
    for stage in &stages {
        let process: Vec<Duration> =
            (0..21).map(|_| keel(&db, &["deal", "list", "--stage", &stage.name])).collect();
        let query: Vec<Duration> = (0..201)
            .map(|_| {
                let started = Instant::now();
                let page = deals::list(
                    &ws,
                    me,
                    &DealQuery { stage: Some(stage.name.clone()), ..Default::default() },
                )
                .expect("list");
                assert!(page.len() <= 50);
                started.elapsed()
            })
            .collect();
        let worst = *process.iter().max().expect("samples");
        println!(
            "{:<18} {:>16} {:>16} {:>16}",
            stage.name,
            ms(median(process)),
            ms(worst),
            ms(median(query))
        );
    }

    let plain: Vec<Duration> = (0..7)
        .map(|_| {
            let conn = rusqlite::Connection::open(&db).expect("open");
            let started = Instant::now();
            let (count, sum): (i64, i64) = conn
                .query_row("SELECT count(*), sum(amount_minor) FROM deals", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .expect("aggregate");
            assert_eq!(count as u64, deals);
            assert!(sum > 0);
            started.elapsed()
        })
        .collect();
    let process: Vec<Duration> = (0..7).map(|_| keel(&db, &["metrics", "--json"])).collect();
    let query: Vec<Duration> = (0..7)
        .map(|_| {
            let started = Instant::now();
            let report = metrics::compute(&ws, me, &MetricsQuery::default()).expect("metrics");
            assert_eq!(
                report.figures.won_count + report.figures.lost_count + report.figures.open_count,
                deals
            );
            started.elapsed()
        })
        .collect();
    let plain = median(plain);
    let process = median(process);
    println!(
        "keel metrics --json (all time): process median {} (target < 500 ms), in-process {}; \
         plain SELECT count(*), sum(amount_minor) FROM deals: {} ({:.1}× that)",
        ms(process),
        ms(median(query)),
        ms(plain),
        process.as_secs_f64() / plain.as_secs_f64()
    );

    past_and_forecast(&db);
}

/// Today's report and the commands that read the past or the forecast, in turns (so a
/// noisy moment hits them alike), with each one's median as a ratio of the report's.
fn past_and_forecast(db: &std::path::Path) {
    use chrono::Datelike;
    let today = keel::clock::Clock::today(&SystemClock);
    let quarter_ago = (today - chrono::Duration::days(91)).to_string();
    let period = format!("{}-Q{}", today.year(), today.month0() / 3 + 1);
    let commands: Vec<(String, Vec<&str>, Option<f64>)> = vec![
        ("keel metrics".into(), vec!["metrics", "--json"], None),
        (
            format!("keel metrics --as-of {quarter_ago}"),
            vec!["metrics", "--json", "--as-of", &quarter_ago],
            Some(3.0),
        ),
        (
            format!("keel pipeline changes --from {quarter_ago} --period {period}"),
            vec!["pipeline", "changes", "--from", &quarter_ago, "--period", &period, "--json"],
            Some(3.0),
        ),
        (
            format!("keel forecast --period {period}"),
            vec!["forecast", "--period", &period, "--json"],
            Some(1.0),
        ),
        (
            format!("keel forecast --period {period} --as-of {quarter_ago}"),
            vec!["forecast", "--period", &period, "--as-of", &quarter_ago, "--json"],
            None,
        ),
        (format!("keel board --as-of {quarter_ago}"), vec!["board", "--as-of", &quarter_ago, "--json"], None),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); commands.len()];
    for _ in 0..9 {
        for (i, (_, args, _)) in commands.iter().enumerate() {
            samples[i].push(keel(db, args));
        }
    }
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    let today_report = medians[0].as_secs_f64();
    println!(
        "{:<64} {:>12} {:>10} {:>8}",
        "the past and the forecast (process, 9 turns)", "median", "× metrics", "target"
    );
    for ((name, _, target), median) in commands.iter().zip(&medians) {
        println!(
            "{:<64} {:>12} {:>9.2}× {:>8}",
            name,
            ms(*median),
            median.as_secs_f64() / today_report,
            target.map_or(String::new(), |t| format!("≤ {t}×"))
        );
    }
}
