//! The board and the report as they stood at the end of a past day, from the deals'
//! append-only histories: today's are today's exactly, a deal shows with the stage,
//! amount and owner it had on each day of its life, and the report of any past day is
//! the report that day's own `keel metrics` gave.

use super::demo;
use crate::CurrentUser;
use crate::Fixture;
use chrono::{Duration, NaiveDate};
use keel::clock::{Clock, FixedClock};
use keel::services::demo::{generate, DemoOptions};
use keel::services::metrics::{self, forecast, BoardQuery, MetricsQuery};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::{deals, team, Workspace};
use std::sync::Arc;

#[test]
fn the_board_and_the_report_as_of_today_are_todays_for_every_filter() {
    for seed in [2, 13] {
        let (_dir, ws) = demo(400, seed);
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
                metrics::board_as_of(&ws, ws.me(), &query, today).expect("as of"),
                metrics::board(&ws, ws.me(), &query).expect("now"),
                "seed {seed}: {query:?}"
            );
        }
        let reports = [
            MetricsQuery::default(),
            MetricsQuery { owner: Some(owner), ..MetricsQuery::default() },
            MetricsQuery { segment: Some(keel::domain::Segment::Enterprise), ..MetricsQuery::default() },
            MetricsQuery {
                from: NaiveDate::from_ymd_opt(2026, 7, 1),
                to: NaiveDate::from_ymd_opt(2026, 9, 30),
                source: Some(keel::domain::DealSource::Partner),
                ..MetricsQuery::default()
            },
        ];
        for query in reports {
            assert_eq!(
                metrics::compute_as_of(&ws, ws.me(), &query, today).expect("as of"),
                metrics::compute(&ws, ws.me(), &query).expect("now"),
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
    let only = BoardQuery { owner: Some(ae.member()), ..BoardQuery::default() };
    let stage_and_value = |day: NaiveDate| {
        let board = metrics::board_as_of(&fx.ws, fx.ws.me(), &only, day).expect("board");
        let column = board.columns.iter().find(|c| c.count > 0).map(|c| (c.stage.clone(), c.value_minor));
        (board.open_count, column)
    };
    assert_eq!(stage_and_value(day0), (0, None), "before it was created");
    assert_eq!(stage_and_value(day1), (1, Some(("Lead".to_string(), amount))));
    assert_eq!(stage_and_value(day1 + Duration::days(1)), (1, Some(("Lead".to_string(), amount))));
    assert_eq!(stage_and_value(day3), (1, Some(("Qualification".to_string(), amount * 2))));
    assert_eq!(stage_and_value(day5), (0, None), "lost: off the board");
    let future =
        metrics::board_as_of(&fx.ws, fx.ws.me(), &only, day5 + Duration::days(1)).expect_err("tomorrow");
    assert_eq!(future.field(), Some("as_of"));
}

/// Every day of a generated quarter (deals created, re-amounted, re-dated, re-categorised,
/// reassigned, moved both ways, won, lost; two currencies and a rate change), `keel
/// metrics`, the forecast and the board are noted as they answered that day; afterwards
/// each as of that day must be that answer.
#[test]
fn the_report_as_of_a_past_day_is_what_that_day_reported() {
    for seed in [11, 71] {
        let mut fx = Fixture::seeded();
        let queries = |owner| {
            [
                MetricsQuery::default(),
                MetricsQuery {
                    from: NaiveDate::from_ymd_opt(2026, 4, 1),
                    to: NaiveDate::from_ymd_opt(2026, 6, 30),
                    ..MetricsQuery::default()
                },
                MetricsQuery { owner: Some(owner), ..MetricsQuery::default() },
            ]
        };
        let (ae, leader) = (fx.ae, fx.leader);
        let mut noted = Vec::new();
        let mut forecasts = Vec::new();
        let mut boards = Vec::new();
        crate::reporting::changes::generated_history_with(&mut fx, seed, &mut |fx| {
            let day = fx.clock.today();
            for query in queries(ae.member()) {
                noted.push((
                    day,
                    query.clone(),
                    metrics::compute(&fx.ws, fx.ws.me(), &query).expect("that day"),
                ));
            }
            forecasts.push((day, forecast::forecast(&fx.ws, leader, "2026-Q2", None).expect("that day")));
            boards.push((day, metrics::board(&fx.ws, fx.ws.me(), &BoardQuery::default()).expect("that day")));
        });
        assert!(noted.len() > 100);
        for (day, query, then) in noted {
            let as_of = metrics::compute_as_of(&fx.ws, fx.ws.me(), &query, day).expect("as of");
            assert_eq!(as_of, then, "seed {seed}, as of {day}: {query:?}");
        }
        // The forecast (categories called and changed along the way) and the board too.
        let calls: i64 = rusqlite::Connection::open(&fx.path)
            .expect("raw")
            .query_row("SELECT count(*) FROM deal_changes WHERE field = 'forecast_category'", [], |r| {
                r.get(0)
            })
            .expect("count");
        assert!(calls > 0, "seed {seed}: the history calls categories");
        for (day, then) in forecasts {
            let as_of = forecast::forecast_as_of(&fx.ws, leader, "2026-Q2", None, Some(day)).expect("as of");
            assert_eq!(
                (&as_of.owners, &as_of.team),
                (&then.owners, &then.team),
                "seed {seed}, forecast as of {day}"
            );
        }
        for (day, then) in boards {
            assert_eq!(
                metrics::board_as_of(&fx.ws, fx.ws.me(), &BoardQuery::default(), day).expect("as of"),
                then,
                "seed {seed}, board as of {day}"
            );
        }
        let today = fx.clock.today();
        let refused =
            metrics::compute_as_of(&fx.ws, fx.ws.me(), &MetricsQuery::default(), today + Duration::days(1))
                .expect_err("tomorrow");
        assert_eq!(refused.field(), Some("as_of"));
    }
}

/// The demo writes the history a real workspace would have: each field's changes chain
/// (every old value is the previous change's new one), end at the deal's value today, and
/// fall within the deal's life; and the demo has such changes of every kind.
#[test]
fn the_demo_history_leads_to_each_deal_as_it_stands() {
    let dir = tempfile::tempdir().expect("dir");
    let at =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 9, 0, 0).single().expect("instant");
    let mut ws = Workspace::open(&dir.path().join("keel.db"), Arc::new(FixedClock::at(at))).expect("open");
    let summary = generate(&mut ws, DemoOptions { deals: 3_000, seed: 7 }).expect("demo");
    assert!(summary.field_changes > 1_000, "{summary:?}");
    let raw = rusqlite::Connection::open(dir.path().join("keel.db")).expect("raw");
    let kinds: Vec<String> = raw
        .prepare("SELECT DISTINCT field FROM deal_changes ORDER BY field")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("fields");
    assert_eq!(kinds, ["amount", "expected_close_date", "forecast_category", "owner"]);
    let broken: i64 = raw
        .query_row(
            "WITH chained AS (
                 SELECT c.*, lag(new_value) OVER (PARTITION BY deal_id, field ORDER BY changed_at, id) AS before,
                        lead(id) OVER (PARTITION BY deal_id, field ORDER BY changed_at, id) AS next
                 FROM deal_changes c)
             SELECT count(*) FROM chained c JOIN deals d ON d.id = c.deal_id
             WHERE (c.before IS NOT NULL AND c.before IS NOT c.old_value)
                OR c.changed_at <= d.created_at OR c.changed_at > ?1
                OR (c.next IS NULL AND c.new_value IS NOT CASE c.field
                      WHEN 'amount' THEN CAST(d.amount_minor AS TEXT)
                      WHEN 'expected_close_date' THEN d.expected_close_date
                      WHEN 'forecast_category' THEN d.forecast_override
                      WHEN 'owner' THEN CAST(d.owner_id AS TEXT) END)",
            [keel::store::instant_text(at)],
            |r| r.get(0),
        )
        .expect("check");
    assert_eq!(broken, 0, "changes that do not chain to the deal as it stands");
}

