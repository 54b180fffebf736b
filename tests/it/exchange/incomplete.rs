//! Deals as other systems hold them: no company, no amount, no expected close date,
//! closed before they were created, lead sources Keel does not know. Kept and flagged,
//! counted where they can be, never refused.

use crate::CurrentUser;
use crate::Fixture;
use keel::domain::{DealId, DealSource, ImportKind};
use keel::services::import::{self, ImportOptions, RowAction};
use keel::services::metrics::{self, BoardQuery, MetricsQuery};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::{deals, export};
use keel::store::deals::Deal;

/// The shape of HubSpot's default "all deals" view: no company column at all, blank
/// amounts and close dates, custom stages.
const FILE: &str = "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Lead Source\r\n\
101,Alpha rollout,Closed: won,2026-02-10 10:00,Owner One,5000,2026-01-05 09:00,Increasing Portfolio\r\n\
102,Beta pilot,Closed: lost,,Owner One,,2026-01-06 09:00,\r\n\
103,Gamma expansion,Awaiting procurement,,Owner Two,,2026-02-01 09:00,\r\n\
104,Delta deal,Appointment scheduled,2026-05-01,Owner Two,2500,2026-05-03 09:00,Partner referral\r\n";

/// Imports `bytes` as deals with no options, as the acting AE.
fn deals_from(fx: &mut Fixture, name: &str, bytes: &[u8]) -> keel::Result<import::ImportReport> {
    let ae = fx.ae;
    import::run(&mut fx.ws, ae, ImportKind::Deals, name, bytes, &ImportOptions::default(), &mut |_| {})
}

fn imported() -> (Fixture, import::ImportReport) {
    let mut fx = Fixture::seeded();
    let report = deals_from(&mut fx, "deals.csv", FILE.as_bytes()).expect("import");
    (fx, report)
}

fn named(fx: &Fixture, name: &str) -> Deal {
    deals::list(&fx.ws, fx.ws.me(), &deals::DealQuery { limit: Some(100), ..Default::default() })
        .expect("list")
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} was imported"))
}

#[test]
fn every_row_lands_with_what_it_lacks_said() {
    let (fx, report) = imported();
    assert_eq!(report.counts.created, 4, "{:?}", report.rows);
    assert_eq!(report.counts.rejected, 0);
    let detail =
        |line: u64| report.rows.iter().find(|r| r.line == line).map(|r| r.detail.clone()).unwrap_or_default();
    assert!(
        detail(3).contains("amount not known") && detail(3).contains("closed on its created date"),
        "{}",
        detail(3)
    );
    assert!(detail(4).contains("expected close date not known"), "{}", detail(4));
    assert!(detail(5).contains("before it was created"), "{}", detail(5));
    assert!(report.rows.iter().all(|r| r.action == RowAction::Create && r.detail.contains("no account yet")));

    let alpha = named(&fx, "Alpha rollout");
    assert!(alpha.is_won && alpha.account_id.is_none() && alpha.account_name.is_none());
    assert_eq!(alpha.amount.map(|m| m.amount_minor), Some(500_000));
    assert_eq!(
        (alpha.source, alpha.lead_source.as_deref()),
        (DealSource::Other, Some("Increasing Portfolio"))
    );
    let beta = named(&fx, "Beta pilot");
    assert!(beta.is_closed && !beta.is_won && beta.amount.is_none());
    assert_eq!(beta.closed_on.map(|d| d.to_string()).as_deref(), Some("2026-01-06"));
    let gamma = named(&fx, "Gamma expansion");
    assert_eq!((gamma.stage_name.as_str(), gamma.amount, gamma.expected_close_date), ("Lead", None, None));
    let delta = named(&fx, "Delta deal");
    assert_eq!(
        delta.expected_close_date.map(|d| d.to_string()).as_deref(),
        Some("2026-05-01"),
        "kept as the source had it"
    );
    assert_eq!((delta.source, delta.lead_source.as_deref()), (DealSource::Partner, Some("Partner referral")));
}

#[test]
fn unknown_amounts_count_in_deals_and_win_rates_and_in_no_money_figure() {
    let (fx, _) = imported();
    let report = metrics::compute(&fx.ws, fx.ws.me(), &MetricsQuery::default()).expect("metrics");
    let f = &report.figures;
    assert_eq!(
        (f.won_count, f.lost_count, f.win_rate),
        (1, 1, Some(5_000)),
        "the lost deal without an amount counts"
    );
    assert_eq!(f.open_count, 2, "both open deals count");
    assert_eq!(
        f.pipeline_value_minor, 250_000,
        "only the open deal whose amount is known adds to the pipeline"
    );
    assert_eq!(f.won_value_minor, 500_000);
    assert_eq!(f.avg_deal_size_minor, Some(500_000));
    assert_eq!(f.deals_without_amount, 2, "Beta (lost) and Gamma (open)");
    assert!(report.unconverted.is_empty(), "an unknown amount is not a missing exchange rate");
    let board = metrics::board(&fx.ws, fx.ws.me(), &BoardQuery::default()).expect("board");
    assert_eq!((board.open_count, board.pipeline_value_minor, board.unconverted_count), (2, 250_000, 0));
    let other = report.by_source.iter().find(|g| g.source.as_deref() == Some("other")).expect("other");
    assert_eq!(other.figures.won_count, 1, "an unknown lead source is grouped under other");
}

