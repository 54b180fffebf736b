//! Progress against targets. A target is a level to reach by the end of its period:
//! customers (accounts with a won deal), enterprise deals won (deals of enterprise
//! accounts), and ARR (the won value of new-business and expansion deals), each
//! counted over all won deals closed on or before the as-of date.

use crate::money::{div_round_half_even, Currency};
use crate::store::fx::RateTable;
use crate::store::targets::Target;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashSet;

/// A won deal as targets see it.
pub struct WonForTargets {
    pub day: i32,
    pub account_id: i64,
    pub enterprise: bool,
    /// Converted value when it counts towards ARR and converted; None otherwise.
    pub arr_value: Option<i128>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetProgress {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The earlier of the period's end, the report's end and today.
    pub as_of: NaiveDate,
    pub customers_target: i64,
    pub customers: i64,
    pub customers_progress_bp: Option<u32>,
    pub enterprise_deals_target: i64,
    pub enterprise_deals: i64,
    pub enterprise_deals_progress_bp: Option<u32>,
    /// In the reporting currency (converted at the latest rate when set in another);
    /// null when no rate is known for the target's currency.
    pub arr_target_minor: Option<i64>,
    pub arr_minor: i64,
    pub arr_progress_bp: Option<u32>,
}

/// `won` must be sorted by day; `targets` are (target, as-of day number, as-of date).
pub fn progress(
    won: &[WonForTargets],
    targets: &[(Target, i32, NaiveDate)],
    reporting: Currency,
    rates: &RateTable,
) -> Vec<TargetProgress> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| targets[i].1);
    let mut results: Vec<Option<TargetProgress>> = vec![None; targets.len()];
    let (mut customers, mut enterprise, mut arr) = (HashSet::new(), 0i64, 0i128);
    let mut next = 0;
    for i in order {
        let (target, as_of_day, as_of) = &targets[i];
        while next < won.len() && won[next].day <= *as_of_day {
            let deal = &won[next];
            if deal.account_id != 0 {
                customers.insert(deal.account_id); // 0: an imported deal with no account yet
            }
            enterprise += i64::from(deal.enterprise);
            arr += deal.arr_value.unwrap_or(0);
            next += 1;
        }
        let arr_target = convert_target(target, reporting, rates);
        results[i] = Some(TargetProgress {
            name: target.name.clone(),
            starts_on: target.starts_on,
            ends_on: target.ends_on,
            as_of: *as_of,
            customers_target: target.customers,
            customers: customers.len() as i64,
            customers_progress_bp: share(customers.len() as i128, i128::from(target.customers)),
            enterprise_deals_target: target.enterprise_deals,
            enterprise_deals: enterprise,
            enterprise_deals_progress_bp: share(i128::from(enterprise), i128::from(target.enterprise_deals)),
            arr_target_minor: arr_target.and_then(|t| i64::try_from(t).ok()),
            arr_minor: i64::try_from(arr).unwrap_or(i64::MAX),
            arr_progress_bp: arr_target.and_then(|t| share(arr, t)),
        });
    }
    results.into_iter().flatten().collect()
}

fn convert_target(target: &Target, reporting: Currency, rates: &RateTable) -> Option<i128> {
    if target.currency == reporting.code() {
        return Some(i128::from(target.arr_minor));
    }
    let currency = Currency::parse("currency", &target.currency).ok()?;
    rates.latest(&target.currency).map(|rate| rate.convert(target.arr_minor, currency, reporting))
}

/// Actual over target in basis points (may pass 10,000); None for a zero target.
fn share(actual: i128, target: i128) -> Option<u32> {
    (target > 0).then(|| u32::try_from(div_round_half_even(actual * 10_000, target)).unwrap_or(u32::MAX))
}
