//! Regressions for the defects a hostile tester found in money and rules, one test per
//! defect; the property tests that would have caught them are in `money_properties`.

use crate::cli::{json, keel, ok};
use crate::partners::Program;
use crate::payouts::{at, pay};
use crate::CurrentUser;
use chrono::NaiveDate;
use keel::domain::{DealId, PartnerTier, RevenueKind, StatementStatus};
use keel::money::{Currency, DecimalMark, Money};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::revenue::{self, RevenueInput};
use keel::services::{deals, partners, payouts, registrations};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn record(p: &mut Program, deal: DealId, minor: i64, on: NaiveDate, kind: RevenueKind) -> keel::Result<i64> {
    let ae = p.fx.ae;
    let input = RevenueInput { deal_id: deal, amount_minor: minor, occurred_on: on, kind };
    Ok(revenue::record(&mut p.fx.ws, ae, input)?.commission.map_or(0, |c| c.amount.amount_minor))
}

fn to(stage: &str) -> MoveInput {
    MoveInput { stage: stage.into(), override_reason: None, loss_reason: None }
}

fn eur() -> Currency {
    Currency::parse("currency", "EUR").expect("EUR")
}

#[test]
fn typed_amounts_read_as_a_person_reads_them_and_the_same_in_the_importer() {
    let read = |text: &str| Money::parse("amount", text, eur()).map(|m| m.amount_minor);
    assert_eq!(read("1,50").ok(), Some(150), "a comma before two digits is a decimal comma: EUR 1.50");
    assert_eq!(read("1,5").ok(), Some(150));
    assert_eq!(read("1,500").ok(), Some(150_000), "a comma before three digits groups thousands");
    assert_eq!(read("12.500,50").ok(), Some(1_250_050), "both marks: the last is the decimal one");
    assert_eq!(read("12,500.50").ok(), Some(1_250_050));
    assert_eq!(read("1 234,5").ok(), Some(123_450));
    for (bad, why) in [
        ("1,0,0", "groups its digits oddly"),
        ("1.2.3,4", "groups its digits oddly"),
        ("12,50.0", "groups its digits oddly"),
        ("1.", "no digits after its decimal mark"),
        ("1.234", "has 3 decimal places; EUR has 2"),
        ("1e5", "is not an amount"),
    ] {
        let err = read(bad).expect_err(bad).to_string();
        assert!(err.starts_with("amount: ") && err.contains(why), "{bad}: {err}");
    }
    let jpy = Currency::parse("currency", "JPY").expect("JPY");
    let err = Money::parse("amount", "1.5", jpy).expect_err("JPY has no minor unit").to_string();
    assert!(err.contains("JPY has no minor unit"), "{err}");
    for text in ["1,50", "1,500", "12.500,50", "1 234,5", "1,0,0", "1.234"] {
        let typed = read(text).ok();
        let imported = keel::services::import::values::parse_amount(
            "amount",
            text,
            Some(eur()),
            eur(),
            DecimalMark::Unknown,
        )
        .ok()
        .map(|m| m.amount_minor);
        assert_eq!(typed, imported, "{text}: the importer reads a cell as the CLI reads it");
    }
}

#[test]
fn the_cli_stores_a_decimal_comma_as_typed_and_refuses_odd_grouping_naming_the_flag() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init"]);
    ok(&db, &["team", "add", "--name", "Ana Almeida", "--role", "account-executive"]);
    let account = json(&db, &["account", "add", "--name", "Nova", "--domain", "nova.io"])["id"].to_string();
    let add = |amount: &str| {
        keel(
            &db,
            &[
                "--json",
                "deal",
                "add",
                "--account",
                &account,
                "--name",
                "Probe",
                "--amount",
                amount,
                "--currency",
                "EUR",
                "--close",
                "2026-12-01",
            ],
        )
    };
    let out = add("1,50");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deal: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(deal["amount"]["amount_minor"], 150, "EUR 1,50 is one euro fifty, not 150 euros");
    let before = std::fs::read(&db).expect("db");
    let out = add("1,0,0");
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert_eq!(err["code"], "invalid_input");
    assert!(err["message"].as_str().is_some_and(|m| m.starts_with("amount: '1,0,0'")), "{err}");
    assert_eq!(std::fs::read(&db).expect("db"), before, "a refused amount writes nothing");
    let out = keel(
        &db,
        &["deal", "add", "--account", &account, "--name", "P", "--amount", "5", "--close", "2020-01-01"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("close: 2020-01-01 is before the deal was created"), "names the flag: {err}");
}

