//! Stage moves: exit and entry criteria, overrides, losing, reopening, winning.

use crate::CurrentUser;
use crate::Fixture;
use chrono::{Duration, NaiveDate};
use keel::domain::{BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealId, PocOutcome};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::qualification::{self, BantChange, PocChanges};
use keel::services::{deals, onboarding};
use keel::KeelError;

fn to(stage: &str) -> MoveInput {
    MoveInput { stage: stage.into(), ..Default::default() }
}

fn confirm_bant(fx: &mut Fixture, deal: DealId) {
    let changes = BantItem::ALL
        .iter()
        .map(|&item| BantChange { item, status: Some(BantStatus::Confirmed), note: None })
        .collect();
    qualification::set_bant(&mut fx.ws, fx.ae, deal, changes).expect("bant");
}

fn define_poc(fx: &mut Fixture, deal: DealId, days: i64) -> keel::Result<()> {
    let start = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
    qualification::set_poc(
        &mut fx.ws,
        fx.ae,
        deal,
        PocChanges {
            scope: Some("EU voice, 2 regions".into()),
            success_criteria: Some("p95 join < 1 s".into()),
            start_date: Some(start),
            end_date: Some(start + Duration::days(days)),
            outcome: None,
        },
    )
    .map(|_| ())
}

fn new_deal(fx: &mut Fixture) -> DealId {
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    deals::create(&mut fx.ws, fx.ae, input).expect("deal").id
}

#[test]
fn leaving_qualification_needs_every_bant_item_confirmed() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    move_deal(&mut fx.ws, ae, deal, to("Qualification")).expect("Lead → Qualification owes nothing");
    qualification::set_bant(
        &mut fx.ws,
        ae,
        deal,
        vec![BantChange {
            item: BantItem::Budget,
            status: Some(BantStatus::Confirmed),
            note: Some("FY27".into()),
        }],
    )
    .expect("budget");
    let err = fx.refuses("cannot move deal 1 to Discovery & Demo", |ws| {
        move_deal(ws, ae, deal, to("Discovery & Demo"))
    });
    let KeelError::CriteriaUnmet { missing, .. } = &err else {
        panic!("expected criteria_unmet, got {err:?}")
    };
    assert_eq!(
        missing,
        &vec![
            "BANT authority is unknown, needs confirmed".to_string(),
            "BANT need is unknown, needs confirmed".to_string(),
            "BANT timeline is unknown, needs confirmed".to_string(),
        ],
        "every missing item is listed, and only those"
    );
    assert_eq!(err.code(), "criteria_unmet");
    confirm_bant(&mut fx, deal);
    let moved = move_deal(&mut fx.ws, ae, deal, to("Discovery & Demo")).expect("now allowed");
    assert_eq!(moved.deal.stage_name, "Discovery & Demo");
    assert!(moved.overridden.is_empty());
}

#[test]
fn skipping_ahead_owes_the_criteria_of_every_stage_passed() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    let err = fx.refuses("cannot move deal 1 to Proof of Concept", |ws| {
        move_deal(ws, ae, deal, to("Proof of Concept"))
    });
    let text = err.to_string();
    assert!(text.contains("BANT budget is unknown"), "{text}");
    assert!(text.contains("proof of concept scope is not set"), "{text}");
}

#[test]
fn entering_proof_of_concept_needs_scope_criteria_and_a_period_within_bounds() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    confirm_bant(&mut fx, deal);
    move_deal(&mut fx.ws, ae, deal, to("Discovery & Demo")).expect("discovery");
    fx.refuses("proof of concept start and end dates are not set", |ws| {
        move_deal(ws, ae, deal, to("Proof of Concept"))
    });
    let err = define_poc(&mut fx, deal, 75).expect_err("75 days is outside 30–60");
    assert!(
        err.to_string().contains("end_date: the evaluation period is 75 days; it must be 30–60 days"),
        "{err}"
    );
    define_poc(&mut fx, deal, 45).expect("45 days");
    move_deal(&mut fx.ws, ae, deal, to("Proof of Concept")).expect("poc defined");
}

#[test]
fn the_evaluation_period_bounds_are_configurable() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let leader = fx.leader;
    fx.refuses("poc_max_days: must be at least poc_min_days", |ws| ws.set_poc_bounds(leader, 30, 20));
    fx.ws.set_poc_bounds(leader, 14, 90).expect("bounds");
    define_poc(&mut fx, deal, 80).expect("80 days is within 14–90");
}

#[test]
fn closed_won_needs_the_negotiation_checklist_done() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    confirm_bant(&mut fx, deal);
    define_poc(&mut fx, deal, 30).expect("poc");
    move_deal(&mut fx.ws, ae, deal, to("Negotiation")).expect("through to negotiation");
    for item in ChecklistItem::ALL.iter().take(5) {
        qualification::set_checklist_item(&mut fx.ws, ae, deal, *item, ChecklistStatus::Done, None)
            .expect("item");
    }
    let err = fx.refuses("negotiation checklist: procurement is not-started", |ws| {
        move_deal(ws, ae, deal, to("Closed Won"))
    });
    let KeelError::CriteriaUnmet { missing, .. } = err else { panic!("criteria") };
    assert_eq!(missing.len(), 1);
    qualification::set_checklist_item(
        &mut fx.ws,
        ae,
        deal,
        ChecklistItem::Procurement,
        ChecklistStatus::NotNeeded,
        None,
    )
    .expect("not needed counts as done");
    let won = move_deal(&mut fx.ws, ae, deal, to("Closed Won")).expect("won");
    assert!(won.deal.is_won);
    assert_eq!(won.deal.closed_on, Some(fx.clock.now_date()));
}

