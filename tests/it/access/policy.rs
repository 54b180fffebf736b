//! Who may do what, once per capability: each refusal names who may and writes nothing,
//! and the role that holds the capability gets through. The table the tests read is
//! the policy's own, so a role set changed there is a role set changed here.

use crate::partners::Program;
use keel::domain::{Role, StatementId};
use keel::services::payouts::{self, ExportFormat};
use keel::services::policy::{allows, Capability};
use keel::services::{fx, partners, pipeline, targets, team};

fn member(p: &mut Program, name: &str, role: Role) -> keel::services::policy::Principal {
    let leader = p.fx.leader;
    let id = team::add(
        &mut p.fx.ws,
        Some(leader),
        team::NewTeamMember { name: name.into(), role, ae_segment: None },
    )
    .expect("member")
    .id;
    p.fx.ws.authenticate(id).expect("a new member acts")
}

#[test]
fn every_capability_belongs_to_the_roles_the_program_and_the_seed_give_it() {
    use Role::*;
    let expected = [
        (Capability::ManageTeam, vec![SalesLeader]),
        (Capability::RunPartnerProgram, vec![PartnerManager, SalesLeader]),
        (Capability::ReadStatements, vec![PartnerManager, SalesLeader]),
        (Capability::LeadSales, vec![SalesLeader]),
        (Capability::OwnDeals, vec![AccountExecutive, SalesLeader]),
    ];
    for (capability, holders) in expected {
        for role in Role::ALL {
            assert_eq!(allows(*role, capability), holders.contains(role), "{role} and {capability:?}");
        }
    }
    assert_eq!(Capability::ALL.len(), 5, "a new capability gets its row above");
}

#[test]
fn only_a_sales_leader_adds_members_so_nobody_makes_themselves_one() {
    let mut p = Program::new();
    let (ae, pm) = (p.fx.ae, p.pm);
    for actor in [ae, pm] {
        p.fx.refuses("only a sales leader may add team members", |ws| {
            team::add(
                ws,
                Some(actor),
                team::NewTeamMember { name: "Mallory".into(), role: Role::SalesLeader, ae_segment: None },
            )
        });
    }
    let sdr = member(&mut p, "Sam Reyes", Role::Sdr);
    assert_eq!(team::get(&p.fx.ws, sdr.member()).expect("sdr").role, Role::Sdr, "the leader adds members");
    for actor in [ae, pm] {
        p.fx.refuses("only a sales leader may change roles", |ws| {
            team::set_role(ws, actor, actor.member(), Role::SalesLeader, None)
        });
        p.fx.refuses("only a sales leader may deactivate team members", |ws| {
            team::deactivate(ws, actor, sdr.member())
        });
    }
    // The team keeps someone who manages it: its only leader cannot step down or leave.
    let leader = p.fx.leader;
    p.fx.refuses("the team's only sales leader", |ws| {
        team::set_role(ws, leader, leader.member(), Role::AccountExecutive, None)
    });
    p.fx.refuses("the team's only sales leader", |ws| team::deactivate(ws, leader, leader.member()));
    team::set_role(&mut p.fx.ws, leader, sdr.member(), Role::AccountExecutive, None).expect("the leader may");
}

#[test]
fn payout_statements_are_the_programs_to_read() {
    let mut p = Program::new();
    let deal = p.won_partner_deal("kitelabs.io");
    crate::payouts::at(&p, 2026, 7, 2);
    crate::payouts::pay(&mut p, deal, 1_000_000, keel::domain::RevenueKind::Payment).expect("payment");
    crate::payouts::at(&p, 2026, 9, 2);
    let pm = p.pm;
    let statements = payouts::run(&mut p.fx.ws, pm, "2026-08").expect("run");
    let id: StatementId = statements[0].statement.id;
    let (ae, reseller) = (p.fx.ae, p.reseller);
    let engineer = member(&mut p, "Eli Santos", Role::SalesEngineer);
    for actor in [ae, engineer] {
        p.fx.refuses("only a partner manager or a sales leader may see payout statements", |ws| {
            payouts::list(ws, actor, None)
        });
        p.fx.refuses("may see payout statements", |ws| payouts::show(ws, actor, id));
        p.fx.refuses("may see payout statements", |ws| payouts::export(ws, actor, id, ExportFormat::Csv));
        p.fx.refuses("may see payout statements", |ws| payouts::for_partner(ws, actor, reseller));
        p.fx.refuses("only a partner manager or a sales leader may work the partner desk", |ws| {
            partners::desk(ws, actor)
        });
        // The partner page is everyone's; what the company owes the partner is not.
        let page = partners::view(&p.fx.ws, actor, reseller).expect("page");
        assert!(page.commission.is_empty() && page.statements.is_empty(), "no money for {actor:?}");
        assert!(!page.registrations.is_empty(), "the rest of the page is there");
    }
    let leader = p.fx.leader;
    for actor in [pm, leader] {
        assert_eq!(payouts::list(&p.fx.ws, actor, None).expect("list").len(), statements.len());
        let page = partners::view(&p.fx.ws, actor, reseller).expect("page");
        assert!(!page.commission.is_empty() && !page.statements.is_empty());
    }
}

