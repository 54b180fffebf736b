//! Keel's speed targets, measured in one run on this machine:
//!   * `keel demo --deals N` (default 1,000,000) wall time, target < 60 s;
//!   * `keel deal list --stage S` first page on that workspace, target < 50 ms,
//!     both as a whole process (what a user waits for) and in-process (the query).
//!
//! Run: `cargo bench --bench speed` (KEEL_BENCH_DEALS=N for another size).

use keel::clock::SystemClock;
use keel::services::deals::{self, DealQuery};
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
    let stages = pipeline::stages(&ws).expect("stages");
    println!("{:<18} {:>16} {:>16} {:>16}", "stage", "process median", "process max", "query median");
    for stage in &stages {
        let process: Vec<Duration> =
            (0..21).map(|_| keel(&db, &["deal", "list", "--stage", &stage.name])).collect();
        let query: Vec<Duration> = (0..201)
            .map(|_| {
                let started = Instant::now();
                let page =
                    deals::list(&ws, &DealQuery { stage: Some(stage.name.clone()), ..Default::default() })
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
}
