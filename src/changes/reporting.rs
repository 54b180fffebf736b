//! Reporting's changes: exchange rates and the reporting currency, targets, quotas and
//! forecast calls. Online only.

use super::{Applied, Change, Outcome};
use crate::domain::parse_date;
use crate::services::metrics::forecast;
use crate::services::policy::Principal;
use crate::services::{fx, targets, Workspace};
use crate::Result;

pub(super) fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
    Ok(match change {
        Change::FxRate { form } => {
            let stored = fx::set_rate_as_typed(ws, who, &form)?;
            Applied::with("fx_rates", 0, Outcome::Rate(stored))
        }
        Change::ReportingCurrency { currency } => {
            let currency = fx::set_reporting_currency(ws, who, &currency)?;
            Applied::with("settings", 0, Outcome::Currency(currency))
        }
        Change::TargetSet { form } => {
            targets::set(ws, who, form.read()?)?;
            Applied::of("targets", 0)
        }
        Change::TargetPhases { start } => {
            targets::set_phases(ws, who, parse_date("start", &start)?)?;
            Applied::of("targets", 0)
        }
        Change::TargetRemove { name } => {
            targets::remove(ws, who, &name)?;
            Applied::of("targets", 0)
        }
        Change::QuotaSet { member, period, amount, currency } => {
            let quota = forecast::set_quota(ws, who, member, &period, &amount, currency.as_deref())?;
            Applied::with("quotas", 0, Outcome::Quota(quota))
        }
        Change::ForecastCall { period, amount, note } => {
            let call = forecast::submit_call(ws, who, &period, &amount, &note)?;
            Applied::with("forecast_calls", 0, Outcome::Call(call))
        }
        Change::ForecastAdjust { member, period, amount, reason } => {
            let call = forecast::adjust_call(ws, who, member, &period, &amount, &reason)?;
            Applied::with("forecast_calls", 0, Outcome::Call(call))
        }
        other => return Err(super::not_here(&other)),
    })
}
