//! Partners, commission plans and the deal-registration state machine.

use crate::CurrentUser;
use crate::Fixture;
use chrono::Duration;
use keel::domain::{PartnerId, PartnerTier, RegistrationId, RegistrationStatus, Role};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::partners::{self, PartnerInput};
use keel::services::registrations::{self, RegistrationInput};
use keel::services::{deals, team};

/// The seeded fixture plus a partner manager and one reseller partner at 25 %.
pub struct Program {
    pub fx: Fixture,
    pub pm: keel::services::policy::Principal,
    pub reseller: PartnerId,
}

impl Program {
    pub fn new() -> Program {
        let mut fx = Fixture::seeded();
        let pm = team::add(
            &mut fx.ws,
            Some(fx.leader),
            team::NewTeamMember { name: "Pat Okoye".into(), role: Role::PartnerManager, ae_segment: None },
        )
        .expect("partner manager")
        .id;
        let pm = fx.ws.authenticate(pm).expect("pm acts");
        let reseller = partners::add(
            &mut fx.ws,
            pm,
            partner_input("Acme Resellers", "acme-resell.com", PartnerTier::Reseller, Some(2_500)),
        )
        .expect("reseller")
        .id;
        Program { fx, pm, reseller }
    }

    pub fn registration(&self, partner: PartnerId, company: &str, domain: &str) -> RegistrationInput {
        RegistrationInput {
            partner_id: partner,
            company_name: company.into(),
            domain: domain.into(),
            country: Some("DE".into()),
            contact_name: Some("Lena Weber".into()),
            contact_email: Some("lena@example.com".into()),
            estimated_value: keel::money::Money {
                amount_minor: 8_000_000,
                currency: keel::money::Currency::parse("currency", "USD").expect("USD"),
            },
            expected_close_date: keel::clock::Clock::today(&self.fx.clock) + Duration::days(90),
            use_case: Some(keel::domain::UseCase::GamingVoiceVideo),
            notes: None,
        }
    }

    pub fn submit(&mut self, partner: PartnerId, company: &str, domain: &str) -> RegistrationId {
        let input = self.registration(partner, company, domain);
        registrations::submit(&mut self.fx.ws, self.pm, input).expect("submit").registration.id
    }

    /// A registration approved, converted and its deal won: ready for revenue.
    pub fn won_partner_deal(&mut self, domain: &str) -> keel::domain::DealId {
        let id = self.submit(self.reseller, "Nova Games", domain);
        registrations::approve(&mut self.fx.ws, self.pm, id, None).expect("approve");
        let deal = registrations::convert(&mut self.fx.ws, self.fx.ae, id, None)
            .expect("convert")
            .registration
            .deal_id
            .expect("deal");
        let ae = self.fx.ae;
        move_deal(
            &mut self.fx.ws,
            ae,
            deal,
            MoveInput {
                stage: "Closed Won".into(),
                override_reason: Some("signed".into()),
                loss_reason: None,
            },
        )
        .expect("won");
        deal
    }
}

pub fn partner_input(name: &str, domain: &str, tier: PartnerTier, share_bp: Option<i64>) -> PartnerInput {
    PartnerInput {
        name: name.into(),
        domain: domain.into(),
        category: None,
        tier,
        share_bp,
        status: None,
        certified_on: None,
        manager_id: None,
    }
}

#[test]
fn tier_rates_are_bounded() {
    let mut p = Program::new();
    let pm = p.pm;
    p.fx.refuses("share: 35% is outside the reseller range 20%–30%", |ws| {
        partners::add(ws, pm, partner_input("Too Greedy", "greedy.io", PartnerTier::Reseller, Some(3_500)))
    });
    p.fx.refuses("share: is required for a reseller partner", |ws| {
        partners::add(ws, pm, partner_input("No Rate", "norate.io", PartnerTier::Reseller, None))
    });
    p.fx.refuses("share: technology partners have no revenue share", |ws| {
        partners::add(ws, pm, partner_input("Cloud Co", "cloud.io", PartnerTier::Technology, Some(1_000)))
    });
    p.fx.refuses("share: 55% is outside the strategic range 0%–50%", |ws| {
        partners::add(ws, pm, partner_input("Big Telco", "telco.io", PartnerTier::Strategic, Some(5_500)))
    });
    let ae = p.fx.ae;
    p.fx.refuses("only a partner manager or a sales leader may add partners", |ws| {
        partners::add(ws, ae, partner_input("Sneaky", "sneaky.io", PartnerTier::Reseller, Some(2_000)))
    });
    partners::add(
        &mut p.fx.ws,
        pm,
        partner_input("Big Telco", "telco.io", PartnerTier::Strategic, Some(4_000)),
    )
    .expect("strategic");
}

