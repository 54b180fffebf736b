//! The report, the board and their drill-downs.

pub mod as_of;
pub mod board;
pub mod changes;
pub mod forecast;
pub mod metrics;

use keel::clock::FixedClock;
use keel::services::demo::{generate, DemoOptions};
use keel::services::Workspace;
use std::sync::Arc;

/// A demo workspace made on 2026-11-20, and the folder that holds it.
pub fn demo(deals: u64, seed: u64) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().expect("dir");
    let at =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 9, 0, 0).single().expect("instant");
    let mut ws = Workspace::open(&dir.path().join("keel.db"), Arc::new(FixedClock::at(at))).expect("open");
    generate(&mut ws, DemoOptions { deals, seed }).expect("demo");
    (dir, ws)
}
