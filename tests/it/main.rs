//! Keel core integration tests: one binary, a module per area.

// Grouped like the services (see ARCHITECTURE); the workspace-wide suites stand apart.
mod access;
mod check;
mod cli;
mod concurrency;
mod crash;
mod customers;
mod demo;
mod exchange;
mod fuzz;
mod partner_program;
mod reporting;
mod sales;
mod schema;

// Suites share their fixtures by these short paths (`crate::partners::Program`).
use exchange::import;
use partner_program::{partners, payouts};
use reporting::metrics;

use chrono::{DateTime, TimeZone, Utc};
use keel::clock::FixedClock;
use keel::domain::{AccountId, DealSource, DealType, Role, Segment};
use keel::services::policy::Principal;
use keel::services::{accounts as account_svc, deals as deal_svc, pipeline, team, Workspace};
use std::path::PathBuf;
use std::sync::Arc;

/// A workspace in a temporary file with a clock that only moves when told.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: FixedClock,
    pub ws: Workspace,
    /// The enterprise AE and the sales leader, as their front door would authenticate them.
    pub ae: Principal,
    pub leader: Principal,
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("valid instant")
}

impl Fixture {
    /// An initialized workspace with an enterprise AE (the current user) and a sales leader.
    pub fn seeded() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keel.db");
        let clock = FixedClock::at(start());
        let mut ws = Workspace::open(&path, Arc::new(clock.clone())).expect("open workspace");
        pipeline::init(&mut ws).expect("init");
        // The leader starts the team (only a leader adds members); the AE acts by default.
        let leader = team::add(
            &mut ws,
            None,
            team::NewTeamMember { name: "Vic Okafor".into(), role: Role::SalesLeader, ae_segment: None },
        )
        .expect("first member")
        .id;
        let leader = ws.authenticate(leader).expect("leader acts");
        let ae = team::add(
            &mut ws,
            Some(leader),
            team::NewTeamMember {
                name: "Ana Almeida".into(),
                role: Role::AccountExecutive,
                ae_segment: Some(keel::domain::AeSegment::Enterprise),
            },
        )
        .expect("ae")
        .id;
        let ae = ws.authenticate(ae).expect("ae acts");
        ws.set_current_user("Ana Almeida").expect("current user");
        Fixture { _dir: dir, path, clock, ws, ae, leader }
    }

    pub fn account(&mut self, name: &str, domain: &str) -> AccountId {
        account_svc::create(
            &mut self.ws,
            self.ae,
            account_svc::AccountInput {
                name: name.into(),
                domain: Some(domain.into()),
                segment: Some(Segment::Enterprise),
                vertical: Some("Gaming".into()),
                region: Some("Europe".into()),
            },
        )
        .expect("account")
        .id
    }

    pub fn deal_input(&self, account: AccountId) -> deal_svc::DealInput {
        deal_svc::DealInput {
            name: "Voice SDK rollout".into(),
            account_id: account,
            owner_id: None,
            amount_minor: 12_000_000,
            currency: "USD".into(),
            expected_close_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
            source: DealSource::Inbound,
            deal_type: DealType::NewBusiness,
            stage: None,
            probability_override_bp: None,
            forecast_override: None,
            expands_deal_id: None,
        }
    }

    /// Every row of every table, in order: two equal snapshots mean nothing was written.
    pub fn snapshot(&self) -> String {
        let conn = rusqlite::Connection::open(&self.path).expect("second connection");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("tables")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        let mut out = String::new();
        for table in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("rows");
            out.push_str(&format!("## {table}\n"));
            while let Some(row) = rows.next().expect("row") {
                let cells: Vec<String> =
                    (0..columns).map(|i| format!("{:?}", row.get_ref(i).expect("cell"))).collect();
                out.push_str(&cells.join("|"));
                out.push('\n');
            }
        }
        out
    }

    /// Like [`Fixture::snapshot`] without the import bookkeeping tables.
    pub fn snapshot_without_batches(&self) -> String {
        self.snapshot()
            .split("## ")
            .filter(|t| {
                !t.starts_with("import_") && !t.starts_with("external_ids") && !t.starts_with("audit_log")
            })
            .collect::<Vec<_>>()
            .join("## ")
    }

    /// Asserts that `f` fails with a message containing `needle` and writes nothing.
    pub fn refuses<T: std::fmt::Debug>(
        &mut self,
        needle: &str,
        f: impl FnOnce(&mut Workspace) -> keel::Result<T>,
    ) -> keel::KeelError {
        let before = self.snapshot();
        let err = f(&mut self.ws).expect_err("the input must be refused");
        assert!(err.to_string().contains(needle), "error {err:?} should mention {needle:?}");
        assert_eq!(before, self.snapshot(), "a refused command must leave the database unchanged");
        err
    }
}

/// An exchange rate as typed, for `fx::set_rate_as_typed`.
pub fn rate_form(
    currency: &str,
    effective_on: chrono::NaiveDate,
    rate: &str,
) -> keel::services::fx::RateForm {
    keel::services::fx::RateForm {
        currency: currency.to_string(),
        effective_on: effective_on.to_string(),
        rate: rate.to_string(),
    }
}

/// Reads act for someone: here the workspace's current user, as the CLI and the desktop
/// authenticate the user of a solo workspace.
pub trait CurrentUser {
    fn me(&self) -> Principal;
}

impl CurrentUser for Workspace {
    fn me(&self) -> Principal {
        self.principal(None).expect("the workspace has a current user")
    }
}