#[test]
fn program_settings_rates_targets_and_exchange_rates_need_their_roles() {
    let mut p = Program::new();
    let (ae, reseller) = (p.fx.ae, p.reseller);
    let today = keel::clock::Clock::today(&p.fx.clock);
    p.fx.refuses("only a partner manager or a sales leader may change commission plans", |ws| {
        partners::set_rate(ws, ae, reseller, 2_200, today)
    });
    p.fx.refuses("only a partner manager or a sales leader may change partner program settings", |ws| {
        partners::set_program_setting(ws, ae, "review_within_hours", 24)
    });
    p.fx.refuses("only a partner manager or a sales leader may run payouts", |ws| {
        payouts::run(ws, ae, "2026-05")
    });
    let pm = p.pm;
    for actor in [ae, pm] {
        p.fx.refuses("only a sales leader may set targets", |ws| {
            targets::set(
                ws,
                actor,
                targets::TargetInput {
                    name: "FY27".into(),
                    starts_on: None,
                    ends_on: None,
                    customers: Some(10),
                    enterprise_deals: None,
                    arr: None,
                    currency: None,
                },
            )
        });
        p.fx.refuses("only a sales leader may set exchange rates", |ws| {
            fx::set_rate_as_typed(ws, actor, &crate::rate_form("EUR", today, "1.08"))
        });
        p.fx.refuses("only a sales leader may change the reporting currency", |ws| {
            fx::set_reporting_currency(ws, actor, "EUR")
        });
        p.fx.refuses("only a sales leader may tune pipeline stages", |ws| {
            let changes =
                pipeline::StageChanges { default_probability_bp: Some(5_000), stall_after_days: None };
            pipeline::update_stage(ws, actor, "Lead", changes)
        });
        p.fx.refuses("only a sales leader may change the proof-of-concept bounds", |ws| {
            ws.set_poc_bounds(actor, 14, 90)
        });
    }
    let leader = p.fx.leader;
    fx::set_rate_as_typed(&mut p.fx.ws, leader, &crate::rate_form("EUR", today, "1.08"))
        .expect("the leader sets rates");
    partners::set_program_setting(&mut p.fx.ws, pm, "review_within_hours", 24).expect("the manager tunes");
}

#[test]
fn a_converted_registration_goes_to_someone_who_carries_deals() {
    let mut p = Program::new();
    let (pm, ae) = (p.pm, p.fx.ae);
    let id = p.submit(p.reseller, "Summit Media", "summitmedia.com");
    keel::services::registrations::approve(&mut p.fx.ws, pm, id, None).expect("approve");
    p.fx.refuses(
        "only an account executive or a sales leader may own deals (Pat Okoye is partner manager)",
        |ws| keel::services::registrations::convert(ws, ae, id, Some(pm.member())),
    );
    let converted =
        keel::services::registrations::convert(&mut p.fx.ws, pm, id, Some(ae.member())).expect("to the AE");
    assert!(converted.registration.deal_id.is_some());
}

#[test]
fn a_principal_acts_for_an_active_member_only_reads_included() {
    let mut p = Program::new();
    let eli = member(&mut p, "Eli Santos", Role::AccountExecutive);
    let account = p.fx.account("Nova Games", "novagames.com");
    let input = p.fx.deal_input(account);
    keel::services::deals::create(&mut p.fx.ws, eli, input.clone()).expect("an active member writes");
    let query = keel::services::deals::DealQuery::default();
    assert_eq!(keel::services::deals::list(&p.fx.ws, eli, &query).expect("and reads").len(), 1);

    let leader = p.fx.leader;
    team::deactivate(&mut p.fx.ws, leader, eli.member()).expect("Eli leaves");
    // A principal authenticated before Eli left acts no more: not for a read, not for a write.
    let left = "Eli Santos has left the team and can no longer act";
    let refused = keel::services::deals::list(&p.fx.ws, eli, &query).expect_err("a read");
    assert!(refused.to_string().contains(left), "{refused}");
    let refused = keel::services::metrics::compute(&p.fx.ws, eli, &Default::default()).expect_err("a report");
    assert!(refused.to_string().contains(left), "{refused}");
    p.fx.refuses(left, |ws| keel::services::deals::create(ws, eli, input));
    // And no front door can authenticate them again.
    let again = p.fx.ws.authenticate(eli.member()).expect_err("authenticate");
    assert!(again.to_string().contains(left), "{again}");
    assert!(p.fx.ws.principal(Some("Eli Santos")).is_err(), "nor act as them by name");
}
