//! Partners, tiers and their versioned commission plans; the program's settings.

use crate::domain::{
    check_date_range, normalize_domain, required_text, PartnerCategory, PartnerId, PartnerStatus,
    PartnerTier, RegistrationStatus, StatementStatus, TeamMemberId, TextKind,
};
use crate::money::{BasisPoints, Money};
use crate::services::policy::{self, Principal};
use crate::services::registrations::{self, RegistrationView};
use crate::services::Workspace;
use crate::store::deals::Deal;
use crate::store::partners::{CommissionPlan, Partner, PartnerFields};
use crate::store::payouts::Statement;
use crate::store::registrations::Registration;
use crate::store::revenue::CommissionBalance;
use crate::store::{self, settings};
use crate::{KeelError, Result};
use chrono::NaiveDate;
use serde::Serialize;

/// The partner program's tunables, with the seed's defaults.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProgramSettings {
    /// Days a registration is protected after approval, per tier.
    pub protection_days_technology: u32,
    pub protection_days_reseller: u32,
    pub protection_days_strategic: u32,
    /// The one extension a registration may get, in days.
    pub extension_days: u32,
    /// Days after a payment before its commission becomes payable.
    pub holding_days: u32,
    /// Smallest statement paid out, in major units of the reporting currency (other
    /// currencies convert it, or set their own `min_payout.<code>`).
    pub min_payout_major: u32,
    /// Hours a submitted registration may wait for review before it is flagged.
    pub review_within_hours: u32,
}

impl ProgramSettings {
    pub fn protection_days(&self, tier: PartnerTier) -> u32 {
        match tier {
            PartnerTier::Technology => self.protection_days_technology,
            PartnerTier::Reseller => self.protection_days_reseller,
            PartnerTier::Strategic => self.protection_days_strategic,
        }
    }
}

const PROGRAM_KEYS: [(&str, u32); 7] = [
    ("partner.protection_days.technology", 90),
    ("partner.protection_days.reseller", 90),
    ("partner.protection_days.strategic", 90),
    ("partner.extension_days", 60),
    ("partner.holding_days", 30),
    ("partner.min_payout_major", 50),
    ("partner.review_within_hours", 48),
];

pub fn program_settings(ws: &Workspace) -> Result<ProgramSettings> {
    let mut values = [0u32; 7];
    for (value, (key, default)) in values.iter_mut().zip(PROGRAM_KEYS) {
        *value = settings::get(ws.conn(), key)?.and_then(|v| v.parse().ok()).unwrap_or(default);
    }
    Ok(ProgramSettings {
        protection_days_technology: values[0],
        protection_days_reseller: values[1],
        protection_days_strategic: values[2],
        extension_days: values[3],
        holding_days: values[4],
        min_payout_major: values[5],
        review_within_hours: values[6],
    })
}

/// Sets one program setting by its short name (e.g. `holding_days`, `protection_days.reseller`).
pub fn set_program_setting(
    ws: &mut Workspace,
    who: Principal,
    name: &str,
    value: u32,
) -> Result<ProgramSettings> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "change partner program settings",
    )?;
    let key = match name.trim().strip_prefix("min_payout.") {
        Some(code) => currency_minimum_key(crate::money::Currency::parse(name, code)?),
        None => format!("partner.{}", name.trim()),
    };
    let per_currency = key.starts_with("partner.min_payout.");
    if !per_currency && !PROGRAM_KEYS.iter().any(|(k, _)| *k == key) {
        let names: Vec<&str> = PROGRAM_KEYS.iter().map(|(k, _)| k.trim_start_matches("partner.")).collect();
        return Err(KeelError::invalid(
            "setting",
            format!("'{name}' is not one of: {}, min_payout.<currency code>", names.join(", ")),
        ));
    }
    if value > 3_650 && !key.contains("min_payout") {
        return Err(KeelError::invalid(name, "must be at most 3650"));
    }
    ws.write_as(who, |tx, now| {
        settings::set(tx, &key, &value.to_string())?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "partner.settings",
            "settings",
            0,
            serde_json::json!({"key": key, "value": value}),
        )
    })?;
    program_settings(ws)
}

fn currency_minimum_key(currency: crate::money::Currency) -> String {
    format!("partner.min_payout.{}", currency.code())
}

/// A currency's own minimum payout, in its major units, if the program sets one
/// (`min_payout.JPY`); without one a statement's minimum is converted from the
/// reporting currency's (see `payouts`).
pub(crate) fn currency_minimum(
    conn: &rusqlite::Connection,
    currency: crate::money::Currency,
) -> Result<Option<u32>> {
    Ok(settings::get(conn, &currency_minimum_key(currency))?.and_then(|v| v.parse().ok()))
}

#[derive(Debug, Clone)]
pub struct PartnerInput {
    pub name: String,
    pub domain: String,
    pub category: Option<PartnerCategory>,
    pub tier: PartnerTier,
    /// Revenue share in basis points; required for resellers and strategic partners.
    pub share_bp: Option<i64>,
    pub status: Option<PartnerStatus>,
    pub certified_on: Option<NaiveDate>,
    pub manager_id: Option<TeamMemberId>,
}

