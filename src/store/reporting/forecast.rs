//! Quotas, forecast calls, and the open deals of a period by forecast category.

use crate::domain::{DealId, ForecastCategory, TeamMemberId};
use crate::money::Money;
use crate::store::{get_currency, get_instant, instant_text};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Quota {
    pub member_id: TeamMemberId,
    pub member_name: String,
    pub period: String,
    pub amount: Money,
    pub set_by: TeamMemberId,
    pub set_at: DateTime<Utc>,
}

fn quota_row(r: &Row<'_>) -> rusqlite::Result<Quota> {
    Ok(Quota {
        member_id: r.get("member_id")?,
        member_name: r.get("member_name")?,
        period: r.get("period")?,
        amount: Money { amount_minor: r.get("amount_minor")?, currency: get_currency(r, "currency")? },
        set_by: r.get("set_by")?,
        set_at: get_instant(r, "set_at")?,
    })
}

pub fn insert_quota(
    conn: &Connection,
    member: TeamMemberId,
    period: &str,
    amount: Money,
    by: TeamMemberId,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO quotas (member_id, period, amount_minor, currency, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![member, period, amount.amount_minor, amount.currency.code(), by, instant_text(at)],
    )?;
    Ok(())
}

/// The quotas in force (the latest per member and period), of one period or all.
pub fn quotas(conn: &Connection, period: Option<&str>) -> Result<Vec<Quota>> {
    quotas_until(conn, period, None)
}

/// The quotas in force at `until` (an instant as stored), or now.
pub fn quotas_until(conn: &Connection, period: Option<&str>, until: Option<&str>) -> Result<Vec<Quota>> {
    let mut stmt = conn.prepare(
        "SELECT q.member_id, m.name AS member_name, q.period, q.amount_minor, q.currency, q.set_by, q.set_at
         FROM quotas q JOIN team_members m ON m.id = q.member_id
         WHERE q.id IN (SELECT max(id) FROM quotas WHERE ?2 IS NULL OR set_at <= ?2 GROUP BY member_id, period)
           AND (?1 IS NULL OR q.period = ?1)
         ORDER BY q.period, m.name",
    )?;
    let rows = stmt.query_map(rusqlite::params![period, until], quota_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A member's call for a period, or a sales leader's adjustment of it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ForecastCall {
    pub member_id: TeamMemberId,
    pub period: String,
    /// `call` or `adjustment`.
    pub kind: String,
    pub amount: Money,
    /// The member's note, or the leader's reason.
    pub note: String,
    pub by: TeamMemberId,
    pub by_name: String,
    pub at: DateTime<Utc>,
}

/// A call or an adjustment to record.
pub struct NewCall<'a> {
    pub member: TeamMemberId,
    pub period: &'a str,
    /// `call` or `adjustment`.
    pub kind: &'a str,
    pub amount: Money,
    pub note: &'a str,
    pub by: TeamMemberId,
}

pub fn insert_call(conn: &Connection, call: &NewCall<'_>, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO forecast_calls (member_id, period, kind, amount_minor, currency, note, by_member, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            call.member,
            call.period,
            call.kind,
            call.amount.amount_minor,
            call.amount.currency.code(),
            call.note,
            call.by,
            instant_text(at)
        ],
    )?;
    Ok(())
}

/// Every call and adjustment of a period, oldest first.
pub fn calls(conn: &Connection, period: &str) -> Result<Vec<ForecastCall>> {
    let mut stmt = conn.prepare(
        "SELECT c.member_id, c.period, c.kind, c.amount_minor, c.currency, c.note, c.by_member, m.name AS by_name, c.at
         FROM forecast_calls c JOIN team_members m ON m.id = c.by_member
         WHERE c.period = ?1 ORDER BY c.id",
    )?;
    let rows = stmt.query_map([period], |r| {
        Ok(ForecastCall {
            member_id: r.get("member_id")?,
            period: r.get("period")?,
            kind: r.get("kind")?,
            amount: Money { amount_minor: r.get("amount_minor")?, currency: get_currency(r, "currency")? },
            note: r.get("note")?,
            by: r.get("by_member")?,
            by_name: r.get("by_name")?,
            at: get_instant(r, "at")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open deals expected to close within the dates, with their forecast category (the
/// owner's override, else the stage's).
pub fn open_categories(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<DealId, ForecastCategory>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, coalesce(d.forecast_override, s.forecast_category)
         FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE s.is_closed = 0 AND d.expected_close_date BETWEEN ?1 AND ?2",
    )?;
    let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
        Ok((r.get::<_, DealId>(0)?, r.get::<_, ForecastCategory>(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
