//! A deal's change history: every change of amount, currency, close date, forecast
//! category and owner is kept, append-only, with who and when, by the transaction that
//! makes it, including imports; a revert removes the history of the deals it removes and
//! records the values it puts back.

use crate::CurrentUser;
use crate::Fixture;
use keel::domain::ForecastCategory;
use keel::domain::ImportKind;
use keel::services::deals::{self, DealChanges};
use keel::services::import::{self, ImportOptions};

fn fields(
    changes: &[keel::store::deal_changes::DealChange],
) -> Vec<(String, Option<String>, Option<String>)> {
    changes.iter().map(|c| (c.field.clone(), c.old_value.clone(), c.new_value.clone())).collect()
}

#[test]
fn each_tracked_change_is_kept_with_who_and_when_and_nothing_else_is() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let input = fx.deal_input(account);
    let deal = deals::create(&mut fx.ws, fx.ae, input).expect("deal");
    assert!(
        deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("none yet").is_empty(),
        "creation is not a change"
    );
    let (ae, leader) = (fx.ae, fx.leader);
    fx.clock.advance(chrono::Duration::days(3));
    let old_amount = deal.amount.expect("amount").amount_minor;
    deals::update(
        &mut fx.ws,
        ae,
        deal.id,
        DealChanges {
            amount_minor: Some(old_amount + 500_000),
            forecast_override: Some(Some(ForecastCategory::Commit)),
            name: Some("Nova Games rollout".into()),
            ..Default::default()
        },
    )
    .expect("update");
    let after_first = deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("changes");
    assert_eq!(
        fields(&after_first),
        [
            ("amount".into(), Some(old_amount.to_string()), Some((old_amount + 500_000).to_string())),
            ("forecast_category".into(), None, Some("commit".into())),
        ],
        "the name is not tracked"
    );
    assert!(after_first.iter().all(|c| c.changed_by == Some(ae.member()) && c.changed_at == fx.ws.now()));
    // A change that changes nothing tracked records nothing.
    deals::update(
        &mut fx.ws,
        ae,
        deal.id,
        DealChanges { name: Some("Nova Games rollout 2".into()), ..Default::default() },
    )
    .expect("rename");
    assert_eq!(deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("changes").len(), 2);
    // A refused change records nothing either.
    fx.refuses("expected_close_date", |ws| {
        deals::update(
            ws,
            ae,
            deal.id,
            DealChanges {
                expected_close_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
                ..Default::default()
            },
        )
    });
    let other_ae = keel::services::team::add(
        &mut fx.ws,
        Some(leader),
        keel::services::team::NewTeamMember {
            name: "Ola Berg".into(),
            role: keel::domain::Role::AccountExecutive,
            ae_segment: None,
        },
    )
    .expect("second AE")
    .id;
    let other_ae = fx.ws.authenticate(other_ae).expect("other_ae acts");
    deals::update(
        &mut fx.ws,
        leader,
        deal.id,
        DealChanges { owner_id: Some(other_ae.member()), ..Default::default() },
    )
    .expect("reassign");
    let last = deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("changes").pop().expect("the reassignment");
    assert_eq!(
        (last.field.as_str(), last.old_value, last.new_value),
        ("owner", Some(ae.member().0.to_string()), Some(other_ae.member().0.to_string()))
    );
    assert_eq!(last.changed_by, Some(leader.member()));

    let raw = rusqlite::Connection::open(&fx.path).expect("raw");
    assert!(raw.execute("UPDATE deal_changes SET new_value = '1'", []).is_err(), "append-only");
    assert!(raw.execute("DELETE FROM deal_changes", []).is_err(), "append-only");
}

#[test]
fn imports_record_their_changes_and_a_revert_takes_back_only_what_it_removes() {
    let mut fx = Fixture::seeded();
    let first = b"Deal Name,Account Name,Amount,Close Date,Deal Stage\r\nOrbit pilot,Orbit Labs,10000,2026-09-30,Qualification\r\n";
    let ae = fx.ae;
    let created = import::run(
        &mut fx.ws,
        ae,
        ImportKind::Deals,
        "a.csv",
        first,
        &ImportOptions::default(),
        &mut |_| {},
    )
    .expect("first import");
    let deal = deals::list(
        &fx.ws,
        fx.ws.me(),
        &deals::DealQuery { search: Some("Orbit pilot".into()), ..Default::default() },
    )
    .expect("list")
    .pop()
    .expect("imported deal");
    assert!(deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("none").is_empty());
    fx.clock.advance(chrono::Duration::days(1));
    let second = b"Deal Name,Account Name,Amount,Close Date,Deal Stage\r\nOrbit pilot,Orbit Labs,12500,2026-10-31,Qualification\r\n";
    let updated = import::run(
        &mut fx.ws,
        ae,
        ImportKind::Deals,
        "b.csv",
        second,
        &ImportOptions::default(),
        &mut |_| {},
    )
    .expect("second import");
    let recorded = fields(&deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("changes"));
    assert!(
        recorded.contains(&("amount".into(), Some("1000000".into()), Some("1250000".into()))),
        "{recorded:?}"
    );
    assert!(recorded.contains(&(
        "expected_close_date".into(),
        Some("2026-09-30".into()),
        Some("2026-10-31".into())
    )));

    // Reverting the update puts the values back, and that is a change too.
    fx.clock.advance(chrono::Duration::days(1));
    import::revert(&mut fx.ws, ae, updated.batch.expect("batch")).expect("revert update");
    let after_revert = fields(&deals::changes(&fx.ws, fx.ws.me(), deal.id).expect("changes"));
    assert_eq!(after_revert.len(), recorded.len() * 2, "{after_revert:?}");
    assert!(after_revert.contains(&("amount".into(), Some("1250000".into()), Some("1000000".into()))));
    // Reverting the import that created the deal removes the deal and its history.
    import::revert(&mut fx.ws, ae, created.batch.expect("batch")).expect("revert creation");
    let raw = rusqlite::Connection::open(&fx.path).expect("raw");
    let left: i64 = raw
        .query_row("SELECT count(*) FROM deal_changes WHERE deal_id = ?1", [deal.id], |r| r.get(0))
        .expect("count");
    assert_eq!(left, 0);
}
