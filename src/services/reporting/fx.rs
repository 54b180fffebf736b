//! The reporting currency and dated exchange rates into it.

use crate::domain::parse_date;
use crate::money::{Currency, FxRate};
use crate::services::policy::{self, Capability, Principal};
use crate::services::Workspace;
use crate::store::{self, facts, fx::StoredRate, settings};
use crate::{KeelError, Result};
use chrono::NaiveDate;

/// The currency `keel metrics` reports in.
pub fn reporting_currency(ws: &Workspace) -> Result<Currency> {
    Currency::parse("reporting_currency", &settings::reporting_currency(ws.conn())?)
}

/// Changes the reporting currency. Closed deals convert at the rate frozen for the new
/// currency on their close date (or freeze one now), so every fact is rebuilt. Who may, and
/// what the currency was, are decided inside the write.
pub fn set_reporting_currency(ws: &mut Workspace, who: Principal, code: &str) -> Result<Currency> {
    let currency = Currency::parse("reporting_currency", code)?;
    ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::LeadSales, "change the reporting currency")?;
        let before = Currency::parse("reporting_currency", &settings::reporting_currency(tx)?)?;
        if before == currency {
            return Ok(());
        }
        settings::set_reporting_currency(tx, currency.code())?;
        facts::rebuild_all(tx)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "settings.reporting_currency",
            "settings",
            0,
            serde_json::json!({"before": before.code(), "after": currency.code()}),
        )
    })?;
    Ok(currency)
}

/// A rate into the reporting currency, typed.
#[derive(Debug, Clone, Copy)]
pub struct RateInput {
    pub currency: Currency,
    pub effective_on: NaiveDate,
    pub rate: FxRate,
}

/// A rate as people type it (the CLI's arguments, the settings screen's form), read once
/// here so both name the same field for the same mistake.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateForm {
    pub currency: String,
    /// `YYYY-MM-DD`: the first day the rate applies.
    pub effective_on: String,
    /// A decimal, up to 9 places ("1.0842").
    pub rate: String,
}

impl RateForm {
    /// The typed input, or the first field that cannot be read (in the form's order).
    pub fn read(&self) -> Result<RateInput> {
        Ok(RateInput {
            currency: Currency::parse("currency", &self.currency)?,
            effective_on: parse_date("effective_on", &self.effective_on)?,
            rate: FxRate::parse("rate", &self.rate)?,
        })
    }
}

/// [`set_rate`] from what people typed.
pub fn set_rate_as_typed(ws: &mut Workspace, who: Principal, form: &RateForm) -> Result<StoredRate> {
    set_rate(ws, who, form.read()?)
}

/// Sets the rate of a currency into the reporting currency from a day. Closed deals that
/// had no rate for their close date convert (and freeze) now; closed deals that already
/// converted keep their rate. Who may, and which currency reports, are decided inside the write.
pub fn set_rate(ws: &mut Workspace, who: Principal, input: RateInput) -> Result<StoredRate> {
    let RateInput { currency, effective_on, rate } = input;
    let quote = ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::LeadSales, "set exchange rates")?;
        let quote = Currency::parse("reporting_currency", &settings::reporting_currency(tx)?)?;
        if currency == quote {
            return Err(KeelError::invalid(
                "currency",
                format!("{currency} is the reporting currency; its rate is always 1"),
            ));
        }
        let previous =
            store::fx::set(tx, currency.code(), quote.code(), effective_on, rate, now, Some(who.member()))?;
        facts::mark_unconverted(tx, currency.code())?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "fx.set",
            "fx_rate",
            0,
            serde_json::json!({
                "currency": currency.code(), "quote": quote.code(),
                "effective_on": effective_on.to_string(),
                "rate": rate.to_string(), "previous": previous.map(|r| r.to_string()),
            }),
        )?;
        Ok(quote)
    })?;
    Ok(StoredRate { currency: currency.code().into(), quote: quote.code().into(), effective_on, rate })
}

pub fn rates(ws: &Workspace, who: Principal, currency: Option<&str>) -> Result<Vec<StoredRate>> {
    policy::reading(ws.conn(), who)?;
    let currency = currency.map(|c| Currency::parse("currency", c)).transpose()?;
    store::fx::list(ws.conn(), currency.map(|c| c.code()))
}
