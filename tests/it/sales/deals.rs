//! Creating, updating and listing deals.

use crate::CurrentUser;
use crate::Fixture;
use chrono::NaiveDate;
use keel::domain::{AccountId, DealType, TeamMemberId};
use keel::money::MAX_AMOUNT_MINOR;
use keel::services::deals::{self, DealChanges, DealQuery};
use keel::store::deals::DealStatus;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn a_new_deal_starts_in_lead_with_its_history() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    assert_eq!(deal.stage_name, "Lead");
    assert_eq!(deal.owner_id, fx.ae.member(), "the owner defaults to the acting user");
    assert_eq!(deal.probability.0, 500, "Lead's default probability is 5%");
    let view = deals::view(&fx.ws, fx.ws.me(), deal.id).expect("view");
    assert_eq!(view.history.len(), 1);
    assert_eq!(view.history[0].from_stage, None);
    assert_eq!(view.history[0].to_stage, "Lead");
    assert_eq!(view.history[0].changed_by.as_deref(), Some("Ana Almeida"));
}

#[test]
fn refused_deal_inputs_name_the_problem_and_write_nothing() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let ae = fx.ae;
    let base = fx.deal_input(account);

    let input = deals::DealInput { amount_minor: -1, ..base.clone() };
    fx.refuses("amount: must not be negative", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { amount_minor: MAX_AMOUNT_MINOR + 1, ..base.clone() };
    fx.refuses("amount: is too large", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { currency: "XYZ".into(), ..base.clone() };
    let err =
        fx.refuses("currency: 'XYZ' is not an ISO 4217 currency code", |ws| deals::create(ws, ae, input));
    assert_eq!(err.code(), "invalid_input");

    let input = deals::DealInput { expected_close_date: day(2026, 3, 1), ..base.clone() };
    fx.refuses("expected_close_date: 2026-03-01 is before the deal was created (2026-03-02)", |ws| {
        deals::create(ws, ae, input)
    });

    let input = deals::DealInput { expected_close_date: day(2301, 1, 1), ..base.clone() };
    fx.refuses("expected_close_date: 2301-01-01 is out of range", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { stage: Some("Nowhere".into()), ..base.clone() };
    fx.refuses("stage: 'Nowhere' is not a stage; stages are: Lead, Qualification", |ws| {
        deals::create(ws, ae, input)
    });

    let input = deals::DealInput { stage: Some("Negotiation".into()), ..base.clone() };
    fx.refuses("a new deal starts in Lead or Qualification", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { probability_override_bp: Some(10_001), ..base.clone() };
    fx.refuses("probability: must be between 0% and 100%", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { account_id: AccountId(404), ..base.clone() };
    fx.refuses("account 404 not found", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { owner_id: Some(TeamMemberId(77)), ..base.clone() };
    fx.refuses("team member 77 not found", |ws| deals::create(ws, ae, input));

    let input = deals::DealInput { name: " ".into(), ..base };
    fx.refuses("name: is required", |ws| deals::create(ws, ae, input));
}

#[test]
fn updates_validate_like_creation_and_are_audited() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let ae = fx.ae;
    fx.clock.advance(chrono::Duration::days(10));
    fx.refuses("expected_close_date: 2026-03-01 is before the deal was created", |ws| {
        deals::update(
            ws,
            ae,
            deal.id,
            DealChanges { expected_close_date: Some(day(2026, 3, 1)), ..Default::default() },
        )
    });
    let updated = deals::update(
        &mut fx.ws,
        ae,
        deal.id,
        DealChanges {
            amount_minor: Some(15_000_000),
            probability_override_bp: Some(Some(3_000)),
            ..Default::default()
        },
    )
    .expect("update");
    assert_eq!(updated.amount.expect("a known amount").amount_minor, 15_000_000);
    assert_eq!(updated.probability.0, 3_000, "the override wins over the stage default");
    let cleared = deals::update(
        &mut fx.ws,
        ae,
        deal.id,
        DealChanges { probability_override_bp: Some(None), ..Default::default() },
    )
    .expect("clear");
    assert_eq!(cleared.probability.0, 500, "clearing the override falls back to the stage");
    let audit = fx.ws.audit_log(Some("deal"), Some(deal.id.0), None).expect("audit");
    assert_eq!(audit.iter().filter(|e| e.action == "deal.update").count(), 2);
    assert!(
        audit.iter().all(|e| e.actor_name.as_deref() == Some("Ana Almeida")),
        "actions record who did them"
    );
}

#[test]
fn an_expansion_deal_links_only_to_a_won_deal_of_its_account() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let first = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    let ae = fx.ae;
    let input = deals::DealInput {
        deal_type: DealType::Expansion,
        expands_deal_id: Some(first.id),
        ..fx.deal_input(account)
    };
    fx.refuses("expands_deal: deal 1 is not a won deal of the same account", |ws| {
        deals::create(ws, ae, input)
    });
    let input = deals::DealInput { expands_deal_id: Some(first.id), ..fx.deal_input(account) };
    fx.refuses("expands_deal: only an expansion deal expands another deal", |ws| {
        deals::create(ws, ae, input)
    });
}

#[test]
fn lists_page_by_close_date_and_filter_by_stage_owner_and_status() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let mut ids = Vec::new();
    for i in 0..7u32 {
        let mut input = fx.deal_input(account);
        input.expected_close_date = day(2026, 12, 10 - i);
        if i % 2 == 0 {
            input.owner_id = Some(fx.leader.member());
            input.stage = Some("Qualification".into());
        }
        ids.push(deals::create(&mut fx.ws, fx.ae, input).expect("deal").id);
    }
    let page1 =
        deals::list(&fx.ws, fx.ws.me(), &DealQuery { limit: Some(3), ..Default::default() }).expect("page 1");
    let page2 = deals::list(
        &fx.ws,
        fx.ws.me(),
        &DealQuery { limit: Some(3), after: page1.last().map(|d| d.id), ..Default::default() },
    )
    .expect("page 2");
    let page3 = deals::list(
        &fx.ws,
        fx.ws.me(),
        &DealQuery { limit: Some(3), after: page2.last().map(|d| d.id), ..Default::default() },
    )
    .expect("page 3");
    let seen: Vec<_> = page1.iter().chain(&page2).chain(&page3).map(|d| d.expected_close_date).collect();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen.len(), 7, "keyset pages cover every deal once");
    assert_eq!(seen, sorted, "pages run in expected-close order");

    let qualification = deals::list(
        &fx.ws,
        fx.ws.me(),
        &DealQuery { stage: Some("qualification".into()), ..Default::default() },
    )
    .expect("by stage");
    assert_eq!(qualification.len(), 4);
    assert!(qualification.iter().all(|d| d.owner_id == fx.leader.member()));
    let mine =
        deals::list(&fx.ws, fx.ws.me(), &DealQuery { owner_id: Some(fx.ae.member()), ..Default::default() })
            .expect("mine");
    assert_eq!(mine.len(), 3);
    let won = deals::list(&fx.ws, fx.ws.me(), &DealQuery { status: DealStatus::Won, ..Default::default() })
        .expect("won");
    assert!(won.is_empty());
    assert!(deals::list(&fx.ws, fx.ws.me(), &DealQuery { stage: Some("Nope".into()), ..Default::default() })
        .is_err());
}
