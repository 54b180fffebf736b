//! SIGKILL at random moments: a `keel` process killed while it imports a large file or
//! runs a payout period leaves a database that passes `keel check`, with the interrupted
//! operation wholly there or wholly absent (SQLite's transaction, one per command).

use crate::CurrentUser;
use keel::clock::FixedClock;
use keel::services::Workspace;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-24T09:00:00Z";
/// Payout runs happen later, once the demo's recent commission has cleared its hold.
const LATER: &str = "2027-03-01T09:00:00Z";
const KILLS_PER_OPERATION: usize = 30;

fn keel(db: &Path, args: &[&str]) -> Command {
    let now = if args.first() == Some(&"payouts") { LATER } else { NOW };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keel"));
    cmd.arg("--db").arg(db).args(args).env("KEEL_NOW", now).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A demo workspace, its WAL folded in, so a plain file copy is the whole database.
fn demo(dir: &Path) -> PathBuf {
    let base = dir.join("base.db");
    let status = keel(&base, &["demo", "--deals", "300", "--seed", "5"]).status().expect("keel demo");
    assert!(status.success());
    let conn = rusqlite::Connection::open(&base).expect("open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    base
}

fn fresh_copy(base: &Path, dir: &Path) -> PathBuf {
    let run = dir.join("run.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", run.display()));
    }
    std::fs::copy(base, &run).expect("copy");
    run
}

/// Runs `args` to the end once, returning how long a whole process takes.
fn full_run(base: &Path, dir: &Path, args: &[&str]) -> Duration {
    let run = fresh_copy(base, dir);
    let started = Instant::now();
    assert!(keel(&run, args).status().expect("run").success(), "the uninterrupted run succeeds");
    started.elapsed()
}

/// Starts `args`, kills it with SIGKILL after a random delay (up to 1.2 × `span`, so
/// some kills come after the commit), and says whether it was still running.
fn kill_during(run: &Path, args: &[&str], span: Duration, rng: &mut Lcg) -> bool {
    let mut child = keel(run, args).spawn().expect("spawn keel");
    std::thread::sleep(Duration::from_micros(rng.below(span.as_micros() as u64 * 6 / 5)));
    let alive = child.try_wait().expect("poll").is_none();
    let _ = child.kill(); // SIGKILL on Unix
    child.wait().expect("reap");
    alive
}

