//! The demo workspace is realistic: consistent with every rule a user could check.

use crate::CurrentUser;
use keel::clock::FixedClock;
use keel::domain::BantStatus;
use keel::services::deals::{self, DealQuery};
use keel::services::demo::{generate, DemoOptions};
use keel::services::{pipeline, Workspace};
use keel::store::deals::DealStatus;
use std::sync::Arc;

#[test]
fn demo_deals_obey_the_pipeline_rules() {
    let mut ws = Workspace::open_in_memory(Arc::new(FixedClock::at(crate::start()))).expect("ws");
    let summary = generate(&mut ws, DemoOptions { deals: 1_500, seed: 3 }).expect("demo");
    assert_eq!(summary.deals, 1_500);
    assert!(ws.integrity_problems().expect("check").is_empty());
    let stages = pipeline::stages(&ws).expect("stages");
    let mut after = None;
    let mut seen = 0;
    let mut per_stage = std::collections::HashMap::new();
    loop {
        let page = deals::list(&ws, ws.me(), &DealQuery { after, limit: Some(500), ..Default::default() })
            .expect("page");
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for deal in &page {
            seen += 1;
            *per_stage.entry(deal.stage_name.clone()).or_insert(0) += 1;
            let view = deals::view(&ws, ws.me(), deal.id).expect("view");
            assert_eq!(
                view.history.last().map(|h| h.to_stage.as_str()),
                Some(deal.stage_name.as_str()),
                "history ends where the deal is"
            );
            assert!(deal.expected_close_date >= Some(deal.created_at.date_naive()));
            let position = stages.iter().find(|s| s.id == deal.stage_id).expect("stage").position;
            let lost = deal.is_closed && !deal.is_won;
            let past_qualification = position >= 3 && !lost;
            if past_qualification {
                assert!(
                    view.bant.iter().all(|b| b.status == BantStatus::Confirmed),
                    "deal {} left Qualification",
                    deal.id
                );
            }
            if deal.is_won {
                assert!(
                    view.checklist.iter().all(|c| c.status.is_complete()),
                    "won deal {} has its checklist",
                    deal.id
                );
                assert!(view.proof_of_concept.is_some());
                assert!(deal.closed_on.is_some());
            }
            if deal.is_closed && !deal.is_won {
                assert!(deal.loss_reason.is_some(), "lost deal {} has a reason", deal.id);
            }
        }
    }
    assert_eq!(seen, 1_500);
    for stage in &stages {
        assert!(per_stage.get(&stage.name).copied().unwrap_or(0) > 0, "the demo has deals in {}", stage.name);
    }
    let won = deals::list(
        &ws,
        ws.me(),
        &DealQuery { status: DealStatus::Won, limit: Some(1), ..Default::default() },
    )
    .expect("won");
    let plans = keel::services::onboarding::plans(&ws, ws.me(), won[0].account_id.expect("an account"))
        .expect("plans");
    assert!(!plans.is_empty(), "won deals come with an onboarding plan");
}

#[test]
fn the_demo_partner_program_adds_up() {
    let mut ws = Workspace::open_in_memory(Arc::new(FixedClock::at(crate::start()))).expect("ws");
    generate(&mut ws, DemoOptions { deals: 2_000, seed: 5 }).expect("demo");
    assert!(ws.integrity_problems().expect("check").is_empty(), "foreign keys hold after the demo");
    let registrations = keel::services::registrations::list(&ws, ws.me(), None).expect("registrations");
    for status in keel::domain::RegistrationStatus::ALL {
        assert!(
            registrations.iter().any(|r| r.registration.status == *status),
            "the demo has a {status} registration"
        );
    }
    assert!(registrations.iter().any(|r| r.review_overdue), "the review queue has an overdue item");
    let leader = keel::services::team::list(&ws)
        .expect("team")
        .into_iter()
        .find(|m| m.role == keel::domain::Role::SalesLeader)
        .expect("the demo has a sales leader")
        .id;
    let leader = ws.authenticate(leader).expect("the leader acts");
    let statements = keel::services::payouts::list(&ws, leader, None).expect("statements");
    assert!(statements.iter().any(|s| s.status == keel::domain::StatementStatus::Paid));
    for statement in &statements {
        let view = keel::services::payouts::show(&ws, leader, statement.id).expect("statement");
        let lines: i64 = view.lines.iter().map(|l| l.amount_minor).sum();
        assert_eq!(lines, statement.total.amount_minor, "statement {} adds up", statement.id);
    }
    let converted =
        registrations.iter().filter(|r| r.registration.status == keel::domain::RegistrationStatus::Converted);
    for r in converted {
        let deal = r.registration.deal_id.expect("a converted registration has a deal");
        let rate = r.registration.rate.expect("locked rate");
        for entry in keel::services::revenue::for_deal(&ws, ws.me(), deal).expect("revenue").ledger {
            assert_eq!(
                entry.amount.amount_minor,
                keel::services::revenue::commission_on(entry.base_minor, rate)
            );
        }
    }
}
