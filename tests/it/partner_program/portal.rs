//! The partner portal as the core serves it: each partner's people see their own
//! partner's registrations, earnings and statements and nothing else; a conflict shows
//! only as "needs review"; a removed person can do nothing; the manager sees who did what.

use crate::partners::{partner_input, Program};
use crate::payouts::{at, pay};
use crate::CurrentUser;
use keel::domain::{PartnerTier, RegistrationId, RevenueKind, StatementId};
use keel::services::payouts::{self, ExportFormat};
use keel::services::portal::{self, PortalRegistrationForm};
use keel::services::{partners, registrations};
use keel::store::partner_users::PartnerUser;

fn form(company: &str, domain: &str) -> PortalRegistrationForm {
    PortalRegistrationForm {
        company: company.into(),
        domain: domain.into(),
        contact_name: Some("Mira Sol".into()),
        contact_email: Some("mira@example.org".into()),
        estimated_value: "60,000".into(),
        currency: "EUR".into(),
        expected_close_date: "2026-09-30".into(),
        use_case: Some("gaming-voice-video".into()),
        ..PortalRegistrationForm::default()
    }
}

struct Two {
    p: Program,
    a: PartnerUser,
    b: PartnerUser,
}

/// Two reseller partners, each with one invited person.
fn two_partners() -> Two {
    let mut p = Program::new();
    let pm = p.pm;
    let other = partners::add(
        &mut p.fx.ws,
        pm,
        partner_input("Beta Channel", "beta-channel.com", PartnerTier::Reseller, Some(2_000)),
    )
    .expect("second partner")
    .id;
    let reseller = p.reseller;
    let a = portal::invite(&mut p.fx.ws, pm, reseller, "Ana@Acme-Resell.com", Some("Ana")).expect("invite a");
    let b = portal::invite(&mut p.fx.ws, pm, other, "bo@beta-channel.com", None).expect("invite b");
    Two { p, a, b }
}

#[test]
fn only_the_partner_program_invites_and_an_email_belongs_to_one_partner() {
    let mut t = two_partners();
    assert_eq!(t.a.email, "ana@acme-resell.com", "e-mails are kept in one form");
    let (ae, pm, reseller) = (t.p.fx.ae, t.p.pm, t.p.reseller);
    t.p.fx.refuses("only a partner manager or a sales leader may invite", |ws| {
        portal::invite(ws, ae, reseller, "x@acme-resell.com", None)
    });
    let taken = t.p.fx.refuses("already used by portal user of partner Beta Channel", |ws| {
        portal::invite(ws, pm, reseller, "BO@beta-channel.com", None)
    });
    assert_eq!(taken.code(), "duplicate");
    t.p.fx.refuses("email:", |ws| portal::invite(ws, pm, reseller, "not an address", None));
    let users = portal::users(&t.p.fx.ws, pm, Some(reseller)).expect("users");
    assert_eq!(users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["ana@acme-resell.com"]);
    t.p.fx.refuses("only a partner manager or a sales leader may see", |ws| portal::users(ws, ae, None));
}