/// Opens the file as the next command would and runs every check `keel check` runs.
fn checked(run: &Path) -> Workspace {
    let clock = FixedClock::at(chrono::DateTime::parse_from_rfc3339(NOW).expect("now").into());
    let mut ws = Workspace::open(run, Arc::new(clock)).expect("the killed file opens");
    assert_eq!(ws.invariant_problems().expect("check"), Vec::<String>::new(), "keel check after a kill");
    ws
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db).expect("open").query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn text(db: &Path, sql: &str) -> Option<String> {
    rusqlite::Connection::open(db).expect("open").query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn salesforce_csv(path: &Path, rows: usize, owner: &str) {
    let mut out = String::from(
        "Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Close Date,Created Date,Type\r\n",
    );
    for i in 0..rows {
        out.push_str(&format!(
            "006CRASH{i:08},{owner},Crash Account {:04},Crash deal {i},Prospecting,\"${},{:03}.00\",3/{}/2027,9/{}/2026,New Business\r\n",
            i % 700,
            1 + i % 90,
            i % 1000,
            1 + i % 28,
            1 + i % 28,
        ));
    }
    std::fs::write(path, out).expect("write csv");
}

#[test]
fn an_import_killed_at_any_moment_is_wholly_there_or_wholly_absent() {
    let dir = tempfile::tempdir().expect("dir");
    let base = demo(dir.path());
    let owner = {
        let ws = checked(&base);
        keel::services::team::list(&ws)
            .expect("team")
            .into_iter()
            .find(|m| m.role == keel::domain::Role::AccountExecutive)
            .expect("an account executive")
            .name
    };
    let rows = 3_000;
    let csv = dir.path().join("crash.csv");
    salesforce_csv(&csv, rows, &owner);
    let args = ["import", "deals", csv.to_str().expect("path")];
    let (deals_before, batches_before) =
        (count(&base, "SELECT count(*) FROM deals"), count(&base, "SELECT count(*) FROM import_batches"));
    let span = full_run(&base, dir.path(), &args);
    let mut rng = Lcg(0x5EED1);
    let (mut mid_run, mut absent, mut present) = (0, 0, 0);
    for _ in 0..KILLS_PER_OPERATION {
        let run = fresh_copy(&base, dir.path());
        mid_run += usize::from(kill_during(&run, &args, span, &mut rng));
        drop(checked(&run));
        let deals = count(&run, "SELECT count(*) FROM deals");
        let batches = count(&run, "SELECT count(*) FROM import_batches");
        if deals == deals_before {
            assert_eq!(batches, batches_before, "no deals, no batch");
            absent += 1;
        } else {
            assert_eq!(deals, deals_before + rows as i64, "all {rows} rows or none");
            assert_eq!(batches, batches_before + 1);
            present += 1;
        }
    }
    println!(
        "import of {rows} rows ({:.2} s uninterrupted): {KILLS_PER_OPERATION} kills, {mid_run} while running; \
         {absent} wholly absent, {present} wholly there; keel check clean after each",
        span.as_secs_f64()
    );
    assert!(absent > 0 && mid_run > 0, "some kills interrupted the import");
}

#[test]
fn a_payout_run_killed_at_any_moment_is_wholly_there_or_wholly_absent() {
    let dir = tempfile::tempdir().expect("dir");
    let base = demo(dir.path());
    // Payments today on every won deal that came from a registration: commission that
    // December's run pays once it has cleared its 30-day hold.
    {
        let mut ws = checked(&base);
        let pm = keel::services::team::list(&ws)
            .expect("team")
            .into_iter()
            .find(|m| m.role == keel::domain::Role::PartnerManager)
            .expect("a partner manager")
            .id;
        let pm = ws.authenticate(pm).expect("the partner manager acts");
        let converted = keel::services::registrations::list(
            &ws,
            ws.me(),
            Some(keel::domain::RegistrationStatus::Converted),
        )
        .expect("registrations");
        let mut paid = 0;
        for deal in converted.iter().filter_map(|r| r.registration.deal_id) {
            if keel::services::deals::get(&ws, ws.me(), deal).expect("deal").is_won {
                let input = keel::services::revenue::RevenueInput {
                    deal_id: deal,
                    amount_minor: 1_234_567,
                    occurred_on: ws.today(),
                    kind: keel::domain::RevenueKind::Payment,
                };
                keel::services::revenue::record(&mut ws, pm, input).expect("payment");
                paid += 1;
            }
        }
        assert!(paid >= 3, "the demo has won registered deals ({paid})");
    }
    let conn = rusqlite::Connection::open(&base).expect("open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("fold the payments into the file");
    drop(conn);
    let period = "2026-12".to_string();
    let args = ["payouts", "run", "--period", period.as_str()];
    let statements_sql = format!(
        "SELECT group_concat(partner_id || ':' || currency || ':' || total_minor || ':' || status, ',') \
         FROM (SELECT * FROM payout_statements WHERE period = '{period}' ORDER BY partner_id, currency)"
    );
    let lines_sql = format!(
        "SELECT count(*) FROM statement_lines WHERE statement_id IN \
         (SELECT id FROM payout_statements WHERE period = '{period}')"
    );
    let span = full_run(&base, dir.path(), &args);
    let reference = {
        let done = dir.path().join("run.db");
        drop(checked(&done));
        (text(&done, &statements_sql).expect("some statements"), count(&done, &lines_sql))
    };
    let mut rng = Lcg(0x5EED2);
    let (mut mid_run, mut absent, mut present) = (0, 0, 0);
    for _ in 0..KILLS_PER_OPERATION {
        let run = fresh_copy(&base, dir.path());
        mid_run += usize::from(kill_during(&run, &args, span, &mut rng));
        drop(checked(&run));
        match text(&run, &statements_sql) {
            None => {
                assert_eq!(count(&run, &lines_sql), 0, "no statements, no lines");
                absent += 1;
            }
            Some(found) => {
                assert_eq!((found, count(&run, &lines_sql)), reference, "every statement and line, or none");
                present += 1;
            }
        }
    }
    println!(
        "payout run {period} ({:.3} s uninterrupted): {KILLS_PER_OPERATION} kills, {mid_run} while running; \
         {absent} wholly absent, {present} wholly there; keel check clean after each",
        span.as_secs_f64()
    );
    assert!(absent > 0 && mid_run > 0, "some kills interrupted the run");
}
