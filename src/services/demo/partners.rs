//! The demo's partner program: partners in every tier, registrations in every
//! state, commission on won partner deals, and payout statements built by the
//! payout service itself. Bounded in size, so the 1M-deal demo stays fast.

use crate::domain::{
    LedgerKind, PartnerCategory, PartnerId, PartnerStatus, PartnerTier, RegistrationStatus, RevenueKind,
    Role, TeamMemberId, UseCase,
};
use crate::money::{BasisPoints, Money};
use crate::services::{payouts, revenue::commission_on, Workspace};
use crate::store::partners::PartnerFields;
use crate::store::registrations::{NewRegistration, Review};
use crate::store::revenue::NewLedgerEntry;
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{DateTime, Datelike, Duration, Utc};

/// At most this many partner-sourced deals get a registration and its money trail.
const MAX_CONVERTED: u32 = 400;

const PARTNERS: &[(&str, &str, PartnerTier, PartnerCategory, u32)] = &[
    (
        "Northwind Resellers",
        "northwind-resellers.com",
        PartnerTier::Reseller,
        PartnerCategory::Reseller,
        2_500,
    ),
    ("Bluefin Systems", "bluefin-si.com", PartnerTier::Reseller, PartnerCategory::SystemIntegrator, 2_000),
    ("Copperleaf Agency", "copperleaf.agency", PartnerTier::Reseller, PartnerCategory::Agency, 3_000),
    ("Meridian Telecom", "meridian-telecom.com", PartnerTier::Strategic, PartnerCategory::Industry, 1_500),
    ("Unity Game Partners", "unity-gp.com", PartnerTier::Strategic, PartnerCategory::Ecosystem, 1_000),
    ("CloudForge", "cloudforge.io", PartnerTier::Technology, PartnerCategory::Technology, 0),
];

/// Prospects in the review queue and elsewhere in the registration life cycle.
const PROSPECTS: &[(&str, &str, RegistrationStatus, i64)] = &[
    ("Helix Arcade", "helixarcade.com", RegistrationStatus::Submitted, 1),
    ("Quasar Learning", "quasarlearning.com", RegistrationStatus::Submitted, 3),
    ("Tundra Social", "tundrasocial.app", RegistrationStatus::Submitted, 5),
    ("Pinnacle Support", "pinnaclesupport.com", RegistrationStatus::Submitted, 0),
    ("Ardent Streams", "ardentstreams.tv", RegistrationStatus::Approved, 20),
    ("Cinder Voice", "cindervoice.com", RegistrationStatus::Approved, 80),
    ("Basalt Meet", "basaltmeet.com", RegistrationStatus::Rejected, 30),
    ("Fjord Live", "fjordlive.com", RegistrationStatus::Returned, 6),
    ("Gale Games", "galegames.gg", RegistrationStatus::Expired, 150),
];

/// Adds the partner program to a freshly generated demo workspace.
pub(crate) fn generate(ws: &mut Workspace) -> Result<()> {
    let Some(manager) = store::team::first_with_role(ws.conn(), Role::PartnerManager)? else {
        return Ok(());
    };
    let holding = i64::from(crate::services::partners::program_settings(ws)?.holding_days);
    let first_payable = ws.write(|tx, now| {
        let partners = add_partners(tx, manager.id, now)?;
        add_prospects(tx, &partners, manager.id, now)?;
        convert_partner_deals(tx, &partners, manager.id, now, holding)
    })?;
    let manager = crate::services::policy::authenticate(ws.conn(), manager.id)?;
    pay_out_past_months(ws, manager, first_payable)
}