#[test]
fn lists_page_through_deals_without_a_close_date() {
    let (fx, _) = imported();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = deals::list(
            &fx.ws,
            fx.ws.me(),
            &deals::DealQuery {
                limit: Some(1),
                after,
                status: keel::store::deals::DealStatus::Any,
                ..Default::default()
            },
        )
        .expect("page");
        let Some(deal) = page.first() else { break };
        seen.push(deal.id);
        after = Some(deal.id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "each deal once, those with no close date included");
    let all = deals::DealQuery { status: keel::store::deals::DealStatus::Any, ..Default::default() };
    assert_eq!(
        deals::count(&fx.ws, fx.ws.me(), &all).expect("count"),
        4,
        "deals without an account are counted"
    );
    let hits = keel::services::search::search(&fx.ws, fx.ws.me(), "Gamma", None).expect("search");
    assert!(
        hits.iter().any(|h| h.kind == "deal" && h.detail.starts_with("no account yet")),
        "a deal without an account is found: {hits:?}"
    );
}

#[test]
fn a_reimport_changes_nothing_and_an_export_round_trip_keeps_what_is_unknown() {
    let (mut fx, _) = imported();
    let again = deals_from(&mut fx, "deals.csv", FILE.as_bytes()).expect("again");
    assert_eq!((again.counts.created, again.counts.updated, again.counts.unchanged), (0, 0, 4));

    let mut file = Vec::new();
    export::write(&fx.ws, fx.ws.me(), export::ExportKind::Deals, export::ExportFormat::Csv, &mut file)
        .expect("export");
    let mut other = Fixture::seeded();
    let report = deals_from(&mut other, "keel.csv", &file).expect("round trip");
    assert_eq!(report.counts.created, 4, "{:?}", report.rows);
    for name in ["Alpha rollout", "Beta pilot", "Gamma expansion", "Delta deal"] {
        let (a, b) = (named(&fx, name), named(&other, name));
        assert_eq!(
            (a.amount, a.account_id.is_none(), a.expected_close_date),
            (b.amount, b.account_id.is_none(), b.expected_close_date),
            "{name}"
        );
        assert_eq!(
            (a.stage_name, a.source, a.lead_source),
            (b.stage_name, b.source, b.lead_source),
            "{name}"
        );
    }
}

#[test]
fn an_account_is_attached_later_and_winning_needs_one() {
    let (mut fx, _) = imported();
    let gamma = named(&fx, "Gamma expansion").id;
    let ae = fx.ae;
    fx.refuses("has no account: attach one before winning it", |ws| {
        move_deal(
            ws,
            ae,
            gamma,
            MoveInput {
                stage: "Closed Won".into(),
                override_reason: Some("signed".into()),
                loss_reason: None,
            },
        )
    });
    let account = fx.account("Gamma Corp", "gamma.example");
    let changes = deals::DealChanges { account_id: Some(account), ..Default::default() };
    let attached = deals::update(&mut fx.ws, ae, gamma, changes).expect("attach");
    assert_eq!(attached.account_id, Some(account));
    assert_eq!(
        (attached.amount, attached.expected_close_date),
        (None, None),
        "attaching keeps what is still unknown"
    );
    let won = move_deal(
        &mut fx.ws,
        ae,
        gamma,
        MoveInput { stage: "Closed Won".into(), override_reason: Some("signed".into()), loss_reason: None },
    )
    .expect("won once it has an account");
    assert!(won.deal.is_won);
    let _ = DealId(0);
}

#[test]
fn a_file_that_repeats_a_record_keeps_one_deal_with_its_last_values() {
    let mut fx = Fixture::seeded();
    let file = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Associated Company\r\n\
                7,Repeat,Appointment scheduled,100,2026-01-05 09:00,Acme\r\n\
                7,Repeat,Appointment scheduled,250,2026-01-05 09:00,Acme\r\n";
    let report = deals_from(&mut fx, "d.csv", file.as_bytes()).expect("a repeated record id is not an error");
    assert_eq!((report.counts.created, report.counts.updated), (1, 1));
    assert_eq!(named(&fx, "Repeat").amount.map(|m| m.amount_minor), Some(25_000));
}

#[test]
fn a_deal_that_closed_after_today_is_reverted_at_once() {
    let mut fx = Fixture::seeded();
    let ae = fx.ae;
    // The fixture's today is 2026-03-02; the file's won deal closed in the future.
    let file = "Opportunity Name,Account Name,Stage,Amount,Close Date,Created Date\r\n\
                Future win,Acme,Closed Won,1000,2026-09-30,2026-01-10\r\n";
    let report = deals_from(&mut fx, "f.csv", file.as_bytes()).expect("import");
    let batch = report.batch.expect("batch");
    let before_edit = fx.snapshot_without_batches();
    import::revert(&mut fx.ws, ae, batch).expect("nothing worked on it since: the revert goes through");
    assert_ne!(before_edit, fx.snapshot_without_batches(), "the deal is gone");
    let again = deals_from(&mut fx, "f.csv", file.as_bytes()).expect("import again");
    let deal = named(&fx, "Future win").id;
    let changes = deals::DealChanges { name: Some("Future win (renamed)".into()), ..Default::default() };
    deals::update(&mut fx.ws, ae, deal, changes).expect("edit");
    fx.refuses("was changed after the import", |ws| import::revert(ws, ae, again.batch.expect("batch")));
}
