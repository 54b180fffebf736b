//! Revenue, the commission ledger and payout statements.

use crate::partners::Program;
use crate::CurrentUser;
use chrono::Duration;
use keel::domain::{DealId, RevenueKind, StatementStatus};
use keel::money::BasisPoints;
use keel::services::payouts::{self, ExportFormat};
use keel::services::revenue::{self, commission_on, RevenueInput};
use proptest::prelude::*;

/// Sets the clock to 09:00 UTC on a day.
pub fn at(p: &Program, y: i32, m: u32, d: u32) {
    let instant = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, y, m, d, 9, 0, 0).single();
    p.fx.clock.set(instant.expect("valid instant"));
}

pub fn pay(
    p: &mut Program,
    deal: DealId,
    amount_minor: i64,
    kind: RevenueKind,
) -> keel::Result<revenue::RevenueOutcome> {
    let today = keel::clock::Clock::today(&p.fx.clock);
    let ae = p.fx.ae;
    revenue::record(&mut p.fx.ws, ae, RevenueInput { deal_id: deal, amount_minor, occurred_on: today, kind })
}

#[test]
fn payments_accrue_rounded_half_even_and_refunds_claw_back() {
    let mut p = Program::new();
    let deal = p.won_partner_deal("kitelabs.io");
    // 25 % of 10.02 is 2.505: half-even rounds to 2.50, not 2.51.
    let paid = pay(&mut p, deal, 1_002, RevenueKind::Payment).expect("payment");
    let entry = paid.commission.expect("accrual");
    assert_eq!(entry.amount.amount_minor, 250);
    assert_eq!(
        entry.payable_on,
        entry.accrued_on + Duration::days(30),
        "payable after the 30-day holding period"
    );
    // 25 % of 10.06 is 2.515: half-even rounds to 2.52.
    let refund = pay(&mut p, deal, 1_006, RevenueKind::Refund);
    assert!(refund.is_err(), "refunding more than was collected is refused");
    let refunded = pay(&mut p, deal, 1_002, RevenueKind::Refund).expect("refund");
    assert_eq!(refunded.commission.expect("clawback").amount.amount_minor, -250, "the matching negative");
    assert_eq!(commission_on(1_006, BasisPoints(2_500)), 252);
    assert_eq!(commission_on(-1_006, BasisPoints(2_500)), -252, "rounding is symmetric");
}

#[test]
fn revenue_is_refused_on_deals_that_are_not_won() {
    let mut p = Program::new();
    let account = p.fx.account("Nova Games", "novagames.com");
    let input = p.fx.deal_input(account);
    let deal = keel::services::deals::create(&mut p.fx.ws, p.fx.ae, input).expect("deal").id;
    let before = p.fx.snapshot();
    let err = pay(&mut p, deal, 100, RevenueKind::Payment).expect_err("open deal");
    assert!(err.to_string().contains("is Lead, not won"), "{err}");
    assert_eq!(before, p.fx.snapshot());
}

#[test]
fn a_direct_deal_collects_revenue_without_commission() {
    let mut p = Program::new();
    let account = p.fx.account("Nova Games", "novagames.com");
    let input = p.fx.deal_input(account);
    let deal = keel::services::deals::create(&mut p.fx.ws, p.fx.ae, input).expect("deal").id;
    let ae = p.fx.ae;
    keel::services::moves::move_deal(
        &mut p.fx.ws,
        ae,
        deal,
        keel::services::moves::MoveInput {
            stage: "Closed Won".into(),
            override_reason: Some("x".into()),
            loss_reason: None,
        },
    )
    .expect("won");
    let outcome = pay(&mut p, deal, 500_000, RevenueKind::Payment).expect("payment");
    assert!(outcome.commission.is_none(), "no registration, no commission");
}

