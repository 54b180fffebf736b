//! The pipeline board: columns counted and summed over every matching open deal, equal
//! to `keel metrics`' pipeline figures, and the deal list's filters, orders and counts.

use crate::CurrentUser;
use keel::clock::FixedClock;
use keel::domain::{DealSource, Segment};
use keel::money::FxRate;
use keel::services::accounts::{self, AccountQuery};
use keel::services::deals::{self, DealQuery};
use keel::services::demo::{generate, DemoOptions};
use keel::services::metrics::{self, BoardQuery, MetricsQuery};
use keel::services::{fx, pipeline, search, team, Workspace};
use keel::store::deals::{Deal, DealSort, DealStatus};
use std::sync::Arc;

fn demo() -> Workspace {
    let mut ws = Workspace::open_in_memory(Arc::new(FixedClock::at(crate::start()))).expect("ws");
    generate(&mut ws, DemoOptions { deals: 900, seed: 5 }).expect("demo");
    ws
}

/// Every deal of a query, page by page through `offset`.
fn all(ws: &Workspace, query: &DealQuery) -> Vec<Deal> {
    let mut out = Vec::new();
    loop {
        let page = deals::list(
            ws,
            ws.me(),
            &DealQuery { offset: Some(out.len() as u32), limit: Some(500), ..query.clone() },
        )
        .expect("page");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// The value of open deals computed from the deal list: latest rate per currency,
/// rounded half-even per deal, as the README defines the pipeline value.
fn independent_value(ws: &Workspace, deals: &[Deal]) -> (i128, i128) {
    let reporting = fx::reporting_currency(ws).expect("reporting");
    let rates = fx::rates(ws, ws.me(), None).expect("rates");
    let latest = |code: &str| -> Option<FxRate> {
        if code == reporting.code() {
            return Some(FxRate::IDENTITY);
        }
        rates.iter().filter(|r| r.currency == code).max_by_key(|r| r.effective_on).map(|r| r.rate)
    };
    let mut value = 0i128;
    let mut weighted_bp = 0i128;
    for deal in deals {
        let Some(rate) = latest(deal.currency.code()) else { continue };
        let v = rate.convert(deal.amount.expect("a known amount").amount_minor, deal.currency, reporting);
        value += v;
        weighted_bp += v * i128::from(deal.probability.0);
    }
    (value, weighted_bp)
}

#[test]
fn board_columns_are_the_open_deals_of_each_stage_and_total_the_metrics_pipeline() {
    let ws = demo();
    let owner = team::list(&ws).expect("team").into_iter().find(|m| m.ae_segment.is_some()).expect("an AE");
    let queries = [
        (BoardQuery::default(), MetricsQuery::default()),
        (
            BoardQuery { owner: Some(owner.id), ..Default::default() },
            MetricsQuery { owner: Some(owner.id), ..Default::default() },
        ),
        (
            BoardQuery {
                segment: Some(Segment::Enterprise),
                source: Some(DealSource::Partner),
                ..Default::default()
            },
            MetricsQuery {
                segment: Some(Segment::Enterprise),
                source: Some(DealSource::Partner),
                ..Default::default()
            },
        ),
    ];
    let stages = pipeline::stages(&ws).expect("stages");
    for (board_query, metrics_query) in queries {
        let board = metrics::board(&ws, ws.me(), &board_query).expect("board");
        let report = metrics::compute(&ws, ws.me(), &metrics_query).expect("metrics");
        assert_eq!(board.currency, report.currency);
        assert_eq!(board.open_count, report.figures.open_count, "{board_query:?}");
        assert_eq!(board.pipeline_value_minor, report.figures.pipeline_value_minor, "{board_query:?}");
        assert_eq!(board.weighted_pipeline_value_minor, report.figures.weighted_pipeline_value_minor);
        let open: Vec<_> = stages.iter().filter(|s| !s.is_closed).collect();
        assert_eq!(
            board.columns.iter().map(|c| c.stage.as_str()).collect::<Vec<_>>(),
            open.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()
        );
        assert_eq!(board.columns.iter().map(|c| c.count).sum::<u64>(), board.open_count);
        for column in &board.columns {
            let query = DealQuery {
                stage: Some(column.stage.clone()),
                owner_id: board_query.owner.as_ref().map(|_| owner.id),
                segment: board_query.segment,
                source: board_query.source,
                status: DealStatus::Open,
                ..Default::default()
            };
            let deals = all(&ws, &query);
            assert_eq!(column.count, deals.len() as u64, "{}", column.stage);
            assert_eq!(deals::count(&ws, ws.me(), &query).expect("count"), column.count);
            let (value, weighted_bp) = independent_value(&ws, &deals);
            assert_eq!(i128::from(column.value_minor), value, "{}", column.stage);
            let floor = weighted_bp.div_euclid(10_000);
            assert!(
                [floor, floor + 1].contains(&i128::from(column.weighted_minor)),
                "{}: a column's share is its exact weighted value, floored or one unit up",
                column.stage
            );
        }
        assert_eq!(
            board.columns.iter().map(|c| c.weighted_minor).sum::<i64>(),
            board.weighted_pipeline_value_minor,
            "the columns add up to the total shown with them"
        );
    }
}

#[test]
fn a_close_period_bounds_the_expected_close_date_of_board_and_list() {
    let ws = demo();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
    let board = metrics::board(
        &ws,
        ws.me(),
        &BoardQuery { close_from: Some(from), close_to: Some(to), ..Default::default() },
    )
    .expect("board");
    let deals = all(
        &ws,
        &DealQuery {
            status: DealStatus::Open,
            close_from: Some(from),
            close_to: Some(to),
            ..Default::default()
        },
    );
    assert!(!deals.is_empty() && deals.len() < 900);
    assert!(deals.iter().all(|d| d.expected_close_date >= Some(from) && d.expected_close_date <= Some(to)));
    assert_eq!(board.open_count, deals.len() as u64);
    assert_eq!(i128::from(board.pipeline_value_minor), independent_value(&ws, &deals).0);

    let backwards = BoardQuery { close_from: Some(to), close_to: Some(from), ..Default::default() };
    let err = metrics::board(&ws, ws.me(), &backwards).expect_err("refused").to_string();
    assert!(err.contains("close_to") && err.contains("must not be before"), "{err}");
}

#[test]
fn deal_list_sorts_and_pages_by_offset_and_counts_what_it_pages() {
    let ws = demo();
    for sort in DealSort::ALL {
        for descending in [false, true] {
            let query = DealQuery { sort, descending, status: DealStatus::Open, ..Default::default() };
            let deals = all(&ws, &query);
            assert_eq!(deals.len() as u64, deals::count(&ws, ws.me(), &query).expect("count"));
            let mut ids: Vec<i64> = deals.iter().map(|d| d.id.0).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), deals.len(), "{sort:?}: offset pages neither repeat nor skip");
            let key = |d: &Deal| -> String {
                match sort {
                    DealSort::CloseDate => d.expected_close_date.expect("a close date").to_string(),
                    DealSort::Amount => format!("{:020}", d.amount.expect("a known amount").amount_minor),
                    DealSort::Name => d.name.to_lowercase(),
                    DealSort::Account => d.account_name.clone().unwrap_or_default().to_lowercase(),
                    DealSort::Stage => d.stage_id.0.to_string(),
                    DealSort::Owner => d.owner_name.to_lowercase(),
                    DealSort::Updated => d.updated_at.to_rfc3339(),
                }
            };
            let ordered = deals.windows(2).all(|w| {
                if descending {
                    key(&w[0]) >= key(&w[1])
                } else {
                    key(&w[0]) <= key(&w[1])
                }
            });
            assert!(ordered, "{sort:?} descending={descending}");
        }
    }
    let err = DealSort::parse("colour").expect_err("unknown sort").to_string();
    assert!(err.contains("sort") && err.contains("close_date"), "{err}");
    let err = deals::list(
        &ws,
        ws.me(),
        &DealQuery { after: Some(keel::domain::DealId(1)), sort: DealSort::Amount, ..Default::default() },
    )
    .expect_err("after with another order")
    .to_string();
    assert!(err.contains("after"), "{err}");
}

