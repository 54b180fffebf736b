//! The pipeline's waterfall between two days, on generated histories (deals created,
//! re-amounted, re-dated into and out of the period, reassigned, moved back and forth,
//! won, lost; two currencies with a rate change; changes on the period's edge days):
//! for every pair of days, the start and the end are the board as it stood on each day,
//! every deal is listed once, and start + movements = end, to the cent.

use crate::CurrentUser;
use crate::Fixture;
use chrono::{Duration, NaiveDate};
use keel::clock::Clock;
use keel::domain::{DealId, ForecastCategory, Role, TeamMemberId};
use keel::services::metrics::changes::{pipeline_changes, Movement};
use keel::services::metrics::{self, BoardQuery};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::{deals, fx, team};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const STAGES: [&str; 5] = ["Lead", "Qualification", "Discovery & Demo", "Proof of Concept", "Negotiation"];

/// A quarter of work, day by day, from a seeded generator; returns the days it covered.
pub(crate) fn generated_history(fx: &mut Fixture, seed: u64) -> (NaiveDate, NaiveDate, Vec<TeamMemberId>) {
    generated_history_with(fx, seed, &mut |_| {})
}

/// [`generated_history`], calling `at_day_end` as each day's work is done (before the
/// clock moves on), so a test can note what today's reports said that day.
pub(crate) fn generated_history_with(
    fx: &mut Fixture,
    seed: u64,
    at_day_end: &mut dyn FnMut(&Fixture),
) -> (NaiveDate, NaiveDate, Vec<TeamMemberId>) {
    let mut rng = Rng(seed | 1);
    let leader = fx.leader;
    let second = team::add(
        &mut fx.ws,
        Some(leader),
        team::NewTeamMember { name: "Ola Berg".into(), role: Role::AccountExecutive, ae_segment: None },
    )
    .expect("second AE")
    .id;
    let second = fx.ws.authenticate(second).expect("second acts");
    let owners = [fx.ae, second];
    let first_day = fx.clock.today();
    fx::set_rate_as_typed(
        &mut fx.ws,
        leader,
        &crate::rate_form("EUR", first_day - Duration::days(30), "1.08"),
    )
    .expect("rate");
    let account = fx.account("Generated Co", "generated.example");
    let mut open: Vec<(DealId, usize)> = Vec::new();
    for day in 0..70 {
        if day == 35 {
            fx::set_rate_as_typed(&mut fx.ws, leader, &crate::rate_form("EUR", fx.clock.today(), "1.15"))
                .expect("new rate");
        }
        for _ in 0..rng.below(4) {
            let owner = owners[rng.below(2) as usize];
            match rng.below(13) {
                0 | 1 => {
                    let mut input = fx.deal_input(account);
                    input.owner_id = Some(owner.member());
                    input.amount_minor = 100_000 + rng.below(50) as i64 * 37_501;
                    input.currency = if rng.below(3) == 0 { "EUR".into() } else { "USD".into() };
                    // Into the period (Q2 2026), or just outside it, edges included.
                    let closes = [(2026, 4, 1), (2026, 6, 30), (2026, 5, 15), (2026, 3, 31), (2026, 7, 1)];
                    let (y, m, d) = closes[rng.below(5) as usize];
                    input.expected_close_date = NaiveDate::from_ymd_opt(y, m, d).expect("date");
                    if let Ok(deal) = deals::create(&mut fx.ws, owner, input) {
                        open.push((deal.id, 0));
                    }
                }
                _ if open.is_empty() => {}
                2 => {
                    let (id, _) = open[rng.below(open.len() as u64) as usize];
                    let amount = 50_000 + rng.below(90) as i64 * 12_345;
                    // With it a call on the deal's category (not drawn from the
                    // generator, so the rest of each seed's history stays as it was).
                    let category = [Some(ForecastCategory::Commit), Some(ForecastCategory::BestCase), None]
                        [((day + id.0 as u32) % 3) as usize];
                    let _ = deals::update(
                        &mut fx.ws,
                        leader,
                        id,
                        deals::DealChanges {
                            amount_minor: Some(amount),
                            forecast_override: Some(category),
                            ..Default::default()
                        },
                    );
                }
                3..=5 => {
                    let (id, _) = open[rng.below(open.len() as u64) as usize];
                    let dates = [(2026, 6, 30), (2026, 7, 1), (2026, 4, 1), (2026, 8, 20), (2026, 5, 2)];
                    let (y, m, d) = dates[rng.below(5) as usize];
                    let r = deals::update(
                        &mut fx.ws,
                        leader,
                        id,
                        deals::DealChanges {
                            expected_close_date: NaiveDate::from_ymd_opt(y, m, d),
                            ..Default::default()
                        },
                    );
                    let _ = r;
                }
                6 => {
                    let (id, _) = open[rng.below(open.len() as u64) as usize];
                    let to = owners[rng.below(2) as usize];
                    let _ = deals::update(
                        &mut fx.ws,
                        leader,
                        id,
                        deals::DealChanges { owner_id: Some(to.member()), ..Default::default() },
                    );
                }
                // Moves are common: a quarter of work moves deals forward and back.
                7 | 10..=12 => {
                    let at = rng.below(open.len() as u64) as usize;
                    let (id, stage) = open[at];
                    let next = if stage > 0 && rng.below(3) == 0 { stage - 1 } else { (stage + 1).min(4) };
                    let moved = move_deal(
                        &mut fx.ws,
                        leader,
                        id,
                        MoveInput {
                            stage: STAGES[next].into(),
                            override_reason: Some("generated".into()),
                            loss_reason: None,
                        },
                    );
                    if moved.is_ok() {
                        open[at].1 = next;
                    }
                }
                _ => {
                    let at = rng.below(open.len() as u64) as usize;
                    let (id, _) = open.remove(at);
                    let (stage, loss) = if rng.below(2) == 0 {
                        ("Closed Won", None)
                    } else {
                        ("Closed Lost", Some("budget".to_string()))
                    };
                    let _ = move_deal(
                        &mut fx.ws,
                        leader,
                        id,
                        MoveInput {
                            stage: stage.into(),
                            override_reason: Some("generated".into()),
                            loss_reason: loss,
                        },
                    );
                }
            }
        }
        at_day_end(fx);
        fx.clock.advance(Duration::days(1));
    }
    (
        first_day - Duration::days(1),
        fx.clock.today() - Duration::days(1),
        owners.iter().map(|o| o.member()).collect(),
    )
}