#[test]
fn a_new_rate_applies_to_approvals_from_its_date_and_earlier_ones_keep_theirs() {
    let mut p = Program::new();
    let (pm, reseller) = (p.pm, p.reseller);
    let first = p.submit(reseller, "Alpha", "alpha.io");
    registrations::approve(&mut p.fx.ws, pm, first, None).expect("approve at 25%");
    let today = keel::clock::Clock::today(&p.fx.clock);
    partners::set_rate(&mut p.fx.ws, pm, reseller, 3_000, today + Duration::days(10))
        .expect("30% from day 10");
    let second = p.submit(reseller, "Beta", "beta.io");
    registrations::approve(&mut p.fx.ws, pm, second, None).expect("approve still at 25%");
    p.fx.clock.advance(Duration::days(10));
    let third = p.submit(reseller, "Gamma", "gamma.io");
    registrations::approve(&mut p.fx.ws, pm, third, None).expect("approve at 30%");
    let rate = |p: &Program, id| {
        registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").registration.rate.map(|r| r.0)
    };
    assert_eq!(rate(&p, first), Some(2_500));
    assert_eq!(rate(&p, second), Some(2_500), "approved before the new plan took effect");
    assert_eq!(rate(&p, third), Some(3_000));
    assert_eq!(rate(&p, first), Some(2_500), "a locked rate never moves");
    p.fx.refuses("from: ", |ws| partners::set_rate(ws, pm, reseller, 2_200, today));
}

#[test]
fn conflicts_name_what_they_collide_with_and_need_an_override() {
    let mut p = Program::new();
    let account = p.fx.account("Nova Games", "novagames.com");
    let input = p.fx.deal_input(account);
    deals::create(&mut p.fx.ws, p.fx.ae, input).expect("open deal");
    let id = p.submit(p.reseller, "Nova Games EU", "https://eu.novagames.com");
    let view = registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("view");
    assert_eq!(view.registration.registrable_domain, "novagames.com", "subdomains count as the company");
    assert_eq!(view.conflicts, vec!["account 1 (Nova Games, novagames.com) has an open deal".to_string()]);
    let pm = p.pm;
    let err = p
        .fx
        .refuses("registration 1 conflicts; approve with an override reason: account 1 (Nova Games", |ws| {
            registrations::approve(ws, pm, id, None)
        });
    assert_eq!(err.code(), "conflict");
    let approved =
        registrations::approve(&mut p.fx.ws, pm, id, Some("AE confirms the partner sourced EU".into()))
            .expect("override");
    assert_eq!(approved.registration.status, RegistrationStatus::Approved);
    assert_eq!(approved.registration.override_reason.as_deref(), Some("AE confirms the partner sourced EU"));
    let audit = p.fx.ws.audit_log(Some("registration"), Some(id.0), Some(1)).expect("audit");
    assert_eq!(audit[0].detail["conflicts"][0], "account 1 (Nova Games, novagames.com) has an open deal");
}