/// Checks a rate against the tier's bounds (reseller 20–30 %, strategic 0–50 %,
/// technology none).
fn checked_rate(tier: PartnerTier, share_bp: Option<i64>) -> Result<BasisPoints> {
    let (lo, hi) = tier.rate_bounds();
    match (tier, share_bp) {
        (PartnerTier::Technology, None | Some(0)) => Ok(BasisPoints(0)),
        (PartnerTier::Technology, Some(_)) => {
            Err(KeelError::invalid("share", "technology partners have no revenue share"))
        }
        (_, None) => Err(KeelError::invalid("share", format!("is required for a {tier} partner"))),
        (_, Some(bp)) if bp < i64::from(lo) || bp > i64::from(hi) => Err(KeelError::invalid(
            "share",
            format!(
                "{} is outside the {tier} range {}–{}",
                BasisPoints::checked("share", bp)
                    .map(|b| b.to_string())
                    .unwrap_or_else(|_| format!("{bp} bp")),
                BasisPoints(lo),
                BasisPoints(hi)
            ),
        )),
        (_, Some(bp)) => Ok(BasisPoints(bp as u32)),
    }
}

pub fn add(ws: &mut Workspace, who: Principal, input: PartnerInput) -> Result<Partner> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "add partners",
    )?;
    let name = required_text("name", &input.name, TextKind::Line)?;
    let domain = normalize_domain("domain", &input.domain)?;
    let rate = checked_rate(input.tier, input.share_bp)?;
    if let Some(date) = input.certified_on {
        check_date_range("certified_on", date)?;
    }
    let manager_id = input.manager_id.unwrap_or(who.member());
    let manager = store::team::get(ws.conn(), manager_id)?;
    if !crate::services::policy::allows(manager.role, crate::services::policy::Capability::RunPartnerProgram)
    {
        return Err(KeelError::invalid(
            "manager",
            format!("{} is not a partner manager or sales leader", manager.name),
        ));
    }
    let category = input.category.unwrap_or(match input.tier {
        PartnerTier::Technology => PartnerCategory::Technology,
        _ => PartnerCategory::Reseller,
    });
    let today = ws.today();
    let id = ws.write_as(who, |tx, now| {
        let fields = PartnerFields {
            name: &name,
            domain: &domain,
            category,
            tier: input.tier,
            status: input.status.unwrap_or(PartnerStatus::Active),
            certified_on: input.certified_on,
            manager_id: Some(manager_id),
        };
        let id = store::partners::insert(tx, &fields, now)?;
        store::partners::insert_plan(tx, id, rate, today, now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "partner.add",
            "partner",
            id.0,
            serde_json::json!({
                "after": {"name": name, "domain": domain, "tier": input.tier.as_str(), "rate_bp": rate.0},
            }),
        )?;
        Ok(id)
    })?;
    store::partners::get(ws.conn(), id)
}

/// Adds a commission plan version: the new rate applies to registrations approved
/// from `effective_from` on; earlier approvals keep their locked rate.
pub fn set_rate(
    ws: &mut Workspace,
    who: Principal,
    partner: PartnerId,
    share_bp: i64,
    effective_from: NaiveDate,
) -> Result<Vec<CommissionPlan>> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "change commission plans",
    )?;
    let current = store::partners::get(ws.conn(), partner)?;
    let rate = checked_rate(current.tier, Some(share_bp))?;
    check_date_range("from", effective_from)?;
    if effective_from < ws.today() {
        return Err(KeelError::invalid(
            "from",
            format!("{effective_from} is in the past; a plan applies from today on"),
        ));
    }
    let before = store::partners::plan_in_force(ws.conn(), partner, effective_from)?.map(|p| p.rate.0);
    ws.write_as(who, |tx, now| {
        let plan = store::partners::insert_plan(tx, partner, rate, effective_from, now, Some(who.member()))?;
        crate::services::record(tx, now, Some(who.member()), "partner.rate", "partner", partner.0, serde_json::json!({
            "plan_id": plan, "before": {"rate_bp": before}, "after": {"rate_bp": rate.0, "effective_from": effective_from},
        }))
    })?;
    store::partners::plans(ws.conn(), partner)
}

pub fn set_status(
    ws: &mut Workspace,
    who: Principal,
    partner: PartnerId,
    status: PartnerStatus,
    certified_on: Option<NaiveDate>,
) -> Result<Partner> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "change a partner's status",
    )?;
    let before = store::partners::get(ws.conn(), partner)?;
    if let Some(date) = certified_on {
        check_date_range("certified_on", date)?;
    }
    let certified_on = certified_on.or(before.certified_on);
    ws.write_as(who, |tx, now| {
        store::partners::set_status(tx, partner, status, certified_on)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "partner.status",
            "partner",
            partner.0,
            serde_json::json!({
                "before": {"status": before.status.as_str(), "certified_on": before.certified_on},
                "after": {"status": status.as_str(), "certified_on": certified_on},
            }),
        )
    })?;
    store::partners::get(ws.conn(), partner)
}