#[test]
fn a_partner_sees_its_own_registrations_and_another_partners_are_not_found() {
    let mut t = two_partners();
    let mine =
        portal::register(&mut t.p.fx.ws, &t.a, form("Orbit Games", "orbit-games.io")).expect("register");
    assert_eq!((mine.status.as_str(), mine.needs_review), ("submitted", false));
    assert_eq!((mine.estimated_value.minor, mine.estimated_value.exponent), (6_000_000, 2));
    let theirs =
        portal::register(&mut t.p.fx.ws, &t.b, form("Comet Labs", "comet-labs.io")).expect("register");

    let listed: Vec<RegistrationId> =
        portal::registrations(&t.p.fx.ws, &t.a).expect("list").iter().map(|r| r.id).collect();
    assert_eq!(listed, [mine.id]);
    let err = portal::registration(&t.p.fx.ws, &t.a, theirs.id).expect_err("not theirs");
    assert_eq!(err.code(), "not_found");
    assert_eq!(
        err.to_string(),
        format!("registration {} not found", theirs.id),
        "the same answer as a missing one"
    );
    let missing = portal::registration(&t.p.fx.ws, &t.a, RegistrationId(9_999)).expect_err("missing");
    assert_eq!(missing.to_string(), "registration 9999 not found");
    let a = t.a.clone();
    t.p.fx.refuses(&format!("registration {} not found", theirs.id), |ws| {
        portal::answer(ws, &a, theirs.id, "an answer", form("Comet Labs", "comet-labs.io"))
    });

    // The audit log says who at the partner did it.
    let audit = t.p.fx.ws.audit_log(Some("registration"), Some(mine.id.0), Some(10)).expect("audit");
    assert!(audit.iter().any(|e| e.detail["portal_user"] == "ana@acme-resell.com"), "{audit:?}");
    // And the partner desk lists it as portal activity, naming the person and partner.
    let desk = partners::desk(&t.p.fx.ws, t.p.pm).expect("desk");
    let latest = &desk.portal_activity[0];
    assert_eq!(
        (latest.email.as_str(), latest.partner.as_deref(), latest.registration_id),
        ("bo@beta-channel.com", Some("Beta Channel"), Some(theirs.id.0))
    );
    assert!(desk
        .portal_activity
        .iter()
        .any(|a| a.email == "ana@acme-resell.com" && a.company.as_deref() == Some("Orbit Games")));
}

#[test]
fn a_conflict_with_another_partner_shows_only_as_needing_review_and_a_duplicate_of_its_own_is_refused() {
    let mut t = two_partners();
    let theirs = PortalRegistrationForm {
        estimated_value: "71,500".into(),
        ..form("Shared Prospect", "shared-prospect.com")
    };
    portal::register(&mut t.p.fx.ws, &t.b, theirs).expect("first");
    let second =
        portal::register(&mut t.p.fx.ws, &t.a, form("Shared Prospect GmbH", "eu.shared-prospect.com"))
            .expect("second");
    assert!(second.needs_review);
    // Every field the portal is given (what crosses the wire is built from these).
    let shown = format!("{:?}", portal::registration(&t.p.fx.ws, &t.a, second.id).expect("view"));
    for secret in ["Beta Channel", "beta-channel", "7150000", "71,500", "bo@"] {
        assert!(!shown.contains(secret), "the portal reveals {secret}: {shown}");
    }
    // The partner manager sees the conflict in full.
    let full = registrations::get(&t.p.fx.ws, t.p.fx.ws.me(), second.id).expect("full");
    assert!(full.conflicts.iter().any(|c| c.contains("Beta Channel")), "{:?}", full.conflicts);

    let a = t.a.clone();
    let err = t.p.fx.refuses("already used by live registration of this partner", |ws| {
        portal::register(ws, &a, form("Shared Prospect", "shared-prospect.com"))
    });
    assert_eq!(err.code(), "duplicate");
    t.p.fx.refuses("close_date:", |ws| {
        portal::register(
            ws,
            &a,
            PortalRegistrationForm { expected_close_date: "30/09/2026".into(), ..form("X", "x-co.io") },
        )
    });
}

#[test]
fn a_returned_registration_is_answered_and_resubmitted_and_a_removed_person_can_do_nothing() {
    let mut t = two_partners();
    let pm = t.p.pm;
    let mine =
        portal::register(&mut t.p.fx.ws, &t.a, form("Orbit Games", "orbit-games.io")).expect("register");
    registrations::send_back(&mut t.p.fx.ws, pm, mine.id, "Which studio runs the pilot?").expect("return");
    let returned = portal::registration(&t.p.fx.ws, &t.a, mine.id).expect("view");
    assert_eq!(returned.status, "returned");
    assert_eq!(returned.manager_note.as_deref(), Some("Which studio runs the pilot?"));
    let a = t.a.clone();
    t.p.fx.refuses("answer:", |ws| {
        portal::answer(ws, &a, mine.id, "  ", form("Orbit Games", "orbit-games.io"))
    });
    let answered = portal::answer(
        &mut t.p.fx.ws,
        &t.a,
        mine.id,
        "The Lisbon studio",
        form("Orbit Games", "orbit-games.io"),
    )
    .expect("answer");
    assert_eq!(answered.status, "submitted");
    assert!(answered
        .notes
        .as_deref()
        .unwrap_or_default()
        .contains("Q: Which studio runs the pilot?\nA: The Lisbon studio"));
    let approved = registrations::approve(&mut t.p.fx.ws, pm, mine.id, None).expect("approve");
    let seen = portal::registration(&t.p.fx.ws, &t.a, mine.id).expect("view");
    assert_eq!(
        (seen.status.as_str(), seen.protected_until),
        ("approved", approved.registration.protected_until)
    );
    assert_eq!(seen.rate_bp, Some(2_500));

    portal::remove(&mut t.p.fx.ws, pm, "ANA@acme-resell.com").expect("remove");
    let gone =
        t.p.fx.refuses("has been removed", |ws| portal::register(ws, &a, form("Late Co", "late-co.io")));
    assert_eq!(gone.code(), "forbidden");
    assert!(portal::signed_in(&t.p.fx.ws, a.id).is_err());
    // Invited again, they are back.
    let back = portal::invite(&mut t.p.fx.ws, pm, a.partner_id, &a.email, None).expect("again");
    assert_eq!(back.id, a.id);
    assert!(portal::signed_in(&t.p.fx.ws, a.id).is_ok());
}