#[test]
fn start_plus_movements_is_the_end_and_both_ends_are_the_board_on_their_day() {
    for seed in [11, 23, 71] {
        let mut fx = Fixture::seeded();
        let (first, last, owners) = generated_history(&mut fx, seed);
        let q2 = BoardQuery {
            close_from: NaiveDate::from_ymd_opt(2026, 4, 1),
            close_to: NaiveDate::from_ymd_opt(2026, 6, 30),
            ..BoardQuery::default()
        };
        let mut rng = Rng(seed * 7919);
        let span = (last - first).num_days() as u64;
        let mut movements_seen = std::collections::BTreeSet::new();
        let mut stage_moves_seen = (0, 0);
        // Random pairs of days, and every week of the history (last week's call).
        let weeks =
            (0..span as i64 / 7).map(|w| (first + Duration::days(w * 7), first + Duration::days(w * 7 + 7)));
        let random: Vec<(NaiveDate, NaiveDate)> = (0..40)
            .map(|_| {
                let a = first + Duration::days(rng.below(span + 1) as i64);
                (a, a + Duration::days(rng.below((last - a).num_days() as u64 + 1) as i64))
            })
            .collect();
        for (a, b) in weeks.chain(random) {
            for owner in [None, Some(owners[0])] {
                let report = pipeline_changes(&fx.ws, fx.ws.me(), a, b, "2026-Q2", owner).expect("changes");
                let sum: i64 = report.movements.iter().map(|(_, v)| v).sum();
                assert_eq!(report.start_minor + sum, report.end_minor, "seed {seed}, {a} → {b}, {owner:?}");
                let query = BoardQuery { owner, ..q2.clone() };
                assert_eq!(
                    report.start_minor,
                    metrics::board_as_of(&fx.ws, fx.ws.me(), &query, a).expect("start").pipeline_value_minor
                );
                assert_eq!(
                    report.end_minor,
                    metrics::board_as_of(&fx.ws, fx.ws.me(), &query, b).expect("end").pipeline_value_minor
                );
                if owner.is_none() {
                    assert_eq!(
                        (report.moved_forward, report.moved_backward),
                        stage_moves_by_definition(&fx.path, a, b),
                        "seed {seed}, {a} → {b}"
                    );
                    stage_moves_seen.0 += report.moved_forward;
                    stage_moves_seen.1 += report.moved_backward;
                }
                let mut ids: Vec<i64> = report.deals.iter().map(|d| d.deal_id).collect();
                let listed = ids.len();
                ids.dedup();
                assert_eq!(ids.len(), listed, "each deal under one movement");
                for deal in &report.deals {
                    assert_eq!(deal.end_minor - deal.start_minor, deal.change_minor);
                    movements_seen.insert(deal.movement);
                }
            }
        }
        for movement in
            [Movement::New, Movement::PulledIn, Movement::PushedOut, Movement::Won, Movement::Lost]
        {
            assert!(movements_seen.contains(&movement), "seed {seed}: the history exercised {movement:?}");
        }
        assert!(
            stage_moves_seen.0 > 0 && stage_moves_seen.1 > 0,
            "seed {seed}: moves both ways {stage_moves_seen:?}"
        );
        let refused =
            pipeline_changes(&fx.ws, fx.ws.me(), last, first, "2026-Q2", None).expect_err("backwards");
        assert_eq!(refused.field(), Some("to"));
    }
}