fn add_partners(
    tx: &rusqlite::Connection,
    manager: TeamMemberId,
    now: DateTime<Utc>,
) -> Result<Vec<(PartnerId, BasisPoints)>> {
    let since = now - Duration::days(800);
    PARTNERS
        .iter()
        .map(|&(name, domain, tier, category, rate_bp)| {
            let fields = PartnerFields {
                name,
                domain,
                category,
                tier,
                status: PartnerStatus::Active,
                certified_on: (tier != PartnerTier::Technology)
                    .then(|| since.date_naive() + Duration::days(30)),
                manager_id: Some(manager),
            };
            let id = store::partners::insert(tx, &fields, since)?;
            let rate = BasisPoints(rate_bp);
            store::partners::insert_plan(tx, id, rate, since.date_naive(), since, Some(manager))?;
            Ok((id, rate))
        })
        .collect()
}

fn add_prospects(
    tx: &rusqlite::Connection,
    partners: &[(PartnerId, BasisPoints)],
    manager: TeamMemberId,
    now: DateTime<Utc>,
) -> Result<()> {
    let usd = crate::money::Currency::parse("currency", "USD")?;
    for (i, &(company, domain, status, days_ago)) in PROSPECTS.iter().enumerate() {
        let (partner, rate) = partners[i % 3];
        let submitted = now - Duration::days(days_ago) - Duration::hours(2);
        let record = NewRegistration {
            partner_id: partner,
            company_name: company,
            domain,
            registrable_domain: domain,
            country: Some("US"),
            contact_name: Some("Jordan Lee"),
            contact_email: None,
            estimated_value: Money { amount_minor: 4_500_000 + 1_000_000 * i as i64, currency: usd },
            expected_close_date: (now + Duration::days(120)).date_naive(),
            use_case: Some(UseCase::ALL[i % UseCase::ALL.len()]),
            notes: None,
        };
        let id = store::registrations::insert(tx, &record, submitted, Some(manager))?;
        let reviewed = submitted + Duration::days(1);
        let review = |status, reason: Option<&'static str>, until| Review {
            status,
            at: reviewed,
            by: manager,
            decision_reason: reason,
            override_reason: None,
            plan_id: None,
            rate: matches!(status, RegistrationStatus::Approved).then_some(rate),
            protected_until: until,
        };
        match status {
            RegistrationStatus::Submitted => {}
            RegistrationStatus::Approved => store::registrations::review(
                tx,
                id,
                &review(status, None, Some(reviewed.date_naive() + Duration::days(90))),
            )?,
            RegistrationStatus::Expired => {
                store::registrations::review(
                    tx,
                    id,
                    &review(
                        RegistrationStatus::Approved,
                        None,
                        Some(reviewed.date_naive() + Duration::days(90)),
                    ),
                )?;
                store::registrations::set_status(tx, id, RegistrationStatus::Expired)?;
            }
            RegistrationStatus::Rejected => store::registrations::review(
                tx,
                id,
                &review(status, Some("Already in direct talks with our enterprise team"), None),
            )?,
            RegistrationStatus::Returned => store::registrations::review(
                tx,
                id,
                &review(status, Some("Which business unit and region?"), None),
            )?,
            RegistrationStatus::Converted => {}
        }
    }
    Ok(())
}