pub fn find(ws: &Workspace, name: &str) -> Result<Partner> {
    store::partners::find_by_name(ws.conn(), name)?
        .ok_or_else(|| KeelError::not_found("partner", name.trim()))
}

#[derive(Debug, Clone, Serialize)]
pub struct PartnerSummary {
    pub partner: Partner,
    /// The rate in force today.
    pub rate: BasisPoints,
}

pub fn list(ws: &Workspace, who: Principal) -> Result<Vec<PartnerSummary>> {
    policy::reading(ws.conn(), who)?;
    let today = ws.today();
    store::partners::list(ws.conn())?
        .into_iter()
        .map(|partner| {
            let rate = store::partners::plan_in_force(ws.conn(), partner.id, today)?
                .map_or(BasisPoints(0), |p| p.rate);
            Ok(PartnerSummary { partner, rate })
        })
        .collect()
}

/// The partner page: plans, registrations, the deals they became, the revenue they
/// sourced and what Keel owes them.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerView {
    pub partner: Partner,
    pub rate: BasisPoints,
    pub plans: Vec<CommissionPlan>,
    pub registrations: Vec<Registration>,
    /// Deals converted from this partner's registrations, newest registration first.
    pub deals: Vec<Deal>,
    /// Won value of those deals, per currency (deal amounts, not collected revenue).
    pub sourced: Vec<Money>,
    /// What the company owes the partner, and its statements newest first: empty for
    /// those who may not see payout statements.
    pub commission: Vec<CommissionBalance>,
    pub statements: Vec<Statement>,
}

/// The partner page. What the company owes the partner (`commission`) is shown only
/// to those who may see payout statements; the rest of the page is everyone's.
pub fn view(ws: &Workspace, who: Principal, id: PartnerId) -> Result<PartnerView> {
    crate::services::policy::reading(ws.conn(), who)?;
    let sees_money = who.may(crate::services::policy::Capability::ReadStatements);
    let partner = store::partners::get(ws.conn(), id)?;
    let rate = store::partners::plan_in_force(ws.conn(), id, ws.today())?.map_or(BasisPoints(0), |p| p.rate);
    let registrations: Vec<Registration> =
        registrations::list_of(ws, None, Some(id))?.into_iter().map(|v| v.registration).collect();
    let deals = registrations
        .iter()
        .rev()
        .filter_map(|r| r.deal_id)
        .map(|deal| store::deals::get(ws.conn(), deal, ws.now()))
        .collect::<Result<Vec<Deal>>>()?;
    let mut sourced: Vec<Money> = Vec::new();
    // A won deal whose amount is not known adds nothing it could be wrong about.
    for amount in deals.iter().filter(|d| d.is_won).filter_map(|d| d.amount) {
        match sourced.iter_mut().find(|m| m.currency == amount.currency) {
            Some(sum) => sum.amount_minor += amount.amount_minor,
            None => sourced.push(amount),
        }
    }
    sourced.sort_by_key(|m| m.currency.code());
    Ok(PartnerView {
        plans: store::partners::plans(ws.conn(), id)?,
        commission: if sees_money { store::revenue::balances(ws.conn(), id)? } else { Vec::new() },
        statements: if sees_money { crate::services::payouts::for_partner(ws, who, id)? } else { Vec::new() },
        registrations,
        deals,
        sourced,
        partner,
        rate,
    })
}

/// Approved registrations whose protection ends within this many days are flagged
/// on the partner manager's desk.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// The partner manager's desk: what waits on them, most urgent first.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerDesk {
    /// Submitted registrations, oldest first (each says whether its review is overdue).
    pub to_review: Vec<RegistrationView>,
    /// Of those, the ones that collide with another partner or an open deal.
    pub conflicted: Vec<RegistrationView>,
    /// Approved registrations whose protection ends within [`EXPIRY_WARNING_DAYS`].
    pub expiring: Vec<RegistrationView>,
    /// Draft payout statements waiting for approval.
    pub statements_to_approve: Vec<Statement>,
    /// What partners' people did lately through the partner portal, newest first.
    pub portal_activity: Vec<store::partner_users::PortalActivity>,
}

pub fn desk(ws: &Workspace, who: Principal) -> Result<PartnerDesk> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "work the partner desk",
    )?;
    let to_review = registrations::list(ws, who, Some(RegistrationStatus::Submitted))?;
    let horizon = ws.today() + chrono::Duration::days(EXPIRY_WARNING_DAYS);
    let mut expiring: Vec<RegistrationView> =
        registrations::list(ws, who, Some(RegistrationStatus::Approved))?
            .into_iter()
            .filter(|r| r.registration.protected_until.is_some_and(|until| until <= horizon))
            .collect();
    expiring.sort_by_key(|r| r.registration.protected_until);
    let statements_to_approve = store::payouts::list(ws.conn(), None, None)?
        .into_iter()
        .filter(|s| s.status == StatementStatus::Draft)
        .collect();
    Ok(PartnerDesk {
        conflicted: to_review.iter().filter(|r| !r.conflicts.is_empty()).cloned().collect(),
        to_review,
        expiring,
        statements_to_approve,
        portal_activity: store::partner_users::portal_activity(ws.conn(), 20)?,
    })
}