#[test]
fn a_deal_pulled_into_the_period_and_one_pushed_out_are_named_so() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Edge Co", "edge.example");
    let ae = fx.ae;
    let mut later = fx.deal_input(account);
    later.expected_close_date = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
    let pulled = deals::create(&mut fx.ws, ae, later).expect("outside the period");
    let mut inside = fx.deal_input(account);
    inside.expected_close_date = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
    let pushed = deals::create(&mut fx.ws, ae, inside).expect("inside the period");
    let day0 = fx.clock.today();
    fx.clock.advance(Duration::days(2));
    deals::update(
        &mut fx.ws,
        ae,
        pulled.id,
        deals::DealChanges {
            expected_close_date: NaiveDate::from_ymd_opt(2026, 6, 30),
            ..Default::default()
        },
    )
    .expect("pull in");
    deals::update(
        &mut fx.ws,
        ae,
        pushed.id,
        deals::DealChanges { expected_close_date: NaiveDate::from_ymd_opt(2026, 7, 1), ..Default::default() },
    )
    .expect("push out");
    let report =
        pipeline_changes(&fx.ws, fx.ws.me(), day0, fx.clock.today(), "2026-Q2", None).expect("changes");
    let movement_of = |id: DealId| report.deals.iter().find(|d| d.deal_id == id.0).map(|d| d.movement);
    assert_eq!(movement_of(pulled.id), Some(Movement::PulledIn), "{:?}", report.deals);
    assert_eq!(movement_of(pushed.id), Some(Movement::PushedOut));
    assert_eq!(report.start_minor + report.movements.iter().map(|(_, v)| v).sum::<i64>(), report.end_minor);
}

