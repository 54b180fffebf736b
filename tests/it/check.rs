//! `keel check`'s own invariants and `keel backup`: a sound demo passes; each kind of
//! damage a write outside Keel can do is named; a backup is a verified copy.

use keel::clock::FixedClock;
use keel::services::demo::{generate, DemoOptions};
use keel::services::Workspace;
use std::sync::Arc;

fn demo() -> (tempfile::TempDir, std::path::PathBuf, Workspace) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keel.db");
    let mut ws = Workspace::open(&path, Arc::new(FixedClock::at(crate::start()))).expect("open");
    generate(&mut ws, DemoOptions { deals: 700, seed: 4 }).expect("demo");
    (dir, path, ws)
}

fn has(problems: &[String], rule: &str) -> bool {
    problems.iter().any(|p| p.starts_with(rule))
}

#[test]
fn a_demo_holds_every_invariant_and_damage_from_outside_is_named() {
    let (_dir, path, mut ws) = demo();
    assert_eq!(ws.integrity_problems().expect("integrity"), Vec::<String>::new());
    assert_eq!(ws.invariant_problems().expect("invariants"), Vec::<String>::new());

    // A plain sqlite3 session: no Keel rules, no fact tracking.
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let moved: i64 = raw
        .query_row("SELECT id FROM deals WHERE stage_id <> 1 ORDER BY id LIMIT 1", [], |r| r.get(0))
        .expect("a deal past Lead");
    raw.execute("UPDATE deals SET stage_id = 1 WHERE id = ?1", [moved]).expect("move behind Keel's back");
    let (deal, to): (i64, i64) = raw
        .query_row(
            "SELECT deal_id, to_stage_id FROM stage_history WHERE deal_id <> ?1 ORDER BY id DESC LIMIT 1",
            [moved],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a history row");
    raw.execute(
        "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, amount_minor, currency, probability_bp)
         VALUES (?1, 1, ?2, '2026-03-02T09:00:00Z', 100, 'USD', 500)",
        [deal, to],
    )
    .expect("a history entry that starts from the wrong stage");
    let pair: Option<(i64, i64)> = raw
        .query_row(
            "SELECT min(id), max(id) FROM registrations GROUP BY partner_id, registrable_domain
             HAVING count(*) > 1 LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    if let Some((a, b)) = pair {
        raw.execute("UPDATE registrations SET status = 'approved' WHERE id IN (?1, ?2)", [a, b])
            .expect("two open registrations");
    }
    drop(raw);

    let problems = ws.invariant_problems().expect("invariants");
    assert!(has(&problems, "a deal stands where its stage history ends"), "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains(&format!("deal {moved} is in stage 1"))), "{problems:#?}");
    assert!(has(&problems, "each stage change starts where the one before it ended"), "{problems:#?}");
    assert!(has(&problems, "deal_facts differs from a rebuild"), "{problems:#?}");
    assert_eq!(
        pair.is_some(),
        has(&problems, "a partner holds at most one open registration"),
        "{problems:#?}"
    );
    assert!(pair.is_some(), "the demo has a partner registering one domain twice over time");

    // Checking wrote nothing; rebuilding the projection mends only the projection.
    assert!(has(&ws.invariant_problems().expect("again"), "deal_facts differs"));
    ws.rebuild_facts().expect("rebuild");
    let after = ws.invariant_problems().expect("after rebuild");
    assert!(!has(&after, "deal_facts differs") && has(&after, "a deal stands where"), "{after:#?}");
}

#[test]
fn statement_totals_and_reversals_are_checked_against_their_lines() {
    let (_dir, path, mut ws) = demo();
    let raw = rusqlite::Connection::open(&path).expect("raw");
    // The triggers freeze approved statements; a draft can still be damaged by hand.
    raw.execute_batch(
        "DROP TRIGGER payout_statements_frozen;
         UPDATE payout_statements SET total_minor = total_minor + 1
         WHERE id = (SELECT statement_id FROM statement_lines LIMIT 1);",
    )
    .expect("damage a total");
    drop(raw);
    let problems = ws.invariant_problems().expect("invariants");
    assert!(has(&problems, "a statement's total is the sum of its lines"), "{problems:#?}");
}

#[test]
fn a_backup_is_a_checked_copy_and_a_failed_one_leaves_nothing() {
    let (dir, _path, ws) = demo();
    let copy = dir.path().join("backups").join("copy.db");
    std::fs::create_dir_all(copy.parent().expect("parent")).expect("dir");
    let bytes = ws.backup_to(&copy).expect("backup");
    assert!(bytes > 0);
    let backup = Workspace::open(&copy, Arc::new(FixedClock::at(crate::start()))).expect("open backup");
    assert_eq!(backup.deal_count().expect("deals"), ws.deal_count().expect("deals"));
    assert!(backup.integrity_problems().expect("check").is_empty());

    let nowhere = dir.path().join("missing-dir").join("copy.db");
    assert!(ws.backup_to(&nowhere).is_err());
    assert!(!nowhere.exists());
    let leftovers: Vec<String> = [dir.path().to_path_buf(), dir.path().join("backups")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("list"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("keel-backup"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn the_daily_backup_is_written_once_a_day_and_keeps_the_newest() {
    let fx = crate::Fixture::seeded();
    let dir = fx.path.with_file_name("keel.db.backups");
    let first = fx.ws.daily_backup(3).expect("backup").expect("written on the first start of the day");
    assert_eq!(first, dir.join("daily-2026-03-02.db"));
    assert_eq!(fx.ws.daily_backup(3).expect("again"), None, "one a day");
    for day in 3..=7 {
        fx.clock.set(
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, day, 9, 0, 0).single().expect("day"),
        );
        fx.ws.daily_backup(3).expect("backup").expect("a new day");
    }
    let mut kept: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, vec!["daily-2026-03-05.db", "daily-2026-03-06.db", "daily-2026-03-07.db"]);
    let copy = rusqlite::Connection::open(dir.join("daily-2026-03-07.db")).expect("open copy");
    let members: i64 = copy.query_row("SELECT count(*) FROM team_members", [], |r| r.get(0)).expect("count");
    assert!(members >= 2, "the copy holds the workspace");
}
