//! Targets per period: customers, enterprise deals won and ARR to reach by the end of
//! each period. The go-to-market document's KPI table gives five phases by default.

use crate::domain::{required_text, TextKind};
use crate::money::{Currency, Money};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::{self, targets::Target};
use crate::{KeelError, Result};
use chrono::{Months, NaiveDate};

/// The KPI table's phases: (name, first month, last month, customers, enterprise deals,
/// ARR in whole US dollars). The seed's "Months 37+" is taken as one year.
const PHASES: [(&str, u32, u32, i64, i64, i64); 5] = [
    ("Foundation", 1, 6, 5, 0, 0),
    ("Launch", 7, 12, 25, 1, 50_000),
    ("Growth", 13, 24, 100, 5, 500_000),
    ("Scale", 25, 36, 500, 25, 5_000_000),
    ("Leadership", 37, 48, 2_500, 100, 50_000_000),
];

/// The default phase targets for a program starting on `start` (month 1 begins there).
pub fn phase_targets(start: NaiveDate) -> Vec<Target> {
    PHASES
        .iter()
        .map(|&(name, first, last, customers, enterprise_deals, arr_dollars)| Target {
            name: name.to_string(),
            starts_on: start + Months::new(first - 1),
            ends_on: start + Months::new(last) - chrono::Days::new(1),
            customers,
            enterprise_deals,
            arr_minor: arr_dollars * 100,
            currency: "USD".to_string(),
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct TargetInput {
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub customers: Option<u32>,
    pub enterprise_deals: Option<u32>,
    /// A decimal amount in `currency` ("500000", "1,250,000.00").
    pub arr: Option<String>,
    /// Defaults to the reporting currency.
    pub currency: Option<String>,
}

pub fn list(ws: &Workspace, who: Principal) -> Result<Vec<Target>> {
    policy::reading(ws.conn(), who)?;
    store::targets::list(ws.conn())
}

/// Creates a target, or changes the named one (fields not given keep their value).
pub fn set(ws: &mut Workspace, who: Principal, input: TargetInput) -> Result<Target> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::LeadSales,
        "set targets",
    )?;
    let name = required_text("name", &input.name, TextKind::Line)?;
    let existing = list(ws, who)?.into_iter().find(|t| t.name.eq_ignore_ascii_case(&name));
    let currency = match (input.currency.as_deref(), &existing) {
        (Some(code), _) => Currency::parse("currency", code)?,
        (None, Some(t)) => Currency::parse("currency", &t.currency)?,
        (None, None) => crate::services::fx::reporting_currency(ws)?,
    };
    let arr_minor = match (input.arr.as_deref(), &existing) {
        (Some(text), _) => Money::parse("arr", text, currency)?.amount_minor,
        (None, Some(t)) if t.currency == currency.code() => t.arr_minor,
        (None, Some(_)) => {
            return Err(KeelError::invalid("arr", "is required when the currency changes"));
        }
        (None, None) => 0,
    };
    let starts_on = input.starts_on.or(existing.as_ref().map(|t| t.starts_on));
    let ends_on = input.ends_on.or(existing.as_ref().map(|t| t.ends_on));
    let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on) else {
        return Err(KeelError::invalid("starts_on", "a new target needs both a start and an end date"));
    };
    if ends_on < starts_on {
        return Err(KeelError::invalid("ends_on", format!("must not be before the start ({starts_on})")));
    }
    let target = Target {
        name,
        starts_on,
        ends_on,
        customers: input.customers.map(i64::from).or(existing.as_ref().map(|t| t.customers)).unwrap_or(0),
        enterprise_deals: input
            .enterprise_deals
            .map(i64::from)
            .or(existing.as_ref().map(|t| t.enterprise_deals))
            .unwrap_or(0),
        arr_minor,
        currency: currency.code().to_string(),
    };
    ws.write_as(who, |tx, now| {
        store::targets::upsert(tx, &target)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "target.set",
            "target",
            0,
            serde_json::json!({"before": existing, "after": target}),
        )
    })?;
    Ok(target)
}

/// Sets the five default phase targets from `start`, replacing targets of those names.
pub fn set_phases(ws: &mut Workspace, who: Principal, start: NaiveDate) -> Result<Vec<Target>> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::LeadSales,
        "set targets",
    )?;
    let phases = phase_targets(start);
    ws.write_as(who, |tx, now| {
        for target in &phases {
            store::targets::upsert(tx, target)?;
        }
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "target.phases",
            "target",
            0,
            serde_json::json!({"start": start.to_string()}),
        )
    })?;
    list(ws, who)
}

pub fn remove(ws: &mut Workspace, who: Principal, name: &str) -> Result<()> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::LeadSales,
        "remove targets",
    )?;
    ws.write_as(who, |tx, now| {
        if !store::targets::delete(tx, name)? {
            return Err(KeelError::not_found("target", name));
        }
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "target.remove",
            "target",
            0,
            serde_json::json!({"name": name}),
        )
    })
}