#[test]
fn a_statement_holds_payable_entries_and_moves_draft_approved_paid() {
    let mut p = Program::new();
    at(&p, 2026, 3, 10);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 1_000_000, RevenueKind::Payment).expect("payment on Mar 10");
    at(&p, 2026, 5, 3);
    let pm = p.pm;
    let march = payouts::run(&mut p.fx.ws, pm, "2026-03").expect("march");
    assert!(march.is_empty(), "payable only from Apr 9 (30-day hold): nothing in March");
    let april = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("april");
    assert_eq!(april.len(), 1);
    let statement = &april[0];
    assert_eq!(statement.statement.status, StatementStatus::Draft);
    assert_eq!(statement.statement.total.amount_minor, 250_000, "25 % of 10,000.00");
    assert_eq!(
        statement.lines.iter().map(|l| l.amount_minor).sum::<i64>(),
        statement.statement.total.amount_minor
    );
    let id = statement.statement.id;
    let ae = p.fx.ae;
    p.fx.refuses("only a partner manager or a sales leader may approve payout statements", |ws| {
        payouts::approve(ws, ae, id)
    });
    p.fx.refuses("statement 1 is draft; only an approved statement can be paid", |ws| {
        payouts::mark_paid(ws, pm, id, "W-1", None)
    });
    payouts::approve(&mut p.fx.ws, pm, id).expect("approve");
    p.fx.refuses("reference: is required", |ws| payouts::mark_paid(ws, pm, id, " ", None));
    let paid = payouts::mark_paid(&mut p.fx.ws, pm, id, "WIRE-0042", None).expect("paid");
    assert_eq!(paid.statement.status, StatementStatus::Paid);
    assert_eq!(paid.statement.paid_reference.as_deref(), Some("WIRE-0042"));
    let csv = String::from_utf8(payouts::export(&p.fx.ws, p.pm, id, ExportFormat::Csv).expect("csv"))
        .expect("utf-8");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "header, one line, total: {csv}");
    assert_eq!(rows[2], "1,Acme Resellers,2026-04,paid,,total,,,,,,250000,\"2,500.00\",USD");
    assert!(rows[1].ends_with(",1000000,2500,250000,\"2,500.00\",USD"), "{}", rows[1]);
    let pdf = payouts::export(&p.fx.ws, p.pm, id, ExportFormat::Pdf).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    let before = p.fx.snapshot();
    payouts::run(&mut p.fx.ws, pm, "2026-04").expect("re-run");
    assert_eq!(
        before.replace("\n", ""),
        p.fx.snapshot().replace("\n", ""),
        "re-running a period leaves approved and paid statements alone"
    );
}

#[test]
fn small_and_negative_balances_carry_over() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 10_000, RevenueKind::Payment).expect("100.00 pays 25.00 commission");
    at(&p, 2026, 4, 10);
    let pm = p.pm;
    let march = payouts::run(&mut p.fx.ws, pm, "2026-03").expect("march");
    assert!(march.is_empty());
    pay(&mut p, deal, 12_000, RevenueKind::Payment).expect("120.00 pays 30.00 on Apr 10");
    at(&p, 2026, 5, 2);
    let april = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("april");
    assert_eq!(april[0].statement.status, StatementStatus::Carried, "25.00 is under the 50.00 minimum");
    let carried_id = april[0].statement.id;
    p.fx.refuses("statement 1 is carried; only a draft can be approved", |ws| {
        payouts::approve(ws, pm, carried_id)
    });
    at(&p, 2026, 6, 2);
    let may = payouts::run(&mut p.fx.ws, pm, "2026-05").expect("may");
    let statement = &may[0];
    assert_eq!(statement.statement.status, StatementStatus::Draft);
    assert_eq!(statement.statement.total.amount_minor, 5_500, "25.00 carried + 30.00 new");
    assert!(statement
        .lines
        .iter()
        .any(|l| l.carried_statement_id == Some(carried_id) && l.amount_minor == 2_500));
    p.fx.refuses("payout periods run in order: 2026-05 already has statements", |ws| {
        payouts::run(ws, pm, "2026-04")
    });
    p.fx.refuses("period: 2026-06 has not ended yet", |ws| payouts::run(ws, pm, "2026-06"));
    p.fx.refuses("period: '2026-4' is not a month", |ws| payouts::run(ws, pm, "2026-4"));
}