#[test]
fn a_currency_change_comes_with_its_amount() {
    let mut fx = crate::Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let ae = fx.ae;
    let only_currency = deals::DealChanges { currency: Some("KWD".into()), ..Default::default() };
    fx.refuses("currency: changing the currency from USD to KWD needs the amount in KWD", |ws| {
        deals::update(ws, ae, deal, only_currency)
    });
    let same = deals::DealChanges { currency: Some("usd".into()), ..Default::default() };
    deals::update(&mut fx.ws, ae, deal, same).expect("naming the same currency changes nothing");
    let both = deals::DealChanges {
        currency: Some("KWD".into()),
        amount_minor: Some(123_456),
        ..Default::default()
    };
    let updated = deals::update(&mut fx.ws, ae, deal, both).expect("amount and currency together");
    assert_eq!(updated.amount.map(|m| m.to_string()).as_deref(), Some("KWD 123.456"));
}

/// A partner whose April balance (25.00) is carried into May's statement (55.00).
fn carried_into_may() -> (Program, StatementId) {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 10_000, RevenueKind::Payment).expect("25.00 commission");
    at(&p, 2026, 4, 10);
    pay(&mut p, deal, 12_000, RevenueKind::Payment).expect("30.00 commission");
    at(&p, 2026, 5, 2);
    let pm = p.pm;
    let april = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("april");
    assert_eq!(april[0].statement.status, StatementStatus::Carried);
    at(&p, 2026, 6, 2);
    let may = payouts::run(&mut p.fx.ws, pm, "2026-05").expect("may");
    (p, may[0].statement.id)
}

use keel::domain::StatementId;

#[test]
fn paid_and_owed_count_a_carried_balance_once() {
    let (mut p, may) = carried_into_may();
    let reseller = p.reseller;
    let balance = |p: &Program| partners::view(&p.fx.ws, p.pm, reseller).expect("view").commission[0].clone();
    let before = balance(&p);
    assert_eq!(
        (before.accrued_minor, before.paid_minor, before.carried_minor, before.owed_minor),
        (5_500, 0, 0, 5_500),
        "the carried 25.00 is now on May's draft, so it is owed, not carried"
    );
    let pm = p.pm;
    payouts::approve(&mut p.fx.ws, pm, may).expect("approve");
    payouts::mark_paid(&mut p.fx.ws, pm, may, "WIRE-1", None).expect("paid");
    let after = balance(&p);
    assert_eq!(
        (after.accrued_minor, after.paid_minor, after.carried_minor, after.owed_minor),
        (5_500, 5_500, 0, 0),
        "75.00-style chains: all that was paid counts as paid, once"
    );
}

#[test]
fn a_deal_owner_may_not_approve_a_statement_that_carries_their_deal() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let leader = p.fx.leader;
    let pm = p.pm;
    let ae = p.fx.ae;
    // The leader owns a deal whose 25.00 is carried in April; May's lines are the AE's.
    let id = p.submit(p.reseller, "Prism Play", "prismplay.com");
    registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    let leaders_deal = registrations::convert(&mut p.fx.ws, leader, id, Some(leader.member()))
        .expect("convert")
        .registration
        .deal_id
        .expect("deal");
    let won =
        MoveInput { stage: "Closed Won".into(), override_reason: Some("signed".into()), loss_reason: None };
    move_deal(&mut p.fx.ws, leader, leaders_deal, won).expect("won");
    pay(&mut p, leaders_deal, 10_000, RevenueKind::Payment).expect("25.00");
    at(&p, 2026, 4, 10);
    let aes_deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, aes_deal, 12_000, RevenueKind::Payment).expect("30.00");
    at(&p, 2026, 5, 2);
    payouts::run(&mut p.fx.ws, pm, "2026-04").expect("april carried");
    at(&p, 2026, 6, 2);
    let may = payouts::run(&mut p.fx.ws, pm, "2026-05").expect("may")[0].statement.id;
    let direct: Vec<_> = payouts::show(&p.fx.ws, p.pm, may).expect("show").lines;
    assert!(direct.iter().all(|l| l.deal_id != Some(leaders_deal.0)), "the leader's deal is only carried");
    p.fx.refuses("Vic Okafor owns a deal on statement", |ws| payouts::approve(ws, leader, may));
    let _ = ae;
    payouts::approve(&mut p.fx.ws, pm, may).expect("the partner manager owns none of them");
}