/// The cards of a past day's board: as of today, today's cards in today's order; as of a
/// past day, every column holds exactly its count of deals, each in that stage then.
#[test]
fn a_past_boards_cards_are_the_deals_of_each_stage_then() {
    let dir = tempfile::tempdir().expect("dir");
    let at =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 9, 0, 0).single().expect("instant");
    let mut ws = Workspace::open(&dir.path().join("keel.db"), Arc::new(FixedClock::at(at))).expect("open");
    generate(&mut ws, DemoOptions { deals: 500, seed: 3 }).expect("demo");
    let query = BoardQuery::default();
    let today =
        metrics::board_as_of_with_cards(&ws, ws.me(), &query, ws.today(), None, 0, 20).expect("today");
    for (column, cards) in today.board.columns.iter().zip(&today.cards) {
        let listed = deals::list(
            &ws,
            ws.me(),
            &deals::DealQuery {
                stage: Some(column.stage.clone()),
                status: keel::store::deals::DealStatus::Open,
                limit: Some(20),
                ..Default::default()
            },
        )
        .expect("today's cards");
        let ids = |d: &[keel::store::deals::Deal]| {
            d.iter().map(|d| (d.id, d.amount, d.owner_id)).collect::<Vec<_>>()
        };
        assert_eq!(ids(cards), ids(&listed), "{}", column.stage);
    }
    let day = NaiveDate::from_ymd_opt(2026, 8, 31).expect("day");
    let end = keel::store::instant_text(day.and_hms_milli_opt(23, 59, 59, 999).expect("end").and_utc());
    let then = metrics::board_as_of_with_cards(&ws, ws.me(), &query, day, None, 0, usize::MAX).expect("then");
    let raw = rusqlite::Connection::open(dir.path().join("keel.db")).expect("raw");
    for (column, cards) in then.board.columns.iter().zip(&then.cards) {
        assert_eq!(cards.len() as u64, column.count, "{}", column.stage);
        for card in cards {
            let stage: String = raw
                .query_row(
                    "SELECT s.name FROM stage_history h JOIN stages s ON s.id = h.to_stage_id
                     WHERE h.deal_id = ?1 AND h.changed_at <= ?2 ORDER BY h.changed_at DESC, h.id DESC LIMIT 1",
                    rusqlite::params![card.id, end],
                    |r| r.get(0),
                )
                .expect("stage then");
            assert_eq!(
                (stage.as_str(), card.stage_name.as_str()),
                (column.stage.as_str(), column.stage.as_str())
            );
        }
    }
    let one = metrics::board_as_of_with_cards(
        &ws,
        ws.me(),
        &query,
        day,
        Some(keel::domain::StageId(then.board.columns[1].stage_id)),
        2,
        3,
    )
    .expect("a window of one column");
    assert_eq!(
        one.cards[1].iter().map(|d| d.id).collect::<Vec<_>>(),
        then.cards[1][2..5].iter().map(|d| d.id).collect::<Vec<_>>()
    );
    assert!(one.cards[0].is_empty());
}
