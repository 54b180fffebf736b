//! The reporting currency and dated exchange rates into it.

use crate::domain::TeamMemberId;
use crate::money::{Currency, FxRate};
use crate::services::Workspace;
use crate::store::{self, facts, fx::StoredRate, settings};
use crate::{KeelError, Result};
use chrono::NaiveDate;

/// The currency `keel metrics` reports in.
pub fn reporting_currency(ws: &Workspace) -> Result<Currency> {
    Currency::parse("reporting_currency", &settings::reporting_currency(ws.conn())?)
}

/// Changes the reporting currency. Closed deals convert at the rate frozen for the new
/// currency on their close date (or freeze one now), so every fact is rebuilt.
pub fn set_reporting_currency(ws: &mut Workspace, actor: TeamMemberId, code: &str) -> Result<Currency> {
    crate::services::policy::require(
        ws.conn(),
        actor,
        crate::services::policy::Capability::LeadSales,
        "change the reporting currency",
    )?;
    let currency = Currency::parse("reporting_currency", code)?;
    let before = reporting_currency(ws)?;
    if before == currency {
        return Ok(currency);
    }
    ws.write(|tx, now| {
        settings::set_reporting_currency(tx, currency.code())?;
        facts::rebuild_all(tx)?;
        crate::services::record(
            tx,
            now,
            Some(actor),
            "settings.reporting_currency",
            "settings",
            0,
            serde_json::json!({"before": before.code(), "after": currency.code()}),
        )
    })?;
    Ok(currency)
}

/// Sets the rate of `code` into the reporting currency from `effective_on`. Closed deals
/// that had no rate for their close date convert (and freeze) now; closed deals that
/// already converted keep their rate.
pub fn set_rate(
    ws: &mut Workspace,
    actor: TeamMemberId,
    code: &str,
    effective_on: NaiveDate,
    rate: &str,
) -> Result<StoredRate> {
    crate::services::policy::require(
        ws.conn(),
        actor,
        crate::services::policy::Capability::LeadSales,
        "set exchange rates",
    )?;
    let currency = Currency::parse("currency", code)?;
    let rate = FxRate::parse("rate", rate)?;
    let quote = reporting_currency(ws)?;
    if currency == quote {
        return Err(KeelError::invalid(
            "currency",
            format!("{currency} is the reporting currency; its rate is always 1"),
        ));
    }
    ws.write(|tx, now| {
        let previous =
            store::fx::set(tx, currency.code(), quote.code(), effective_on, rate, now, Some(actor))?;
        facts::mark_unconverted(tx, currency.code())?;
        crate::services::record(
            tx,
            now,
            Some(actor),
            "fx.set",
            "fx_rate",
            0,
            serde_json::json!({
                "currency": currency.code(), "quote": quote.code(),
                "effective_on": effective_on.to_string(),
                "rate": rate.to_string(), "previous": previous.map(|r| r.to_string()),
            }),
        )
    })?;
    Ok(StoredRate { currency: currency.code().into(), quote: quote.code().into(), effective_on, rate })
}

pub fn rates(ws: &Workspace, currency: Option<&str>) -> Result<Vec<StoredRate>> {
    let currency = currency.map(|c| Currency::parse("currency", c)).transpose()?;
    store::fx::list(ws.conn(), currency.map(|c| c.code()))
}