#[test]
fn a_refund_is_checked_against_what_was_collected_by_its_own_date() {
    let mut p = Program::new();
    at(&p, 2026, 7, 1);
    let deal = p.won_partner_deal("kitelabs.io");
    at(&p, 2026, 11, 30);
    record(&mut p, deal, 1_002, day(2026, 8, 1), RevenueKind::Payment).expect("10.02 in August");
    record(&mut p, deal, 50_000, day(2026, 11, 30), RevenueKind::Payment).expect("500.00 in November");
    let ae = p.fx.ae;
    p.fx.refuses("a refund of USD 500.00 on 2026-08-04 is more than the USD 10.02 collected", |ws| {
        let input = RevenueInput {
            deal_id: deal,
            amount_minor: 50_000,
            occurred_on: day(2026, 8, 4),
            kind: RevenueKind::Refund,
        };
        revenue::record(ws, ae, input)
    });
    record(&mut p, deal, 1_002, day(2026, 8, 4), RevenueKind::Refund).expect("what August had");
    // A refund dated before a later refund may not leave that later day short.
    record(&mut p, deal, 40_000, day(2026, 11, 30), RevenueKind::Refund).expect("400.00 of November's 500");
    p.fx.refuses(
        "a refund of USD 5.00 on 2026-08-02 would leave deal 1 with more refunded than collected",
        |ws| {
            let input = RevenueInput {
                deal_id: deal,
                amount_minor: 500,
                occurred_on: day(2026, 8, 2),
                kind: RevenueKind::Refund,
            };
            revenue::record(ws, ae, input)
        },
    );
    let ledger = revenue::for_deal(&p.fx.ws, p.fx.ws.me(), deal).expect("ledger").ledger;
    for clawback in ledger.iter().filter(|e| e.amount.amount_minor < 0) {
        let first_payable = ledger.iter().filter(|e| e.amount.amount_minor > 0).map(|e| e.payable_on).min();
        assert!(
            first_payable.is_some_and(|f| f <= clawback.payable_on),
            "no clawback is payable before an accrual"
        );
    }
}

#[test]
fn refunds_claw_back_cumulatively_so_a_full_refund_nets_to_zero() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let deal = p.won_partner_deal("kitelabs.io");
    let today = keel::clock::Clock::today(&p.fx.clock);
    assert_eq!(record(&mut p, deal, 1_002, today, RevenueKind::Payment).expect("pay"), 250, "25% of 10.02");
    let mut clawed = Vec::new();
    for _ in 0..3 {
        clawed.push(record(&mut p, deal, 334, today, RevenueKind::Refund).expect("refund 3.34"));
    }
    assert_eq!(clawed.iter().sum::<i64>(), -250, "the three clawbacks take back exactly what was accrued");
    assert_eq!(clawed, [-83, -83, -84], "each is the change in half-even(25% × net collected)");
    let ledger = revenue::for_deal(&p.fx.ws, p.fx.ws.me(), deal).expect("ledger");
    assert_eq!(ledger.net_collected_minor, 0);
    assert_eq!(
        ledger.ledger.iter().map(|e| e.amount.amount_minor).sum::<i64>(),
        0,
        "no drift on zero revenue"
    );
}