#[test]
fn earnings_and_statements_are_the_partners_own_and_files_match_the_managers_export() {
    let mut t = two_partners();
    at(&t.p, 2026, 3, 10);
    let deal = t.p.won_partner_deal("kitelabs.io");
    pay(&mut t.p, deal, 1_000_000, RevenueKind::Payment).expect("payment");
    let earnings = portal::earnings(&t.p.fx.ws, &t.a).expect("earnings");
    assert_eq!(earnings.entries.len(), 1);
    assert_eq!(
        (earnings.entries[0].standing.as_str(), earnings.entries[0].amount.minor),
        ("in holding", 250_000)
    );
    assert_eq!((earnings.totals[0].earned.minor, earnings.totals[0].in_holding.minor), (250_000, 250_000));
    assert!(portal::earnings(&t.p.fx.ws, &t.b).expect("b").entries.is_empty());

    at(&t.p, 2026, 5, 3);
    let pm = t.p.pm;
    let april = payouts::run(&mut t.p.fx.ws, pm, "2026-04").expect("april");
    let id: StatementId = april[0].statement.id;
    assert!(portal::statements(&t.p.fx.ws, &t.a).expect("list").is_empty(), "a draft is the program's own");
    assert_eq!(portal::statement(&t.p.fx.ws, &t.a, id).expect_err("draft").code(), "not_found");
    payouts::approve(&mut t.p.fx.ws, pm, id).expect("approve");
    let listed = portal::statements(&t.p.fx.ws, &t.a).expect("list");
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [id]);
    let view = portal::statement(&t.p.fx.ws, &t.a, id).expect("view");
    assert_eq!(view.total.minor, 250_000);
    assert_eq!(view.lines.iter().map(|l| l.amount.minor).sum::<i64>(), view.total.minor);
    let earnings = portal::earnings(&t.p.fx.ws, &t.a).expect("earnings");
    assert_eq!(earnings.entries[0].standing, "on a statement");
    assert_eq!(earnings.totals[0].on_statements.minor, 250_000);
    for format in [ExportFormat::Csv, ExportFormat::Pdf] {
        let file = portal::statement_file(&t.p.fx.ws, &t.a, id, format).expect("file");
        assert_eq!(file, payouts::export(&t.p.fx.ws, pm, id, format).expect("manager's"));
    }
    assert!(portal::statements(&t.p.fx.ws, &t.b).expect("b").is_empty());
    assert_eq!(portal::statement(&t.p.fx.ws, &t.b, id).expect_err("not theirs").code(), "not_found");
    assert_eq!(
        portal::statement_file(&t.p.fx.ws, &t.b, id, ExportFormat::Pdf).expect_err("not theirs").code(),
        "not_found"
    );

    let profile = portal::profile(&t.p.fx.ws, &t.a).expect("profile");
    assert_eq!(
        (profile.partner.as_str(), profile.tier.as_str(), profile.rate_bp),
        ("Acme Resellers", "reseller", Some(2_500))
    );
    assert_eq!(profile.partner_manager.as_deref(), Some("Pat Okoye"));
    assert_eq!((profile.protection_days, profile.holding_days), (90, 30));
}