/// Moves forward and backward between the ends of two days, from the stage history
/// itself: a move into or out of a lost stage leaves the pipeline and is neither.
fn stage_moves_by_definition(path: &std::path::Path, a: NaiveDate, b: NaiveDate) -> (u64, u64) {
    let end = |d: NaiveDate| {
        keel::store::instant_text(d.and_hms_milli_opt(23, 59, 59, 999).expect("end").and_utc())
    };
    rusqlite::Connection::open(path)
        .expect("raw")
        .query_row(
            "SELECT coalesce(sum(t.position > f.position), 0), coalesce(sum(t.position < f.position), 0)
             FROM stage_history h JOIN stages f ON f.id = h.from_stage_id JOIN stages t ON t.id = h.to_stage_id
             WHERE h.changed_at > ?1 AND h.changed_at <= ?2
               AND (f.is_closed = 0 OR f.is_won = 1) AND (t.is_closed = 0 OR t.is_won = 1)",
            [end(a), end(b)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("moves")
}

/// A deal then: id, stage, owner, amount, currency, close date.
type Then = (i64, i64, i64, Option<String>, String, Option<String>);

/// The pipeline of a past day by its definition, one deal at a time: the last stage entry
/// by then, and for each tracked field the old value of the first change after it.
fn deals_then_by_definition(conn: &rusqlite::Connection, end: &str) -> Vec<Then> {
    let then = |field: &str| {
        format!(
            "(SELECT json_array(c.old_value) FROM deal_changes c WHERE c.deal_id = d.id AND c.field = '{field}'
               AND c.changed_at > ?1 ORDER BY c.id LIMIT 1)"
        )
    };
    let sql = format!(
        "SELECT d.id, (SELECT h.to_stage_id FROM stage_history h WHERE h.deal_id = d.id AND h.changed_at <= ?1
                        ORDER BY h.changed_at DESC, h.id DESC LIMIT 1),
                d.owner_id, {}, CAST(d.amount_minor AS TEXT), {}, d.currency, {}, d.expected_close_date, {}
         FROM deals d WHERE d.created_at <= ?1 ORDER BY d.id",
        then("owner"),
        then("amount"),
        then("currency"),
        then("expected_close_date")
    );
    let pick = |now: Option<String>, later: Option<String>| match later {
        Some(json) => serde_json::from_str::<Vec<Option<String>>>(&json).expect("json").remove(0),
        None => now,
    };
    let mut stmt = conn.prepare(&sql).expect("sql");
    stmt.query_map([end], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            pick(Some(r.get::<_, i64>(2)?.to_string()), r.get(3)?).expect("owner").parse().expect("id"),
            pick(r.get(4)?, r.get(5)?),
            pick(Some(r.get(6)?), r.get(7)?).expect("currency"),
            pick(r.get(8)?, r.get(9)?),
        ))
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("values")
}

#[test]
fn a_past_day_read_in_one_pass_equals_its_definition_deal_by_deal() {
    for seed in [5, 31] {
        let mut fx = Fixture::seeded();
        let (first, last, _) = generated_history(&mut fx, seed);
        let raw = rusqlite::Connection::open(&fx.path).expect("raw");
        let mut day = first;
        while day <= last {
            let end =
                keel::store::instant_text(day.and_hms_milli_opt(23, 59, 59, 999).expect("end").and_utc());
            let stages = keel::services::pipeline::stages(&fx.ws).expect("stages");
            let rates = keel::store::fx::RateTable::load(&raw, "USD").expect("rates");
            let mut fast: Vec<Then> = Vec::new();
            keel::store::as_of::PastDays::new([day], &stages, &rates, "USD")
                .scan(&raw, |[then]| {
                    if let Some(d) = then.as_ref().map(|t| &t.fact) {
                        let close = (d.expected_close_day > 0)
                            .then(|| NaiveDate::from_num_days_from_ce_opt(d.expected_close_day))
                            .flatten();
                        fast.push((
                            d.deal_id,
                            d.stage_id,
                            d.owner_id,
                            d.amount_minor.map(|a| a.to_string()),
                            d.currency.to_string(),
                            close.map(|c| c.to_string()),
                        ));
                    }
                })
                .expect("one pass");
            fast.sort();
            assert_eq!(fast, deals_then_by_definition(&raw, &end), "seed {seed}, {day}");
            day += Duration::days(3);
        }
    }
}