#[test]
fn the_owner_of_a_deal_on_the_statement_may_not_approve_it() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let id = p.submit(p.reseller, "Prism Play", "prismplay.com");
    let pm = p.pm;
    let leader = p.fx.leader;
    keel::services::registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    let deal = keel::services::registrations::convert(&mut p.fx.ws, leader, id, Some(leader.member()))
        .expect("convert")
        .registration
        .deal_id
        .expect("deal");
    keel::services::moves::move_deal(
        &mut p.fx.ws,
        leader,
        deal,
        keel::services::moves::MoveInput {
            stage: "Closed Won".into(),
            override_reason: Some("x".into()),
            loss_reason: None,
        },
    )
    .expect("won");
    pay(&mut p, deal, 1_000_000, RevenueKind::Payment).expect("payment");
    at(&p, 2026, 5, 1);
    let statement = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("run")[0].statement.id;
    p.fx.refuses("Vic Okafor owns a deal on statement 1 and may not approve it", |ws| {
        payouts::approve(ws, leader, statement)
    });
    payouts::approve(&mut p.fx.ws, pm, statement).expect("the partner manager may");
}

#[test]
fn approved_statements_and_the_ledger_cannot_be_changed_in_sql() {
    let mut p = Program::new();
    at(&p, 2026, 3, 5);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 1_000_000, RevenueKind::Payment).expect("payment");
    at(&p, 2026, 5, 1);
    let pm = p.pm;
    let id = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("run")[0].statement.id;
    payouts::approve(&mut p.fx.ws, pm, id).expect("approve");
    let conn = rusqlite::Connection::open(&p.fx.path).expect("open");
    for sql in [
        "UPDATE payout_statements SET total_minor = 1",
        "UPDATE payout_statements SET status = 'draft'",
        "DELETE FROM payout_statements",
        "UPDATE statement_lines SET amount_minor = 1",
        "DELETE FROM statement_lines",
        "UPDATE commission_ledger SET amount_minor = 1",
        "DELETE FROM commission_ledger",
        "UPDATE revenue_events SET amount_minor = 1",
        "UPDATE commission_plans SET rate_bp = 1",
    ] {
        assert!(conn.execute(sql, []).is_err(), "{sql} must fail");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Commission on any sequence of payments and refunds equals the locked rate on the
    /// net collected, rounded half-even once, and a statement's total equals its lines.
    #[test]
    fn ledger_and_statement_totals_add_up(
        rate in 2_000i64..=3_000,
        events in proptest::collection::vec((1i64..5_000_000, any::<bool>()), 1..12),
    ) {
        let mut p = Program::new();
        let pm = p.pm;
        let reseller = p.reseller;
        keel::services::partners::set_rate(&mut p.fx.ws, pm, reseller, rate, keel::clock::Clock::today(&p.fx.clock)).ok();
        let deal = p.won_partner_deal("kitelabs.io");
        let locked = keel::services::registrations::get(&p.fx.ws, p.fx.ws.me(), keel::domain::RegistrationId(1)).expect("reg").registration.rate.expect("rate");
        let mut collected = 0i64;
        let mut expected = 0i64;
        for (amount, is_refund) in events {
            let refund = is_refund && amount <= collected;
            let kind = if refund { RevenueKind::Refund } else { RevenueKind::Payment };
            pay(&mut p, deal, amount, kind).expect("record");
            collected += if refund { -amount } else { amount };
            expected = commission_on(collected, locked);
        }
        let ledger = keel::services::revenue::for_deal(&p.fx.ws, p.fx.ws.me(), deal).expect("ledger").ledger;
        prop_assert_eq!(ledger.iter().map(|e| e.amount.amount_minor).sum::<i64>(), expected);
        p.fx.clock.advance(Duration::days(70));
        let today = keel::clock::Clock::today(&p.fx.clock);
        let last_month = today.with_day(1).expect("first").pred_opt().expect("prev");
        let period = format!("{}", last_month.format("%Y-%m"));
        for view in payouts::run(&mut p.fx.ws, pm, &period).expect("run") {
            prop_assert_eq!(view.lines.iter().map(|l| l.amount_minor).sum::<i64>(), view.statement.total.amount_minor);
            prop_assert_eq!(view.statement.total.amount_minor, expected);
        }
    }
}