#[test]
fn the_earliest_registration_wins_and_a_partner_cannot_register_twice() {
    let mut p = Program::new();
    let pm = p.pm;
    let other = partners::add(
        &mut p.fx.ws,
        pm,
        partner_input("Other SI", "othersi.com", PartnerTier::Strategic, Some(1_500)),
    )
    .expect("other")
    .id;
    let first = p.submit(p.reseller, "Kite Labs", "kitelabs.io");
    p.fx.clock.advance(Duration::hours(1));
    let second = p.submit(other, "Kite Labs", "app.kitelabs.io");
    let first_view = registrations::get(&p.fx.ws, p.fx.ws.me(), first).expect("first");
    let second_view = registrations::get(&p.fx.ws, p.fx.ws.me(), second).expect("second");
    assert!(
        first_view.conflicts.is_empty(),
        "the earliest registration has no conflict: {:?}",
        first_view.conflicts
    );
    assert_eq!(
        second_view.conflicts,
        vec!["registration 1 by Acme Resellers for Kite Labs (submitted) came first".to_string()]
    );
    let input = p.registration(p.reseller, "Kite again", "www.kitelabs.io");
    let err =
        p.fx.refuses("domain: kitelabs.io is already used by live registration of this partner 1", |ws| {
            registrations::submit(ws, pm, input)
        });
    assert_eq!(err.code(), "duplicate");
    registrations::reject(&mut p.fx.ws, pm, first, "Duplicate of direct outreach").expect("reject");
    assert!(
        registrations::get(&p.fx.ws, p.fx.ws.me(), second).expect("second").conflicts.is_empty(),
        "a rejected registration no longer blocks"
    );
}

#[test]
fn existing_customers_conflict() {
    let mut p = Program::new();
    let account = p.fx.account("Orbit Studios", "orbitstudios.com");
    let input = p.fx.deal_input(account);
    let deal = deals::create(&mut p.fx.ws, p.fx.ae, input).expect("deal").id;
    let ae = p.fx.ae;
    move_deal(
        &mut p.fx.ws,
        ae,
        deal,
        MoveInput { stage: "Closed Won".into(), override_reason: Some("signed".into()), loss_reason: None },
    )
    .expect("won");
    let id = p.submit(p.reseller, "Orbit", "orbitstudios.com");
    let conflicts = registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("view").conflicts;
    assert_eq!(
        conflicts,
        vec!["account 1 (Orbit Studios, orbitstudios.com) is an existing customer".to_string()]
    );
}

#[test]
fn refused_transitions_write_nothing() {
    let mut p = Program::new();
    let (pm, ae) = (p.pm, p.fx.ae);
    let id = p.submit(p.reseller, "Lyra Cloud", "lyracloud.com");
    p.fx.refuses("only a partner manager or a sales leader may approve registrations (Ana Almeida is account executive)", |ws| {
        registrations::approve(ws, ae, id, None)
    });
    p.fx.refuses("reason: is required", |ws| registrations::reject(ws, pm, id, "  "));
    p.fx.refuses("registration 1 is submitted; it cannot be converted", |ws| {
        registrations::convert(ws, ae, id, None)
    });
    p.fx.refuses("registration 1 is submitted; it cannot be extended", |ws| {
        registrations::extend(ws, pm, id, "slow procurement")
    });
    registrations::send_back(&mut p.fx.ws, pm, id, "Which business unit?").expect("return");
    p.fx.refuses("registration 1 is returned; it cannot be approved", |ws| {
        registrations::approve(ws, pm, id, None)
    });
    let mut input = p.registration(p.reseller, "Lyra Cloud Gaming", "gaming.lyracloud.com");
    input.estimated_value.amount_minor = 12_000_000;
    let again = registrations::resubmit(&mut p.fx.ws, pm, id, input).expect("resubmit");
    assert_eq!(again.registration.status, RegistrationStatus::Submitted);
    assert_eq!(again.registration.estimated_value.amount_minor, 12_000_000);
    registrations::reject(&mut p.fx.ws, pm, id, "Customer already in talks with us").expect("reject");
    p.fx.refuses("registration 1 is rejected; it cannot be approved", |ws| {
        registrations::approve(ws, pm, id, None)
    });
    let mut input = p.registration(p.reseller, "X", "x-corp.io");
    input.estimated_value.amount_minor = -1;
    p.fx.refuses("value: must not be negative", |ws| registrations::submit(ws, pm, input));
    // What people type is read once, by the form every front door fills in.
    let form = |currency: &str, value: &str, close: &str| registrations::RegistrationForm {
        partner_id: p.reseller,
        company_name: "X".into(),
        domain: "x-corp.io".into(),
        country: None,
        contact_name: None,
        contact_email: None,
        estimated_value: value.into(),
        currency: currency.into(),
        close_date: close.into(),
        use_case: None,
        notes: None,
    };
    p.fx.refuses("currency: 'ABC' is not an ISO 4217 currency code", |ws| {
        registrations::submit(ws, pm, form("ABC", "100", "2027-01-01").read()?)
    });
    p.fx.refuses("value: ", |ws| registrations::submit(ws, pm, form("USD", "lots", "2027-01-01").read()?));
    p.fx.refuses("close_date: ", |ws| registrations::submit(ws, pm, form("USD", "100", "soon").read()?));
}

