//! Accounts, contacts and the team.

use crate::CurrentUser;
use crate::Fixture;
use keel::domain::{AccountId, Role, Segment};
use keel::services::{accounts, contacts, team};

#[test]
fn domains_are_stored_normalized() {
    let mut fx = Fixture::seeded();
    let id = fx.account("Nova Games", "https://WWW.NovaGames.com/pricing");
    let account = accounts::get(&fx.ws, fx.ws.me(), id).expect("get");
    assert_eq!(account.domain.as_deref(), Some("novagames.com"));
}

#[test]
fn a_duplicate_domain_is_refused_and_nothing_is_written() {
    let mut fx = Fixture::seeded();
    fx.account("Nova Games", "novagames.com");
    let ae = fx.ae;
    let err = fx.refuses("domain: novagames.com is already used by account 1", |ws| {
        accounts::create(
            ws,
            ae,
            accounts::AccountInput {
                name: "Nova again".into(),
                domain: Some("http://novagames.com".into()),
                ..Default::default()
            },
        )
    });
    assert_eq!(err.code(), "duplicate");
}

#[test]
fn updating_an_account_onto_a_taken_domain_is_refused() {
    let mut fx = Fixture::seeded();
    fx.account("Nova Games", "novagames.com");
    let other = fx.account("Apex Labs", "apexlabs.io");
    let ae = fx.ae;
    fx.refuses("domain: novagames.com is already used", |ws| {
        accounts::update(
            ws,
            ae,
            other,
            accounts::AccountChanges { domain: Some("novagames.com".into()), ..Default::default() },
        )
    });
    let updated = accounts::update(
        &mut fx.ws,
        ae,
        other,
        accounts::AccountChanges { segment: Some(Segment::SmbMidMarket), ..Default::default() },
    )
    .expect("a change that keeps its own domain is fine");
    assert_eq!(updated.segment, Segment::SmbMidMarket);
}

#[test]
fn bad_account_fields_name_the_field() {
    let mut fx = Fixture::seeded();
    let ae = fx.ae;
    fx.refuses("name: is required", |ws| accounts::create(ws, ae, accounts::AccountInput::default()));
    fx.refuses("domain: 'not a domain' is not a web domain", |ws| {
        accounts::create(
            ws,
            ae,
            accounts::AccountInput {
                name: "X".into(),
                domain: Some("not a domain".into()),
                ..Default::default()
            },
        )
    });
    fx.refuses("name: contains a control character", |ws| {
        accounts::create(ws, ae, accounts::AccountInput { name: "X\u{1b}[31m".into(), ..Default::default() })
    });
    fx.refuses("name: is too long", |ws| {
        accounts::create(ws, ae, accounts::AccountInput { name: "x".repeat(201), ..Default::default() })
    });
}

#[test]
fn contact_emails_are_unique_and_valid() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let ae = fx.ae;
    let input = |email: &str| contacts::ContactInput {
        account_id: account,
        name: "Chen Li".into(),
        title: Some("CTO".into()),
        email: email.into(),
    };
    let chen = contacts::create(&mut fx.ws, ae, input("Chen@NovaGames.com")).expect("contact");
    assert_eq!(chen.email, "chen@novagames.com", "e-mails are stored lower-case");
    let err = fx.refuses("email: chen@novagames.com is already used by contact", |ws| {
        contacts::create(ws, ae, input("CHEN@novagames.com"))
    });
    assert_eq!(err.code(), "duplicate");
    fx.refuses("email: 'chen@' is not an e-mail address", |ws| contacts::create(ws, ae, input("chen@")));
    fx.refuses("account 99 not found", |ws| {
        contacts::create(
            ws,
            ae,
            contacts::ContactInput { account_id: AccountId(99), ..input("new@novagames.com") },
        )
    });
}

#[test]
fn the_team_has_unique_names_and_acts_through_a_member() {
    let mut fx = Fixture::seeded();
    let (ae, leader) = (fx.ae, fx.leader);
    fx.refuses("name: ana almeida is already used by team member", |ws| {
        team::add(
            ws,
            Some(leader),
            team::NewTeamMember { name: "ana almeida".into(), role: Role::Sdr, ae_segment: None },
        )
    });
    fx.refuses("no acting user: only the first member joins by themselves", |ws| {
        team::add(ws, None, team::NewTeamMember { name: "Ivo".into(), role: Role::Sdr, ae_segment: None })
    });
    fx.refuses("segment: applies only to account executives", |ws| {
        team::add(
            ws,
            Some(leader),
            team::NewTeamMember {
                name: "Ivo".into(),
                role: Role::Sdr,
                ae_segment: Some(keel::domain::AeSegment::Enterprise),
            },
        )
    });
    assert_eq!(
        fx.ws.current_user().expect("current").map(|m| m.id),
        Some(ae.member()),
        "the member the workspace acts as by default"
    );
    fx.ws.set_current_user("vic okafor").expect("switch user");
    assert_eq!(fx.ws.principal(None).expect("actor"), fx.leader);
    assert!(fx.ws.principal(Some("Nobody")).is_err());
}

#[test]
fn account_page_shows_contacts_deals_and_onboarding() {
    let mut fx = Fixture::seeded();
    let account = fx.account("Nova Games", "novagames.com");
    let ae = fx.ae;
    contacts::create(
        &mut fx.ws,
        ae,
        contacts::ContactInput {
            account_id: account,
            name: "Chen".into(),
            title: None,
            email: "chen@novagames.com".into(),
        },
    )
    .expect("contact");
    let input = fx.deal_input(account);
    keel::services::deals::create(&mut fx.ws, ae, input).expect("deal");
    let view = accounts::view(&fx.ws, fx.ws.me(), account).expect("view");
    assert_eq!(view.contacts.len(), 1);
    assert_eq!(view.deals.len(), 1);
    assert!(view.onboarding.is_empty(), "no onboarding before a win");
}