/// Registers, approves and converts the first partner-sourced deals, and books the
/// payment and commission of the won ones. Returns the first day any is payable.
fn convert_partner_deals(
    tx: &rusqlite::Connection,
    partners: &[(PartnerId, BasisPoints)],
    manager: TeamMemberId,
    now: DateTime<Utc>,
    holding_days: i64,
) -> Result<Option<chrono::NaiveDate>> {
    let earning: Vec<_> = partners.iter().filter(|(_, rate)| rate.0 > 0).copied().collect();
    let mut first_payable = None;
    for (i, deal) in store::deals::partner_sourced(tx, MAX_CONVERTED, now)?.into_iter().enumerate() {
        let (partner, rate) = earning[i % earning.len()];
        // Demo deals always have an account, an amount and a close date.
        let (Some(account), Some(amount), Some(expected_close_date)) =
            (deal.account_id, deal.amount, deal.expected_close_date)
        else {
            continue;
        };
        let account = store::accounts::get(tx, account)?;
        let Some(domain) = account.domain.as_deref() else { continue };
        let submitted = deal.created_at - Duration::days(2);
        let record = NewRegistration {
            partner_id: partner,
            company_name: &account.name,
            domain,
            registrable_domain: domain,
            country: account.region.as_deref(),
            contact_name: None,
            contact_email: None,
            estimated_value: amount,
            expected_close_date,
            use_case: Some(UseCase::ALL[i % UseCase::ALL.len()]),
            notes: None,
        };
        let id = store::registrations::insert(tx, &record, submitted, Some(manager))?;
        let plan = store::partners::plan_in_force(tx, partner, submitted.date_naive())?
            .ok_or_else(|| KeelError::NotAllowed("demo partner without a plan".into()))?;
        let approved = submitted + Duration::days(1);
        store::registrations::review(
            tx,
            id,
            &Review {
                status: RegistrationStatus::Approved,
                at: approved,
                by: manager,
                decision_reason: None,
                override_reason: None,
                plan_id: Some(plan.id),
                rate: Some(rate),
                protected_until: Some(approved.date_naive() + Duration::days(90)),
            },
        )?;
        store::registrations::mark_converted(tx, id, deal.id)?;
        let Some(closed_on) = deal.closed_on.filter(|_| deal.is_won) else { continue };
        if closed_on > now.date_naive() {
            continue;
        }
        let event = store::revenue::insert_event(
            tx,
            deal.id,
            RevenueKind::Payment,
            amount,
            closed_on,
            now,
            Some(manager),
        )?;
        let payable_on = closed_on + Duration::days(holding_days);
        let entry = NewLedgerEntry {
            partner_id: partner,
            registration_id: id,
            deal_id: deal.id,
            revenue_event_id: Some(event),
            reverses_id: None,
            kind: LedgerKind::Accrual,
            base_minor: amount.amount_minor,
            rate,
            amount: Money { amount_minor: commission_on(amount.amount_minor, rate), currency: deal.currency },
            accrued_on: closed_on,
            payable_on,
        };
        store::revenue::append_ledger(tx, &entry, now, Some(manager))?;
        first_payable = Some(first_payable.map_or(payable_on, |d: chrono::NaiveDate| d.min(payable_on)));
    }
    Ok(first_payable)
}

/// Runs every ended month's payouts through the payout service; all but the last
/// month are approved and paid, the last stays a draft for review.
fn pay_out_past_months(
    ws: &mut Workspace,
    manager: crate::services::policy::Principal,
    first_payable: Option<chrono::NaiveDate>,
) -> Result<()> {
    let Some(first) = first_payable else { return Ok(()) };
    let today = ws.today();
    let mut month = (first.year(), first.month());
    let last = if today.month() == 1 { (today.year() - 1, 12) } else { (today.year(), today.month() - 1) };
    while month <= last {
        let period = format!("{:04}-{:02}", month.0, month.1);
        let (_, period_end) = payouts::parse_period(&period)?;
        // Each month is run, approved and paid twelve days after it ends, as finance would.
        let paid_on = (period_end + Duration::days(12)).min(today);
        let at = paid_on.and_hms_opt(9, 0, 0).map_or(ws.now(), |t| t.and_utc()).min(ws.now());
        ws.as_of(at, |ws| {
            for view in payouts::run(ws, manager, &period)? {
                if month < last && view.statement.status == crate::domain::StatementStatus::Draft {
                    let reference = format!("DEMO-{period}-{}", view.statement.id);
                    payouts::approve(ws, manager, view.statement.id)?;
                    payouts::mark_paid(ws, manager, view.statement.id, &reference, Some(paid_on))?;
                }
            }
            Ok(())
        })?;
        month = if month.1 == 12 { (month.0 + 1, 1) } else { (month.0, month.1 + 1) };
    }
    Ok(())
}