#[test]
fn protection_expires_unless_converted_and_extends_once() {
    let mut p = Program::new();
    let pm = p.pm;
    let id = p.submit(p.reseller, "Summit Media", "summitmedia.com");
    let approved = registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    let until = approved.registration.protected_until.expect("protected");
    assert_eq!(until, keel::clock::Clock::today(&p.fx.clock) + Duration::days(90), "90 days by default");
    let extended =
        registrations::extend(&mut p.fx.ws, pm, id, "Procurement slipped a quarter").expect("extend");
    assert_eq!(extended.registration.protected_until, Some(until + Duration::days(60)));
    p.fx.refuses("registration 1 was already extended once", |ws| registrations::extend(ws, pm, id, "again"));
    p.fx.clock.advance(Duration::days(150));
    assert_eq!(
        registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").registration.status,
        RegistrationStatus::Approved,
        "day 150: still protected"
    );
    p.fx.clock.advance(Duration::days(1));
    let list = registrations::list(&p.fx.ws, p.fx.ws.me(), Some(RegistrationStatus::Expired)).expect("list");
    assert_eq!(list.len(), 1, "day 151: expired");
    let ae = p.fx.ae;
    p.fx.refuses("registration 1 is expired; it cannot be converted", |ws| {
        registrations::convert(ws, ae, id, None)
    });
}