#[test]
fn a_won_deal_holding_revenue_is_neither_lost_nor_reopened() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 10_000, RevenueKind::Payment).expect("payment");
    let ae = p.fx.ae;
    p.fx.refuses(
        "deal 1 has USD 100.00 collected; refund it before moving the deal out of Closed Won",
        |ws| {
            move_deal(
                ws,
                ae,
                deal,
                MoveInput {
                    stage: "Closed Lost".into(),
                    override_reason: None,
                    loss_reason: Some("churn".into()),
                },
            )
        },
    );
    p.fx.refuses("refund it before moving", |ws| {
        move_deal(
            ws,
            ae,
            deal,
            MoveInput { stage: "Negotiation".into(), override_reason: Some("x".into()), ..to("") },
        )
    });
    pay(&mut p, deal, 10_000, RevenueKind::Refund).expect("refund all");
    let lost =
        MoveInput { stage: "Closed Lost".into(), override_reason: None, loss_reason: Some("churn".into()) };
    move_deal(&mut p.fx.ws, ae, deal, lost).expect("with nothing collected the deal can be lost");
}

#[test]
fn a_reopened_deal_owes_every_criterion_up_to_its_stage() {
    let mut fx = crate::Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let ae = fx.ae;
    let direct = fx.refuses("BANT budget is", |ws| move_deal(ws, ae, deal, to("Negotiation")));
    let lost =
        MoveInput { stage: "Closed Lost".into(), override_reason: None, loss_reason: Some("x".into()) };
    move_deal(&mut fx.ws, ae, deal, lost).expect("lost");
    let reopened =
        fx.refuses("cannot move deal 1 to Negotiation", |ws| move_deal(ws, ae, deal, to("Negotiation")));
    let missing = |e: &keel::KeelError| match e {
        keel::KeelError::CriteriaUnmet { missing, .. } => missing.clone(),
        other => panic!("expected unmet criteria, got {other:?}"),
    };
    assert_eq!(
        missing(&reopened),
        missing(&direct),
        "losing the deal first owes exactly what the direct move owed"
    );
}

#[test]
fn a_resubmission_runs_the_duplicate_check_of_a_submission() {
    let mut p = Program::new();
    let reseller = p.reseller;
    let pm = p.pm;
    p.submit(reseller, "Target", "target.com");
    let second = p.submit(reseller, "Other", "other.com");
    registrations::send_back(&mut p.fx.ws, pm, second, "which team?").expect("returned");
    let moved = p.registration(reseller, "Target", "target.com");
    p.fx.refuses("domain: target.com is already used by live registration of this partner 1", |ws| {
        registrations::resubmit(ws, pm, second, moved)
    });
    assert!(
        p.fx.ws.invariant_problems().expect("check").is_empty(),
        "one open registration per partner and domain"
    );
    let same = p.registration(reseller, "Other", "other.com");
    registrations::resubmit(&mut p.fx.ws, pm, second, same)
        .expect("its own domain is not a duplicate of itself");
}

#[test]
fn a_statement_is_paid_on_or_after_the_day_it_was_approved() {
    let (mut p, may) = carried_into_may();
    let pm = p.pm;
    payouts::approve(&mut p.fx.ws, pm, may).expect("approve on 2026-06-02");
    p.fx.refuses("date: 1990-01-01 is before statement 2 was approved (2026-06-02)", |ws| {
        payouts::mark_paid(ws, pm, may, "X", Some(day(1990, 1, 1)))
    });
    payouts::mark_paid(&mut p.fx.ws, pm, may, "X", Some(day(2026, 6, 2))).expect("the same day is fine");
}

