//! Exchange rates and the rates frozen on closed deals.

use crate::domain::TeamMemberId;
use crate::money::FxRate;
use crate::store::{day_text, instant_text, parse_day};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredRate {
    pub currency: String,
    pub quote: String,
    pub effective_on: NaiveDate,
    pub rate: FxRate,
}

/// Sets (or replaces) the rate of a pair from a date.
pub fn set(
    conn: &Connection,
    currency: &str,
    quote: &str,
    effective_on: NaiveDate,
    rate: FxRate,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<Option<FxRate>> {
    let previous = conn
        .query_row(
            "SELECT rate_e9 FROM fx_rates WHERE currency = ?1 AND quote = ?2 AND effective_on = ?3",
            params![currency, quote, day_text(effective_on)],
            |r| r.get::<_, i64>(0),
        )
        .map(FxRate)
        .ok();
    conn.execute(
        "INSERT INTO fx_rates (currency, quote, effective_on, rate_e9, set_at, set_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (currency, quote, effective_on)
         DO UPDATE SET rate_e9 = excluded.rate_e9, set_at = excluded.set_at, set_by = excluded.set_by",
        params![currency, quote, day_text(effective_on), rate.0, instant_text(at), by],
    )?;
    Ok(previous)
}

pub fn list(conn: &Connection, currency: Option<&str>) -> Result<Vec<StoredRate>> {
    let mut stmt = conn.prepare(
        "SELECT currency, quote, effective_on, rate_e9 FROM fx_rates
         WHERE ?1 IS NULL OR currency = ?1 ORDER BY currency, quote, effective_on",
    )?;
    let rows = stmt.query_map([currency], |r| {
        Ok(StoredRate {
            currency: r.get(0)?,
            quote: r.get(1)?,
            effective_on: parse_day(&r.get::<_, String>(2)?)?,
            rate: FxRate(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every rate into `quote`, by currency, oldest first: small enough to hold in memory.
#[derive(Debug, Default, Clone)]
pub struct RateTable {
    by_currency: HashMap<String, Vec<(String, FxRate)>>,
}

impl RateTable {
    pub fn load(conn: &Connection, quote: &str) -> Result<RateTable> {
        let mut stmt = conn.prepare(
            "SELECT currency, effective_on, rate_e9 FROM fx_rates WHERE quote = ?1 ORDER BY currency, effective_on",
        )?;
        let mut table = RateTable::default();
        let mut rows = stmt.query([quote])?;
        while let Some(row) = rows.next()? {
            table.by_currency.entry(row.get(0)?).or_default().push((row.get(1)?, FxRate(row.get(2)?)));
        }
        Ok(table)
    }

    /// The rate in force on `day` (a `YYYY-MM-DD` text): the latest one effective on or before it.
    pub fn on(&self, currency: &str, day: &str) -> Option<(&str, FxRate)> {
        let rates = self.by_currency.get(currency)?;
        let after = rates.partition_point(|(from, _)| from.as_str() <= day);
        after.checked_sub(1).map(|i| (rates[i].0.as_str(), rates[i].1))
    }

    /// The most recent rate, whatever its date: what open deals convert at.
    pub fn latest(&self, currency: &str) -> Option<FxRate> {
        self.by_currency.get(currency).and_then(|r| r.last()).map(|(_, rate)| *rate)
    }
}
