//! Activities, the next activity of a deal, due lists and stalled deals.

use crate::CurrentUser;
use crate::Fixture;
use chrono::{Duration, NaiveDate};
use keel::domain::{ActivityKind, DealId};
use keel::services::activities::{self, ActivityInput, ActivityQuery};
use keel::services::deals::{self, DealQuery};

fn log(
    fx: &mut Fixture,
    deal: DealId,
    kind: ActivityKind,
    subject: &str,
    due: Option<NaiveDate>,
) -> keel::domain::ActivityId {
    activities::log(
        &mut fx.ws,
        fx.ae,
        ActivityInput {
            kind,
            subject: subject.into(),
            notes: None,
            deal_id: Some(deal),
            account_id: None,
            owner_id: None,
            due_date: due,
        },
    )
    .expect("activity")
    .id
}

#[test]
fn the_next_activity_is_the_earliest_open_one() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let today = keel::clock::Clock::today(&fx.clock);
    log(&mut fx, deal, ActivityKind::Call, "Discovery call", None);
    let later = log(&mut fx, deal, ActivityKind::Task, "Send proposal", Some(today + Duration::days(5)));
    let sooner = log(&mut fx, deal, ActivityKind::Meeting, "Demo", Some(today + Duration::days(2)));
    let view = deals::view(&fx.ws, fx.ws.me(), deal).expect("view");
    assert_eq!(view.next_activity.as_ref().map(|a| a.id), Some(sooner));
    activities::complete(&mut fx.ws, fx.ae, sooner).expect("done");
    let view = deals::view(&fx.ws, fx.ws.me(), deal).expect("view");
    assert_eq!(view.next_activity.map(|a| a.id), Some(later));
    let ae = fx.ae;
    fx.refuses("is already done", |ws| activities::complete(ws, ae, sooner));
}

#[test]
fn due_and_overdue_lists_only_open_items_up_to_today() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let today = keel::clock::Clock::today(&fx.clock);
    let overdue = log(&mut fx, deal, ActivityKind::Task, "Overdue", Some(today - Duration::days(3)));
    let due = log(&mut fx, deal, ActivityKind::Task, "Due today", Some(today));
    log(&mut fx, deal, ActivityKind::Task, "Next week", Some(today + Duration::days(7)));
    log(&mut fx, deal, ActivityKind::Note, "Logged", None);
    let list = activities::list(
        &fx.ws,
        fx.ws.me(),
        &ActivityQuery { owner_id: Some(fx.ae.member()), due_only: true, ..Default::default() },
    )
    .expect("due");
    let ids: Vec<_> = list.iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![overdue, due]);
}

#[test]
fn bad_activities_are_refused() {
    let mut fx = Fixture::seeded();
    let ae = fx.ae;
    fx.refuses("deal: an activity needs a deal or an account", |ws| {
        activities::log(
            ws,
            ae,
            ActivityInput {
                kind: ActivityKind::Call,
                subject: "x".into(),
                notes: None,
                deal_id: None,
                account_id: None,
                owner_id: None,
                due_date: None,
            },
        )
    });
    let account = fx.account("Nova Games", "novagames.com");
    fx.refuses("due_date: is required for a task", |ws| {
        activities::log(
            ws,
            ae,
            ActivityInput {
                kind: ActivityKind::Task,
                subject: "x".into(),
                notes: None,
                deal_id: None,
                account_id: Some(account),
                owner_id: None,
                due_date: None,
            },
        )
    });
    fx.refuses("deal 9 not found", |ws| {
        activities::log(
            ws,
            ae,
            ActivityInput {
                kind: ActivityKind::Call,
                subject: "x".into(),
                notes: None,
                deal_id: Some(DealId(9)),
                account_id: None,
                owner_id: None,
                due_date: None,
            },
        )
    });
}

#[test]
fn a_deal_with_no_activity_past_its_stage_limit_is_stalled() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let stalled = |fx: &Fixture| {
        deals::list(&fx.ws, fx.ws.me(), &DealQuery { stalled_only: true, ..Default::default() })
            .expect("list")
            .len()
    };
    fx.clock.advance(Duration::days(14));
    assert_eq!(stalled(&fx), 0, "Lead allows 14 days");
    fx.clock.advance(Duration::days(1));
    assert_eq!(stalled(&fx), 1, "day 15 without activity: stalled");
    assert!(deals::get(&fx.ws, fx.ws.me(), deal).expect("deal").stalled);
    log(&mut fx, deal, ActivityKind::Call, "Check-in", None);
    assert_eq!(stalled(&fx), 0, "a logged call resets the clock");
    let tomorrow = keel::clock::Clock::today(&fx.clock) + Duration::days(1);
    log(&mut fx, deal, ActivityKind::Task, "Planned", Some(tomorrow));
    fx.clock.advance(Duration::days(15));
    assert_eq!(stalled(&fx), 1, "planned work is not contact");
}

#[test]
fn the_stall_limit_is_configurable_per_stage() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let leader = fx.leader;
    keel::services::pipeline::update_stage(
        &mut fx.ws,
        leader,
        "lead",
        keel::services::pipeline::StageChanges {
            stall_after_days: Some(Some(3)),
            default_probability_bp: Some(800),
        },
    )
    .expect("tune Lead");
    fx.clock.advance(Duration::days(4));
    let now = deals::get(&fx.ws, fx.ws.me(), deal).expect("deal");
    assert!(now.stalled, "Lead now stalls after 3 quiet days");
    assert_eq!(now.probability.0, 800, "deals without an override follow the stage's new default");
    fx.refuses("stall_days: Closed Won is a closed stage", |ws| {
        keel::services::pipeline::update_stage(
            ws,
            leader,
            "Closed Won",
            keel::services::pipeline::StageChanges {
                stall_after_days: Some(Some(5)),
                default_probability_bp: None,
            },
        )
    });
    fx.refuses("stall_days: must be between 1 and 365 days", |ws| {
        keel::services::pipeline::update_stage(
            ws,
            leader,
            "Lead",
            keel::services::pipeline::StageChanges {
                stall_after_days: Some(Some(0)),
                default_probability_bp: None,
            },
        )
    });
}

#[test]
fn activities_can_be_rescheduled_and_reassigned() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    let today = keel::clock::Clock::today(&fx.clock);
    let task = log(&mut fx, deal, ActivityKind::Task, "Send proposal", Some(today));
    let ae = fx.ae;
    let leader = fx.leader;
    let moved = activities::update(
        &mut fx.ws,
        ae,
        task,
        activities::ActivityChanges {
            subject: Some("Send revised proposal".into()),
            owner_id: Some(leader.member()),
            due_date: Some(Some(today + Duration::days(3))),
            ..Default::default()
        },
    )
    .expect("update");
    assert_eq!(moved.subject, "Send revised proposal");
    assert_eq!(moved.owner_id, leader.member());
    assert_eq!(moved.due_date, Some(today + Duration::days(3)));
    fx.refuses("due_date: is required for a task", |ws| {
        activities::update(
            ws,
            ae,
            task,
            activities::ActivityChanges { due_date: Some(None), ..Default::default() },
        )
    });
    fx.refuses("subject: is required", |ws| {
        activities::update(
            ws,
            ae,
            task,
            activities::ActivityChanges { subject: Some("  ".into()), ..Default::default() },
        )
    });
}