#[test]
fn reviews_waiting_more_than_48_hours_are_flagged() {
    let mut p = Program::new();
    let id = p.submit(p.reseller, "Tidal Play", "tidalplay.com");
    p.fx.clock.advance(Duration::hours(48));
    assert!(!registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").review_overdue);
    p.fx.clock.advance(Duration::minutes(1));
    assert!(registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").review_overdue);
}

#[test]
fn conversion_creates_a_partner_deal_on_the_company_account() {
    let mut p = Program::new();
    let account = p.fx.account("Nova Games", "novagames.com");
    let pm = p.pm;
    let id = p.submit(p.reseller, "Nova Games EU", "eu.novagames.com");
    registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    let converted = registrations::convert(&mut p.fx.ws, p.fx.ae, id, None).expect("convert");
    assert_eq!(converted.registration.status, RegistrationStatus::Converted);
    let deal =
        deals::get(&p.fx.ws, p.fx.ws.me(), converted.registration.deal_id.expect("deal")).expect("deal");
    assert_eq!(deal.account_id, Some(account), "joined to the company's account by registrable domain");
    assert_eq!(deal.source, keel::domain::DealSource::Partner);
    assert_eq!(deal.amount.expect("a known amount").amount_minor, 8_000_000);
    assert_eq!(deal.stage_name, "Lead");
    assert_eq!(converted.deal_stage.as_deref(), Some("Lead"), "the registration follows its deal");
    let fresh = p.submit(p.reseller, "Brand New Co", "brandnew.io");
    registrations::approve(&mut p.fx.ws, pm, fresh, None).expect("approve");
    let converted = registrations::convert(&mut p.fx.ws, p.fx.ae, fresh, None).expect("convert");
    let deal =
        deals::get(&p.fx.ws, p.fx.ws.me(), converted.registration.deal_id.expect("deal")).expect("deal");
    assert_eq!(deal.account_name.as_deref(), Some("Brand New Co"), "an account is created when none exists");
}

#[test]
fn a_reseller_without_a_plan_in_force_cannot_be_approved() {
    let mut p = Program::new();
    let pm = p.pm;
    let today = keel::clock::Clock::today(&p.fx.clock);
    let late = partners::add(
        &mut p.fx.ws,
        pm,
        partner_input("Late Start", "latestart.io", PartnerTier::Reseller, Some(2_000)),
    )
    .expect("partner")
    .id;
    // Its only plan starts today; a registration approved "yesterday" would have none.
    let id = p.submit(late, "Umbra Media", "umbramedia.com");
    p.fx.clock.set(p.fx.clock.now_instant() - Duration::days(1));
    p.fx.refuses(
        &format!("Late Start (reseller) has no commission plan in force on {}", today - Duration::days(1)),
        |ws| registrations::approve(ws, pm, id, None),
    );
}

trait Now {
    fn now_instant(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for keel::clock::FixedClock {
    fn now_instant(&self) -> chrono::DateTime<chrono::Utc> {
        keel::clock::Clock::now(self)
    }
}

#[test]
fn reading_registrations_writes_nothing_and_shows_due_expiries() {
    let mut p = Program::new();
    let pm = p.pm;
    let id = p.submit(p.reseller, "Summit Media", "summitmedia.com");
    registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    p.fx.clock.advance(Duration::days(91));
    let before = p.fx.snapshot();
    let expired =
        registrations::list(&p.fx.ws, p.fx.ws.me(), Some(RegistrationStatus::Expired)).expect("list");
    assert_eq!(
        expired.iter().map(|v| v.registration.id).collect::<Vec<_>>(),
        [id],
        "due expiry reads as expired"
    );
    assert!(registrations::list(&p.fx.ws, p.fx.ws.me(), Some(RegistrationStatus::Approved))
        .expect("list")
        .is_empty());
    assert_eq!(
        registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").registration.status,
        RegistrationStatus::Expired
    );
    keel::services::partners::desk(&p.fx.ws, pm).expect("desk");
    let page = keel::services::partners::view(&p.fx.ws, pm, p.reseller).expect("page");
    assert_eq!(page.registrations[0].status, RegistrationStatus::Expired);
    assert_eq!(before, p.fx.snapshot(), "reading wrote nothing");
    // The expiry is written by the next command that decides on registrations, or the job.
    // Only the partner program writes it down; anyone else is refused and writes nothing.
    let ae = p.fx.ae;
    let refused = registrations::expire_due(&mut p.fx.ws, ae).expect_err("an account executive");
    assert_eq!(refused.code(), "forbidden", "{refused}");
    assert_eq!(before, p.fx.snapshot(), "a refused job wrote nothing");
    assert_eq!(registrations::expire_due(&mut p.fx.ws, pm).expect("job"), [id]);
    assert_ne!(before, p.fx.snapshot(), "the job wrote it down");
}

#[test]
fn a_refused_submission_writes_nothing_not_even_a_due_expiry() {
    let mut p = Program::new();
    let pm = p.pm;
    let id = p.submit(p.reseller, "Summit Media", "summitmedia.com");
    registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    p.submit(p.reseller, "Kite Labs", "kitelabs.io");
    p.fx.clock.advance(Duration::days(91));
    // Registration 1's protection has ended (an expiry is due); the reseller registers
    // kitelabs.io again, which it holds live: refused, and nothing written.
    let input = p.registration(p.reseller, "Kite Labs", "kitelabs.io");
    p.fx.refuses("live registration of this partner", |ws| registrations::submit(ws, pm, input));
    assert_eq!(
        registrations::get(&p.fx.ws, p.fx.ws.me(), id).expect("get").registration.status,
        RegistrationStatus::Expired
    );
    // Accepted, the same command writes the due expiry in its own transaction.
    let again = p.registration(p.reseller, "Summit Media", "summitmedia.com");
    registrations::submit(&mut p.fx.ws, pm, again).expect("the domain is free again");
    let conn = rusqlite::Connection::open(&p.fx.path).expect("db");
    let audit = keel::store::audit::list(&conn, Some("registration"), Some(id.0), 10).expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "registration.expire"),
        "the expiry was written with the submission"
    );
}
