//! The per-group accumulator and the figures it yields. Every definition of a
//! figure lives in [`Tally::figures`]; the README quotes them.

use crate::money::div_round_half_even;
use crate::{KeelError, Result};
use serde::Serialize;

/// Sums over the deals of one group (the whole report, an owner, a month...).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    won: u64,
    lost: u64,
    /// Won deals whose value converted into the reporting currency.
    won_converted: u64,
    won_value: i128,
    cycle_days: Vec<i32>,
    open: u64,
    pipeline: i128,
    /// Σ converted amount × effective probability in basis points (rounded at the end).
    weighted_bp: i128,
    partner_sourced: i128,
    partner_influenced: i128,
    /// Deals counted whose amount is not known (they add to no money figure).
    without_amount: u64,
}

/// What a won deal adds: its converted value (None when no rate is known).
pub struct Won {
    pub value: Option<i128>,
    pub cycle_days: i32,
    pub from_registration: bool,
    pub partner_source: bool,
}

impl Tally {
    pub fn add_won(&mut self, won: &Won) {
        self.won += 1;
        self.cycle_days.push(won.cycle_days);
        if let Some(value) = won.value {
            self.won_converted += 1;
            self.won_value += value;
            if won.from_registration {
                self.partner_sourced += value;
            } else if won.partner_source {
                self.partner_influenced += value;
            }
        }
    }

    pub fn add_lost(&mut self) {
        self.lost += 1;
    }

    /// Notes a deal counted here whose amount is not known.
    pub fn add_without_amount(&mut self) {
        self.without_amount += 1;
    }

    /// An open deal: its converted amount (None when no rate) and effective probability.
    pub fn add_open(&mut self, value: Option<i128>, probability_bp: i64) {
        self.open += 1;
        if let Some(value) = value {
            self.pipeline += value;
            self.weighted_bp += value * i128::from(probability_bp);
        }
    }

    /// The exact weighted pipeline, in minor units × 10,000 (before its one rounding).
    pub fn weighted_exact(&self) -> i128 {
        self.weighted_bp
    }

    pub fn is_empty(&self) -> bool {
        self.won == 0 && self.lost == 0 && self.open == 0
    }

    pub fn figures(mut self) -> Result<Figures> {
        let closed = self.won + self.lost;
        let won = i128::from(self.won);
        let cycle_total: i128 = self.cycle_days.iter().map(|d| i128::from(*d)).sum();
        let median_cycle_days = median(&mut self.cycle_days);
        // Exact: open × (won value / converted wins) × (won / closed) / (cycle total / won).
        let sales_velocity = (self.won_converted > 0 && cycle_total > 0).then(|| {
            div_round_half_even(
                i128::from(self.open) * self.won_value * won * won,
                i128::from(self.won_converted) * i128::from(closed) * cycle_total,
            )
        });
        Ok(Figures {
            won_count: self.won,
            lost_count: self.lost,
            win_rate: (closed > 0).then(|| div_round_half_even(won * 10_000, i128::from(closed)) as u32),
            won_value_minor: minor("won_value_minor", self.won_value)?,
            avg_deal_size_minor: (self.won_converted > 0)
                .then(|| {
                    minor(
                        "avg_deal_size_minor",
                        div_round_half_even(self.won_value, i128::from(self.won_converted)),
                    )
                })
                .transpose()?,
            median_cycle_days,
            mean_cycle_days: (self.won > 0)
                .then(|| div_round_half_even(cycle_total * 100, won) as f64 / 100.0),
            open_count: self.open,
            pipeline_value_minor: minor("pipeline_value_minor", self.pipeline)?,
            weighted_pipeline_value_minor: minor(
                "weighted_pipeline_value_minor",
                div_round_half_even(self.weighted_bp, 10_000),
            )?,
            partner_sourced_revenue_minor: minor("partner_sourced_revenue_minor", self.partner_sourced)?,
            partner_influenced_revenue_minor: minor(
                "partner_influenced_revenue_minor",
                self.partner_influenced,
            )?,
            sales_velocity_minor_per_day: sales_velocity.map(|v| minor("sales_velocity", v)).transpose()?,
            deals_without_amount: self.without_amount,
        })
    }
}

/// The figures of one group. Money is minor units of the reporting currency; `win_rate`
/// is basis points; cycle lengths are days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Figures {
    pub won_count: u64,
    pub lost_count: u64,
    pub win_rate: Option<u32>,
    pub won_value_minor: i64,
    pub avg_deal_size_minor: Option<i64>,
    pub median_cycle_days: Option<f64>,
    pub mean_cycle_days: Option<f64>,
    pub open_count: u64,
    pub pipeline_value_minor: i64,
    pub weighted_pipeline_value_minor: i64,
    pub partner_sourced_revenue_minor: i64,
    pub partner_influenced_revenue_minor: i64,
    pub sales_velocity_minor_per_day: Option<i64>,
    /// Deals counted above (open, or won or lost in the period) whose amount is not
    /// known: in the counts and the win rate, in no money figure.
    pub deals_without_amount: u64,
}

/// Splits `total` (the rounded sum of `exact` / `scale`) into whole parts, one per
/// exact value, that add up to it: each part is its floor, and the units left over go
/// to the largest remainders (ties to the earlier part). So figures shown side by side
/// add up to the total shown with them, which is rounded once.
pub fn apportion(exact: &[i128], scale: i128, total: i128) -> Vec<i128> {
    let mut parts: Vec<i128> = exact.iter().map(|e| e.div_euclid(scale)).collect();
    // The floors lose less than one unit each, so 0 <= left <= parts when `total` is
    // the sum rounded; each of the `left` largest remainders gets one unit.
    let left = usize::try_from(total - parts.iter().sum::<i128>()).unwrap_or(0);
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(exact[i].rem_euclid(scale)), i));
    for &i in order.iter().take(left) {
        parts[i] += 1;
    }
    parts
}

/// The median of whole days: the middle one, or the mean of the two middle ones.
pub fn median(days: &mut [i32]) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    let mid = days.len() / 2;
    let (_, upper, _) = days.select_nth_unstable(mid);
    let upper = f64::from(*upper);
    if days.len() % 2 == 1 {
        return Some(upper);
    }
    let lower = days[..mid].iter().max().copied().map_or(upper, f64::from);
    Some((lower + upper) / 2.0)
}

fn minor(field: &str, value: i128) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| KeelError::invalid(field, "is beyond what Keel can report (more than 2^63 minor units)"))
}
