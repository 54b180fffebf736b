//! Targets per period.

use crate::store::{day_text, parse_day};
use crate::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub customers: i64,
    pub enterprise_deals: i64,
    pub arr_minor: i64,
    pub currency: String,
}

/// Inserts, or replaces the target of the same name.
pub fn upsert(conn: &Connection, target: &Target) -> Result<()> {
    conn.execute(
        "INSERT INTO targets (name, starts_on, ends_on, customers, enterprise_deals, arr_minor, currency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (name) DO UPDATE SET starts_on = excluded.starts_on, ends_on = excluded.ends_on,
           customers = excluded.customers, enterprise_deals = excluded.enterprise_deals,
           arr_minor = excluded.arr_minor, currency = excluded.currency",
        params![
            target.name,
            day_text(target.starts_on),
            day_text(target.ends_on),
            target.customers,
            target.enterprise_deals,
            target.arr_minor,
            target.currency
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM targets WHERE name = ?1", [name])? > 0)
}

pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM targets", [])?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<Target>> {
    let mut stmt = conn.prepare(
        "SELECT name, starts_on, ends_on, customers, enterprise_deals, arr_minor, currency
         FROM targets ORDER BY starts_on, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Target {
            name: r.get(0)?,
            starts_on: parse_day(&r.get::<_, String>(1)?)?,
            ends_on: parse_day(&r.get::<_, String>(2)?)?,
            customers: r.get(3)?,
            enterprise_deals: r.get(4)?,
            arr_minor: r.get(5)?,
            currency: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