#[test]
fn the_minimum_payout_is_held_per_currency() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let (pm, leader, reseller) = (p.pm, p.fx.leader, p.reseller);
    let mut input = p.registration(reseller, "Nova Japan", "nova.jp");
    input.estimated_value.currency = keel::money::Currency::parse("currency", "JPY").expect("JPY");
    input.estimated_value.amount_minor = 1_000_000;
    let id = registrations::submit(&mut p.fx.ws, pm, input).expect("submit").registration.id;
    registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    let deal = registrations::convert(&mut p.fx.ws, p.fx.ae, id, None).expect("convert").registration.deal_id;
    let deal = deal.expect("deal");
    let ae = p.fx.ae;
    let won =
        MoveInput { stage: "Closed Won".into(), override_reason: Some("signed".into()), loss_reason: None };
    move_deal(&mut p.fx.ws, ae, deal, won).expect("won");
    pay(&mut p, deal, 200, RevenueKind::Payment).expect("JPY 200 pays JPY 50");
    at(&p, 2026, 5, 2);
    p.fx.refuses("there is no minimum payout in JPY", |ws| payouts::run(ws, pm, "2026-04"));
    keel::services::fx::set_rate_as_typed(
        &mut p.fx.ws,
        leader,
        &crate::rate_form("JPY", day(2026, 1, 1), "0.0067"),
    )
    .expect("rate");
    let carried = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("run");
    assert_eq!(
        carried[0].statement.status,
        StatementStatus::Carried,
        "JPY 50 is far under USD 50.00 (JPY 7,463 at 0.0067)"
    );
    partners::set_program_setting(&mut p.fx.ws, pm, "min_payout.JPY", 40).expect("a JPY minimum of its own");
    let drafted = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("rerun");
    assert_eq!(drafted[0].statement.status, StatementStatus::Draft, "JPY 50 reaches JPY 40");
    let _ = PartnerTier::Reseller;
}

#[test]
fn keel_own_export_imported_into_the_same_workspace_changes_nothing() {
    let clock = keel::clock::FixedClock::at(crate::start());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("w.db");
    let mut ws = keel::services::Workspace::open(&path, std::sync::Arc::new(clock)).expect("open");
    keel::services::demo::generate(&mut ws, keel::services::demo::DemoOptions { deals: 120, seed: 9 })
        .expect("demo");
    let actor = ws.me();
    let before = deals::count(&ws, ws.me(), &deals::DealQuery::default()).expect("count");
    for kind in [
        (keel::services::export::ExportKind::Accounts, keel::domain::ImportKind::Accounts),
        (keel::services::export::ExportKind::Contacts, keel::domain::ImportKind::Contacts),
        (keel::services::export::ExportKind::Deals, keel::domain::ImportKind::Deals),
    ] {
        let mut file = Vec::new();
        keel::services::export::write(
            &ws,
            ws.me(),
            kind.0,
            keel::services::export::ExportFormat::Csv,
            &mut file,
        )
        .expect("export");
        let report = keel::services::import::run(
            &mut ws,
            actor,
            kind.1,
            "export.csv",
            &file,
            &keel::services::import::ImportOptions::default(),
            &mut |_| {},
        )
        .expect("import");
        assert_eq!(report.counts.created, 0, "{:?}: Keel's own ids match in place", kind.1);
        assert_eq!(report.counts.updated, 0, "{:?}: nothing changed", kind.1);
    }
    assert_eq!(
        deals::count(&ws, ws.me(), &deals::DealQuery::default()).expect("count"),
        before,
        "no duplicated deal"
    );
}

#[test]
fn a_statement_csv_guards_formulas_and_its_pdf_prints_latin_1() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let pm = p.pm;
    let evil = partners::add(
        &mut p.fx.ws,
        pm,
        crate::partners::partner_input(
            "=HYPERLINK(\"http://evil\")",
            "evil.io",
            PartnerTier::Reseller,
            Some(2_500),
        ),
    )
    .expect("partner")
    .id;
    let zurich = partners::add(
        &mut p.fx.ws,
        pm,
        crate::partners::partner_input("Société Zürich €", "societe.ch", PartnerTier::Reseller, Some(2_500)),
    )
    .expect("partner")
    .id;
    let mut statements = Vec::new();
    for (partner, domain) in [(evil, "a-evil.io"), (zurich, "b-zurich.ch")] {
        let id = p.submit(partner, "Customer", domain);
        registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
        let deal =
            registrations::convert(&mut p.fx.ws, p.fx.ae, id, None).expect("convert").registration.deal_id;
        let ae = p.fx.ae;
        let won = MoveInput {
            stage: "Closed Won".into(),
            override_reason: Some("signed".into()),
            loss_reason: None,
        };
        move_deal(&mut p.fx.ws, ae, deal.expect("deal"), won).expect("won");
        pay(&mut p, deal.expect("deal"), 1_000_000, RevenueKind::Payment).expect("pay");
    }
    at(&p, 2026, 5, 2);
    for view in payouts::run(&mut p.fx.ws, pm, "2026-04").expect("run") {
        statements.push(view.statement);
    }
    let of = |partner| statements.iter().find(|s| s.partner_id == partner).expect("statement").id;
    let csv = payouts::export(&p.fx.ws, p.pm, of(evil), payouts::ExportFormat::Csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "guarded like every export: {csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    let pdf = payouts::export(&p.fx.ws, p.pm, of(zurich), payouts::ExportFormat::Pdf).expect("pdf");
    let wanted = b"Soci\xe9t\xe9 Z\xfcrich \x80"; // WinAnsi, as the fonts are declared
    assert!(pdf.windows(wanted.len()).any(|w| w == wanted), "the PDF spells the name");
    assert!(!pdf.windows(4).any(|w| w == b"Soci?"), "no question marks for Latin-1 letters");
}

