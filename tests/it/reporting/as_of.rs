//! The board as it stood at the end of a past day, from the deals' append-only histories:
//! today's is today's board exactly, and a deal shows with the stage, amount and owner it
//! had on each day of its life.

use crate::Fixture;
use chrono::{Duration, NaiveDate};
use keel::clock::{Clock, FixedClock};
use keel::services::demo::{generate, DemoOptions};
use keel::services::metrics::{self, BoardQuery};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::{deals, team, Workspace};
use std::sync::Arc;

#[test]
fn the_board_as_of_today_is_todays_board_for_every_filter() {
    for seed in [2, 13] {
        let dir = tempfile::tempdir().expect("dir");
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 9, 0, 0)
            .single()
            .expect("instant");
        let mut ws =
            Workspace::open(&dir.path().join("keel.db"), Arc::new(FixedClock::at(at))).expect("open");
        generate(&mut ws, DemoOptions { deals: 400, seed }).expect("demo");
        let today = ws.today();
        let owner = team::list(&ws)
            .expect("team")
            .into_iter()
            .find(|m| m.role == keel::domain::Role::AccountExecutive)
            .expect("ae")
            .id;
        let queries = [
            BoardQuery::default(),
            BoardQuery { owner: Some(owner), ..BoardQuery::default() },
            BoardQuery { segment: Some(keel::domain::Segment::Enterprise), ..BoardQuery::default() },
            BoardQuery {
                close_from: NaiveDate::from_ymd_opt(2026, 10, 1),
                close_to: NaiveDate::from_ymd_opt(2027, 3, 31),
                ..BoardQuery::default()
            },
        ];
        for query in queries {
            assert_eq!(
                metrics::board_as_of(&ws, &query, today).expect("as of"),
                metrics::board(&ws, &query).expect("now"),
                "seed {seed}: {query:?}"
            );
        }
    }
}

#[test]
fn a_deal_shows_as_it_stood_on_each_day_of_its_life() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let day0 = fx.clock.today() - Duration::days(1);
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let amount = deal.amount.expect("amount").amount_minor;
    let day1 = fx.clock.today();
    let ae = fx.ae;
    fx.clock.advance(Duration::days(2));
    deals::update(
        &mut fx.ws,
        ae,
        deal.id,
        deals::DealChanges { amount_minor: Some(amount * 2), ..Default::default() },
    )
    .expect("re-amount");
    move_deal(
        &mut fx.ws,
        ae,
        deal.id,
        MoveInput { stage: "Qualification".into(), override_reason: None, loss_reason: None },
    )
    .expect("move");
    let day3 = fx.clock.today();
    fx.clock.advance(Duration::days(2));
    move_deal(
        &mut fx.ws,
        ae,
        deal.id,
        MoveInput { stage: "Closed Lost".into(), override_reason: None, loss_reason: Some("budget".into()) },
    )
    .expect("lost");
    let day5 = fx.clock.today();
    let only = BoardQuery { owner: Some(ae), ..BoardQuery::default() };
    let stage_and_value = |day: NaiveDate| {
        let board = metrics::board_as_of(&fx.ws, &only, day).expect("board");
        let column = board.columns.iter().find(|c| c.count > 0).map(|c| (c.stage.clone(), c.value_minor));
        (board.open_count, column)
    };
    assert_eq!(stage_and_value(day0), (0, None), "before it was created");
    assert_eq!(stage_and_value(day1), (1, Some(("Lead".to_string(), amount))));
    assert_eq!(stage_and_value(day1 + Duration::days(1)), (1, Some(("Lead".to_string(), amount))));
    assert_eq!(stage_and_value(day3), (1, Some(("Qualification".to_string(), amount * 2))));
    assert_eq!(stage_and_value(day5), (0, None), "lost: off the board");
    let future = metrics::board_as_of(&fx.ws, &only, day5 + Duration::days(1)).expect_err("tomorrow");
    assert_eq!(future.field(), Some("as_of"));
}