#[test]
fn an_override_moves_despite_missing_criteria_and_is_recorded() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    let outcome = move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput {
            stage: "Discovery & Demo".into(),
            override_reason: Some("Exec sponsor fast-track".into()),
            loss_reason: None,
        },
    )
    .expect("override");
    assert_eq!(outcome.overridden.len(), 4, "the four unconfirmed BANT items were overridden");
    let history = deals::view(&fx.ws, fx.ws.me(), deal).expect("view").history;
    let last = history.last().expect("entry");
    assert_eq!(last.to_stage, "Discovery & Demo");
    assert_eq!(last.override_reason.as_deref(), Some("Exec sponsor fast-track"));
    let audit = fx.ws.audit_log(Some("deal"), Some(deal.0), Some(1)).expect("audit");
    assert_eq!(audit[0].detail["override_reason"], "Exec sponsor fast-track");
    fx.refuses("override: contains a control character", |ws| {
        move_deal(
            ws,
            ae,
            deal,
            MoveInput {
                stage: "Proof of Concept".into(),
                override_reason: Some("x\u{0}".into()),
                loss_reason: None,
            },
        )
    });
}

#[test]
fn losing_needs_a_reason_and_a_lost_deal_can_be_reopened() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    fx.refuses("loss_reason: is required to move a deal to Closed Lost", |ws| {
        move_deal(ws, ae, deal, to("Closed Lost"))
    });
    fx.refuses("loss_reason: applies only when a deal is lost", |ws| {
        move_deal(
            ws,
            ae,
            deal,
            MoveInput { stage: "Qualification".into(), override_reason: None, loss_reason: Some("x".into()) },
        )
    });
    let lost = move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput {
            stage: "Closed Lost".into(),
            override_reason: None,
            loss_reason: Some("Built in-house".into()),
        },
    )
    .expect("lost");
    assert_eq!(lost.deal.loss_reason.as_deref(), Some("Built in-house"));
    assert!(lost.deal.is_closed && !lost.deal.is_won);
    fx.clock.advance(Duration::days(20));
    let reopened = move_deal(&mut fx.ws, ae, deal, to("Qualification")).expect("reopen");
    assert_eq!(reopened.deal.closed_on, None, "reopening clears the close date");
    assert_eq!(reopened.deal.loss_reason, None);
    let history = deals::view(&fx.ws, fx.ws.me(), deal).expect("view").history;
    let stages: Vec<&str> = history.iter().map(|h| h.to_stage.as_str()).collect();
    assert_eq!(stages, ["Lead", "Closed Lost", "Qualification"], "history keeps the loss");
    fx.refuses("is already in Qualification", |ws| move_deal(ws, ae, deal, to("Qualification")));
}

#[test]
fn a_reopened_deal_going_straight_to_won_still_needs_the_checklist() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput {
            stage: "Closed Lost".into(),
            loss_reason: Some("No budget".into()),
            ..Default::default()
        },
    )
    .expect("lost");
    fx.refuses("negotiation checklist: pricing proposal is not-started", |ws| {
        move_deal(ws, ae, deal, to("Closed Won"))
    });
}

#[test]
fn winning_starts_onboarding_and_a_first_qbr_once() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    let ae = fx.ae;
    let won = move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput {
            stage: "Closed Won".into(),
            override_reason: Some("Signed at the conference".into()),
            loss_reason: None,
        },
    )
    .expect("won");
    let account = won.deal.account_id.expect("an account");
    let plans = onboarding::plans(&fx.ws, fx.ws.me(), account).expect("plans");
    assert_eq!(plans.len(), 1);
    let steps: Vec<String> = plans[0].steps.iter().map(|s| s.step.to_string()).collect();
    assert_eq!(steps, ["kick-off", "technical-integration", "training", "go-live"]);
    assert!(plans[0].steps.iter().all(|s| s.due_date > fx.clock.now_date()));
    let qbrs = onboarding::qbrs(&fx.ws, fx.ws.me(), account).expect("qbrs");
    assert_eq!(qbrs.len(), 1);
    move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput {
            stage: "Negotiation".into(),
            override_reason: Some("reopened".into()),
            loss_reason: None,
        },
    )
    .expect("reopen: a reopened deal owes every criterion up to its stage, overridden here");
    move_deal(
        &mut fx.ws,
        ae,
        deal,
        MoveInput { stage: "Closed Won".into(), override_reason: Some("again".into()), loss_reason: None },
    )
    .expect("won again");
    assert_eq!(
        onboarding::plans(&fx.ws, fx.ws.me(), account).expect("plans").len(),
        1,
        "one plan per won deal"
    );
    let plan = plans[0].id;
    onboarding::complete_step(&mut fx.ws, ae, plan, keel::domain::OnboardingStep::KickOff, None)
        .expect("kick-off done");
    let plans = onboarding::plans(&fx.ws, fx.ws.me(), account).expect("plans");
    assert_eq!(plans[0].steps[0].done_on, Some(fx.clock.now_date()));
}

#[test]
fn poc_outcome_and_dates_are_kept() {
    let mut fx = Fixture::seeded();
    let deal = new_deal(&mut fx);
    define_poc(&mut fx, deal, 60).expect("poc");
    let poc = qualification::set_poc(
        &mut fx.ws,
        fx.ae,
        deal,
        PocChanges { outcome: Some(PocOutcome::Passed), ..Default::default() },
    )
    .expect("outcome");
    assert_eq!(poc.outcome, Some(PocOutcome::Passed));
    assert_eq!(poc.scope.as_deref(), Some("EU voice, 2 regions"), "unchanged fields stay");
}

trait Today {
    fn now_date(&self) -> NaiveDate;
}

impl Today for keel::clock::FixedClock {
    fn now_date(&self) -> NaiveDate {
        keel::clock::Clock::today(self)
    }
}