#[test]
fn search_finds_accounts_deals_and_contacts_and_takes_wildcards_literally() {
    let ws = demo();
    let deal = deals::list(&ws, ws.me(), &DealQuery { limit: Some(1), ..Default::default() })
        .expect("deals")
        .remove(0);
    let account_name = deal.account_name.clone().expect("an account");
    let hits = search::search(&ws, ws.me(), &account_name, None).expect("search");
    assert!(hits.iter().any(|h| h.kind == "account"
        && h.id == deal.account_id.expect("an account").0
        && h.title == account_name));
    let hits = search::search(&ws, ws.me(), &deal.name, None).expect("search");
    assert!(hits.iter().any(|h| h.kind == "deal"
        && h.id == deal.id.0
        && h.account_id == Some(deal.account_id.expect("an account").0)));
    // The account list's count is the length of the filtered list it pages.
    let query = AccountQuery { search: Some("labs".into()), limit: Some(500), ..Default::default() };
    let listed = accounts::list(&ws, ws.me(), &query).expect("accounts");
    assert!(
        !listed.is_empty()
            && listed.iter().all(|a| a.name.to_lowercase().contains("labs")
                || a.domain.as_deref().unwrap_or("").contains("labs"))
    );
    assert_eq!(accounts::count(&ws, ws.me(), &query).expect("count"), listed.len() as i64);
    assert!(
        search::search(&ws, ws.me(), "%", None).expect("search").is_empty(),
        "% is a character, not a wildcard"
    );
    for (text, problem) in [("  ", "must not be empty"), ("a\u{7}b", "control characters")] {
        let err = search::search(&ws, ws.me(), text, None).expect_err("refused").to_string();
        assert!(err.contains("text") && err.contains(problem), "{err}");
    }
    let long = "x".repeat(201);
    assert!(search::search(&ws, ws.me(), &long, None).is_err());
}
