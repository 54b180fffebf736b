//! The forecast roll-up, quotas and calls: its figures agree with the report and the
//! board computed apart, a category change moves a deal's money between columns and
//! nowhere else, calls are kept append-only, and only leaders set quotas, adjust calls
//! or see someone else's row.

use super::demo;
use crate::CurrentUser;
use chrono::NaiveDate;
use keel::clock::Clock;
use keel::domain::Role;
use keel::services::metrics::forecast::{self, Period};
use keel::services::metrics::{self, BoardQuery, MetricsQuery};
use keel::services::policy::Principal;
use keel::services::{deals, team, Workspace};

fn member(ws: &Workspace, role: Role) -> Principal {
    let id = team::list(ws)
        .expect("team")
        .into_iter()
        .find(|m| m.role == role && m.is_active())
        .expect("member")
        .id;
    ws.authenticate(id).expect("an active member")
}

#[test]
fn periods_are_months_or_quarters_and_anything_else_is_named() {
    let q = Period::parse("period", "2026-q4").expect("quarter");
    assert_eq!((q.name.as_str(), q.from, q.to), ("2026-Q4", day(2026, 10, 1), day(2026, 12, 31)));
    let m = Period::parse("period", "2027-02").expect("month");
    assert_eq!((m.from, m.to), (day(2027, 2, 1), day(2027, 2, 28)));
    for bad in ["2026-Q5", "2026-13", "2026", "Q4-2026", "2026-1"] {
        let err = Period::parse("period", bad).expect_err(bad);
        assert_eq!(err.field(), Some("period"), "{bad}");
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn each_row_agrees_with_the_report_and_the_board_computed_apart() {
    for seed in [3, 17, 29] {
        let (_dir, ws) = demo(500, seed);
        let leader = member(&ws, Role::SalesLeader);
        for period in ["2026-Q4", "2026-11", "2027-Q1", "2026-Q3"] {
            let report = forecast::forecast(&ws, leader, period, None).expect("forecast");
            let (from, to) = (report.period.from, report.period.to);
            let mut team_open = 0i64;
            for row in &report.owners {
                let owner = row.owner_id.expect("a member's row");
                let won = metrics::compute(
                    &ws,
                    ws.me(),
                    &MetricsQuery {
                        from: Some(from),
                        to: Some(to),
                        owner: Some(owner),
                        ..MetricsQuery::default()
                    },
                )
                .expect("metrics");
                assert_eq!(
                    row.closed_won_minor, won.figures.won_value_minor,
                    "{period} seed {seed}: closed won of {}",
                    row.owner_name
                );
                let board = metrics::board(
                    &ws,
                    ws.me(),
                    &BoardQuery {
                        owner: Some(owner),
                        close_from: Some(from),
                        close_to: Some(to),
                        ..BoardQuery::default()
                    },
                )
                .expect("board");
                let open = row.commit_minor + row.best_case_minor + row.pipeline_minor + row.omitted_minor;
                assert_eq!(
                    open, board.pipeline_value_minor,
                    "{period} seed {seed}: open deals of {}",
                    row.owner_name
                );
                assert_eq!(
                    row.open_deals, board.open_count,
                    "{period} seed {seed}: count of {}",
                    row.owner_name
                );
                team_open += open;
            }
            let team = &report.team;
            assert_eq!(
                team.commit_minor + team.best_case_minor + team.pipeline_minor + team.omitted_minor,
                team_open
            );
            assert_eq!(team.closed_won_minor, report.owners.iter().map(|r| r.closed_won_minor).sum::<i64>());
        }
    }
}

#[test]
fn a_category_change_moves_a_deals_money_between_columns_and_nowhere_else() {
    let (_dir, mut ws) = demo(300, 5);
    let leader = member(&ws, Role::SalesLeader);
    let period = Period::parse("period", "2026-Q4").expect("period");
    // An open deal in the reporting currency closing this quarter, its owner's to change.
    let deal = deals::list(
        &ws,
        ws.me(),
        &deals::DealQuery {
            status: keel::store::deals::DealStatus::Open,
            close_from: Some(period.from),
            close_to: Some(period.to),
            limit: Some(500),
            ..deals::DealQuery::default()
        },
    )
    .expect("deals")
    .into_iter()
    .find(|d| {
        d.currency.code() == "USD"
            && d.amount.is_some_and(|a| a.amount_minor > 0)
            && d.forecast_category.as_str() != "omitted"
    })
    .expect("an open USD deal this quarter");
    let value = deal.amount.expect("amount").amount_minor;
    let before = forecast::forecast(&ws, leader, "2026-Q4", Some(deal.owner_id)).expect("before");
    let form = deals::DealUpdateForm { forecast: Some("omitted".into()), ..deals::DealUpdateForm::default() };
    let owner = ws.authenticate(deal.owner_id).expect("the owner acts");
    deals::update_as_typed(&mut ws, owner, deal.id, form).expect("to omitted");
    let after = forecast::forecast(&ws, leader, "2026-Q4", Some(deal.owner_id)).expect("after");
    let (b, a) = (&before.owners[0], &after.owners[0]);
    assert_eq!(a.omitted_minor - b.omitted_minor, value);
    let open =
        |r: &forecast::ForecastRow| r.commit_minor + r.best_case_minor + r.pipeline_minor + r.omitted_minor;
    assert_eq!(open(a), open(b), "the deal's money moved, none appeared or vanished");
    assert_eq!(a.closed_won_minor, b.closed_won_minor);
}

#[test]
fn calls_are_kept_append_only_and_only_leaders_set_quotas_adjust_or_see_others() {
    let (dir, mut ws) = demo(200, 9);
    let (leader, ae) = (member(&ws, Role::SalesLeader), member(&ws, Role::AccountExecutive));
    let pm = member(&ws, Role::PartnerManager);
    let refused = |e: keel::KeelError| e.code().to_string();
    assert_eq!(
        refused(forecast::set_quota(&mut ws, ae, ae.member(), "2026-Q4", "900000", None).expect_err("ae")),
        "forbidden"
    );
    assert_eq!(
        refused(forecast::set_quota(&mut ws, leader, pm.member(), "2026-Q4", "1000", None).expect_err("pm")),
        "not_allowed"
    );
    let wrong = forecast::set_quota(&mut ws, leader, ae.member(), "2026-Q4", "1000", Some("EUR"))
        .expect_err("currency");
    assert_eq!(wrong.field(), Some("currency"));
    assert_eq!(
        forecast::set_quota(&mut ws, leader, ae.member(), "2026-Q4", "-5", None)
            .expect_err("negative")
            .field(),
        Some("amount")
    );
    let raw = rusqlite::Connection::open(dir.path().join("keel.db")).expect("raw");
    let count = |table: &str| -> i64 {
        raw.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count")
    };
    assert_eq!(count("quotas"), 0, "refusals write nothing");

    forecast::set_quota(&mut ws, leader, ae.member(), "2026-Q4", "400,000", Some("USD")).expect("quota");
    forecast::set_quota(&mut ws, leader, ae.member(), "2026-Q4", "450,000", None).expect("raised");
    assert_eq!(forecast::quotas(&ws, ae, Some("2026-Q4")).expect("own")[0].amount.amount_minor, 45_000_000);
    assert_eq!(count("quotas"), 2, "the first quota stays on record");

    assert_eq!(
        refused(forecast::submit_call(&mut ws, pm, "2026-Q4", "1", "none").expect_err("pm call")),
        "forbidden"
    );
    assert_eq!(
        forecast::submit_call(&mut ws, ae, "2026-Q4", "300000", " ").expect_err("note").field(),
        Some("note")
    );
    assert_eq!(
        refused(
            forecast::adjust_call(&mut ws, leader, ae.member(), "2026-Q4", "1", "early")
                .expect_err("nothing yet")
        ),
        "not_allowed"
    );
    forecast::submit_call(&mut ws, ae, "2026-Q4", "300000", "Globex in commit").expect("call");
    assert_eq!(
        refused(
            forecast::adjust_call(&mut ws, ae, ae.member(), "2026-Q4", "1", "me").expect_err("ae adjusts")
        ),
        "forbidden"
    );
    forecast::adjust_call(&mut ws, leader, ae.member(), "2026-Q4", "260000", "Globex slips").expect("adjust");
    let row = forecast::forecast(&ws, leader, "2026-Q4", Some(ae.member())).expect("forecast");
    assert_eq!(
        (row.owners[0].call_minor, row.owners[0].adjusted_minor),
        (Some(30_000_000), Some(26_000_000))
    );
    assert_eq!(row.owners[0].quota_minor, Some(45_000_000));
    assert_eq!(row.owners[0].gap_minor, Some(45_000_000 - row.owners[0].closed_won_minor));
    let everyone = forecast::forecast(&ws, leader, "2026-Q4", None).expect("everyone");
    assert!(everyone.owners.len() > 1);
    assert_eq!(everyone.team.quota_minor, None, "not every member has a quota yet: no team quota");
    // A new call after the adjustment stands on its own.
    forecast::submit_call(&mut ws, ae, "2026-Q4", "280000", "Globex back in").expect("recall");
    let row = forecast::forecast(&ws, ae, "2026-Q4", None).expect("own row");
    assert_eq!(
        (row.owners.len(), row.owners[0].call_minor, row.owners[0].adjusted_minor),
        (1, Some(28_000_000), None)
    );
    assert_eq!(row.calls.len(), 3, "every call and adjustment is kept, in order");
    assert_eq!(
        refused(forecast::forecast(&ws, ae, "2026-Q4", Some(leader.member())).expect_err("another's")),
        "forbidden"
    );
    assert!(raw.execute("DELETE FROM forecast_calls", []).is_err(), "calls cannot be deleted");
    assert!(raw.execute("UPDATE quotas SET amount_minor = 1", []).is_err(), "quotas cannot be rewritten");
}

#[test]
fn the_forecast_as_of_today_is_todays_and_a_past_day_shows_the_deals_as_they_stood() {
    for seed in [3, 29] {
        let (_dir, ws) = demo(500, seed);
        let leader = member(&ws, Role::SalesLeader);
        for period in ["2026-Q4", "2026-11", "2026-Q3"] {
            let now = forecast::forecast(&ws, leader, period, None).expect("now");
            let then =
                forecast::forecast_as_of(&ws, leader, period, None, Some(ws.today())).expect("as of today");
            assert_eq!(then.owners, now.owners, "seed {seed} {period}");
            assert_eq!(then.team, now.team, "seed {seed} {period}");
        }
    }
    // One deal's life: open and committed, then won; the roll-up on each day.
    let mut fx = crate::Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let mut input = fx.deal_input(account);
    input.expected_close_date = day(2026, 3, 20);
    input.forecast_override = Some(keel::domain::ForecastCategory::Commit);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let value = deal.amount.expect("amount").amount_minor;
    let (ae, leader) = (fx.ae, fx.leader);
    let first = keel::clock::Clock::today(&fx.clock);
    fx.clock.advance(chrono::Duration::days(5));
    keel::services::moves::move_deal(
        &mut fx.ws,
        ae,
        deal.id,
        keel::services::moves::MoveInput {
            stage: "Closed Won".into(),
            override_reason: Some("signed".into()),
            loss_reason: None,
        },
    )
    .expect("won");
    let row_on = |on: NaiveDate| {
        let f =
            forecast::forecast_as_of(&fx.ws, leader, "2026-03", Some(ae.member()), Some(on)).expect("as of");
        (f.owners[0].commit_minor, f.owners[0].closed_won_minor)
    };
    assert_eq!(row_on(first), (value, 0), "committed, not yet won");
    assert_eq!(row_on(keel::clock::Clock::today(&fx.clock)), (0, value), "won");
    let future =
        forecast::forecast_as_of(&fx.ws, leader, "2026-03", None, Some(day(2027, 1, 1))).expect_err("future");
    assert_eq!(future.field(), Some("as_of"));
}

/// A deal's category is its owner's call (or a sales leader's): another account
/// executive is refused, by name, and nothing is written; the deals behind the columns
/// are one's own unless a leader asks for another's.
#[test]
fn only_the_owner_or_a_leader_changes_a_deals_category_and_sees_their_deals() {
    let mut fx = crate::Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let mut input = fx.deal_input(account);
    input.expected_close_date = fx.clock.today() + chrono::Duration::days(20);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let other = team::add(
        &mut fx.ws,
        Some(fx.leader),
        team::NewTeamMember { name: "Ola Berg".into(), role: Role::AccountExecutive, ae_segment: None },
    )
    .expect("other AE")
    .id;
    let other = fx.ws.authenticate(other).expect("other acts");
    let commit = deals::DealChanges {
        forecast_override: Some(Some(keel::domain::ForecastCategory::Commit)),
        ..Default::default()
    };
    let refused = fx.refuses("only the deal's owner", |ws| deals::update(ws, other, deal.id, commit.clone()));
    assert_eq!(refused.code(), "forbidden");
    assert!(deals::may_call_forecast(&fx.ws, other, &deal).is_err());
    assert!(deals::may_call_forecast(&fx.ws, fx.ae, &deal).is_ok());
    assert!(deals::may_call_forecast(&fx.ws, fx.leader, &deal).is_ok());
    let leader = fx.leader;
    let by_leader = deals::update(&mut fx.ws, leader, deal.id, commit).expect("a leader's call");
    assert_eq!(by_leader.forecast_category, keel::domain::ForecastCategory::Commit);
    // Another member's own setting back to the stage's is refused too; the owner's is not.
    let back = deals::DealChanges { forecast_override: Some(None), ..Default::default() };
    fx.refuses("only the deal's owner", |ws| deals::update(ws, other, deal.id, back.clone()));
    let ae = fx.ae;
    deals::update(&mut fx.ws, ae, deal.id, back).expect("the owner's call");

    let period = forecast::current_quarter(fx.clock.today());
    let mine = forecast::deals_in_period(&fx.ws, ae, &period, None, None, 0, 50).expect("own deals");
    assert_eq!((mine.deals.len(), mine.total), (1, 1));
    assert_eq!(mine.deals[0].id, deal.id);
    let stages = mine.deals[0].forecast_category;
    assert_eq!(mine.by_category, [(stages, 1)], "counted under the stage's category");
    let seen = forecast::deals_in_period(&fx.ws, other, &period, Some(ae.member()), None, 0, 50)
        .expect_err("another's deals");
    assert_eq!(seen.code(), "forbidden");
    let theirs =
        forecast::deals_in_period(&fx.ws, leader, &period, Some(ae.member()), None, 0, 50).expect("leader");
    assert_eq!(theirs.deals.len(), 1);
    // Under a category: the owner's call moves the deal from its stage's category to it.
    let commit = Some(keel::domain::ForecastCategory::Commit);
    let change = deals::DealChanges { forecast_override: Some(commit), ..Default::default() };
    deals::update(&mut fx.ws, ae, deal.id, change).expect("called commit");
    let committed = forecast::deals_in_period(&fx.ws, ae, &period, None, commit, 0, 50).expect("commit");
    assert_eq!(
        (committed.total, committed.by_category.clone()),
        (1, vec![(keel::domain::ForecastCategory::Commit, 1)])
    );
    let before = forecast::deals_in_period(&fx.ws, ae, &period, None, Some(stages), 0, 50).expect("stage's");
    assert_eq!(before.total, 0, "no longer under the stage's category");
    let others = forecast::deals_in_period(&fx.ws, other, &period, None, None, 0, 50).expect("their own");
    let (others, total) = (others.deals, others.total);
    assert_eq!((others.len(), total), (0, 0), "an AE's own list holds only their deals");
}