#[test]
fn reading_never_creates_or_converts_a_file() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing-folder").join("w.db");
    let out = keel(&missing, &["deal", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no Keel workspace at"));
    assert!(!dir.path().join("missing-folder").exists(), "no folder was created");
    let foreign = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
            .expect("table");
    }
    let bytes = std::fs::read(&foreign).expect("bytes");
    let out = keel(&foreign, &["deal", "list"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Keel workspace"));
    assert_eq!(std::fs::read(&foreign).expect("bytes"), bytes, "the foreign file is unchanged");
    let mode: String = rusqlite::Connection::open(&foreign)
        .expect("sqlite")
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "delete", "not switched to WAL");
    let db = dir.path().join("keel.db");
    ok(&db, &["init"]);
    let out = keel(&db, &["backup", dir.path().join("nowhere").join("copy.db").to_str().expect("path")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the folder") && err.contains("nowhere") && err.contains("does not exist"), "{err}");
    assert!(!err.contains(".keel-backup-"), "no temporary file name: {err}");
}

/// Runs the CLI as a user without write permission on the file: as root (CI), through
/// `setpriv` as nobody, since root writes whatever the permissions say.
fn keel_without_write_permission(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    let uid = std::process::Command::new("id").arg("-u").output().expect("id");
    let mut command = if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_keel")]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_keel"))
    };
    command.args(args).env("KEEL_DB", db).env("KEEL_NOW", "2026-03-02T09:00:00Z").output().expect("run keel")
}

#[test]
fn a_read_only_workspace_reads_and_says_plainly_that_it_cannot_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("keel.db");
    ok(&db, &["init"]);
    ok(&db, &["team", "add", "--name", "Ana Almeida", "--role", "account-executive"]);
    ok(&db, &["account", "add", "--name", "Nova", "--domain", "nova.io"]);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("read-only file");
    // A folder others can write to, so SQLite can keep its shared-memory file beside it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("folder");
    let bytes = std::fs::read(&db).expect("bytes");
    let list = keel_without_write_permission(&db, &["account", "list"]);
    assert!(list.status.success(), "reads work: {}", String::from_utf8_lossy(&list.stderr));
    assert!(String::from_utf8_lossy(&list.stdout).contains("Nova"));
    let check = keel_without_write_permission(&db, &["check"]);
    assert!(check.status.success(), "check works: {}", String::from_utf8_lossy(&check.stderr));
    let add = keel_without_write_permission(&db, &["--as", "Ana Almeida", "account", "add", "--name", "X"]);
    let err = String::from_utf8_lossy(&add.stderr);
    assert!(err.contains("is read-only (no write permission)") && !err.contains("attempt to write"), "{err}");
    assert_eq!(std::fs::read(&db).expect("bytes"), bytes, "nothing was written");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).expect("folder");
    for side in ["keel.db-shm", "keel.db-wal"] {
        let _ = std::fs::remove_file(dir.path().join(side)); // the reader's, holding nothing
    }
    let locked = keel_without_write_permission(&db, &["account", "list"]);
    let err = String::from_utf8_lossy(&locked.stderr);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("folder");
    assert!(err.contains("it and its folder are read-only"), "the real cause, named: {err}");
}