use chrono::Datelike;

#[test]
fn a_correction_is_a_reversal_entry_netted_in_the_next_statement() {
    let mut p = Program::new();
    at(&p, 2026, 3, 10);
    let deal = p.won_partner_deal("kitelabs.io");
    let entry =
        pay(&mut p, deal, 1_000_000, RevenueKind::Payment).expect("payment").commission.expect("accrual");
    let (pm, ae) = (p.pm, p.fx.ae);
    p.fx.refuses("only a partner manager or a sales leader may reverse ledger entries", |ws| {
        revenue::reverse(ws, ae, entry.id, "typo")
    });
    let reversal = revenue::reverse(&mut p.fx.ws, pm, entry.id, "Payment was booked on the wrong deal")
        .expect("reverse");
    assert_eq!(reversal.amount.amount_minor, -250_000);
    assert_eq!(reversal.reverses_id, Some(entry.id));
    p.fx.refuses("was already reversed by entry 2", |ws| revenue::reverse(ws, pm, entry.id, "again"));
    p.fx.refuses("is itself a reversal", |ws| revenue::reverse(ws, pm, reversal.id, "undo"));
    at(&p, 2026, 5, 1);
    let statements = payouts::run(&mut p.fx.ws, pm, "2026-04").expect("run");
    assert_eq!(statements[0].statement.total.amount_minor, 0, "the entry and its reversal net to zero");
    assert_eq!(statements[0].statement.status, StatementStatus::Carried);
}

#[test]
fn the_partner_desk_and_page_show_what_waits_and_what_was_sourced() {
    let mut p = Program::new();
    at(&p, 2026, 3, 10);
    let deal = p.won_partner_deal("kitelabs.io");
    pay(&mut p, deal, 1_000_000, RevenueKind::Payment).expect("payment");
    // One registration waiting and conflicted (an open deal on its domain), one approved.
    let account = p.fx.account("Nova Games", "novagames.com");
    let input = p.fx.deal_input(account);
    keel::services::deals::create(&mut p.fx.ws, p.fx.ae, input).expect("open deal");
    let waiting = p.submit(p.reseller, "Nova Games", "novagames.com");
    let approved = p.submit(p.reseller, "Orbit", "orbit.dev");
    let pm = p.pm;
    keel::services::registrations::approve(&mut p.fx.ws, pm, approved, None).expect("approve");

    at(&p, 2026, 5, 3);
    payouts::run(&mut p.fx.ws, pm, "2026-04").expect("april");
    let desk = keel::services::partners::desk(&p.fx.ws, p.pm).expect("desk");
    let ids = |views: &[keel::services::registrations::RegistrationView]| {
        views.iter().map(|v| v.registration.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(&desk.to_review), vec![waiting]);
    assert!(desk.to_review[0].review_overdue, "submitted March 10, reviewed by May 3: overdue");
    assert_eq!(ids(&desk.conflicted), vec![waiting]);
    assert!(desk.expiring.is_empty(), "Orbit is protected until June 8 (90 days), beyond 14 days");
    assert_eq!(desk.statements_to_approve.len(), 1);
    at(&p, 2026, 5, 26);
    let desk = keel::services::partners::desk(&p.fx.ws, p.pm).expect("desk");
    assert_eq!(ids(&desk.expiring), vec![approved], "protection ends within 14 days");

    let view = keel::services::partners::view(&p.fx.ws, p.pm, p.reseller).expect("partner page");
    assert_eq!(view.deals.iter().map(|d| d.id).collect::<Vec<_>>(), vec![deal]);
    assert_eq!(view.sourced.len(), 1);
    assert_eq!(view.sourced[0].amount_minor, 8_000_000, "the won deal's amount");
    assert_eq!(view.commission[0].accrued_minor, 250_000);
    assert_eq!(view.commission[0].owed_minor, 250_000, "drafted, not paid");
}
