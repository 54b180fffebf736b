//! A partner's own people (the partner portal's users), and what the portal shows of
//! a partner's commission.

use crate::domain::{DealId, LedgerEntryId, PartnerId, PartnerUserId, TeamMemberId};
use crate::money::{Currency, Money};
use crate::store::{get_instant, get_opt_instant, instant_text};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PartnerUser {
    pub id: PartnerUserId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub email: String,
    pub name: Option<String>,
    pub invited_by: TeamMemberId,
    pub invited_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

const SELECT: &str =
    "SELECT u.id, u.partner_id, p.name AS partner_name, u.email, u.name, u.invited_by, u.invited_at,
                             u.removed_at
                      FROM partner_users u JOIN partners p ON p.id = u.partner_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<PartnerUser> {
    Ok(PartnerUser {
        id: row.get("id")?,
        partner_id: row.get("partner_id")?,
        partner_name: row.get("partner_name")?,
        email: row.get("email")?,
        name: row.get("name")?,
        invited_by: row.get("invited_by")?,
        invited_at: get_instant(row, "invited_at")?,
        removed_at: get_opt_instant(row, "removed_at")?,
    })
}

pub fn get(conn: &Connection, id: PartnerUserId) -> Result<Option<PartnerUser>> {
    Ok(conn.query_row(&format!("{SELECT} WHERE u.id = ?1"), [id], from_row).optional()?)
}

pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<PartnerUser>> {
    Ok(conn.query_row(&format!("{SELECT} WHERE u.email = ?1"), [email], from_row).optional()?)
}

pub fn list(conn: &Connection, partner: Option<PartnerId>) -> Result<Vec<PartnerUser>> {
    let mut stmt =
        conn.prepare(&format!("{SELECT} WHERE (?1 IS NULL OR u.partner_id = ?1) ORDER BY p.name, u.email"))?;
    let rows = stmt.query_map([partner], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert(
    conn: &Connection,
    partner: PartnerId,
    email: &str,
    name: Option<&str>,
    by: TeamMemberId,
    at: DateTime<Utc>,
) -> Result<PartnerUserId> {
    conn.execute(
        "INSERT INTO partner_users (partner_id, email, name, invited_by, invited_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![partner, email, name, by, instant_text(at)],
    )?;
    Ok(PartnerUserId(conn.last_insert_rowid()))
}

/// Invites a removed person again (same partner): they are back, and the invitation new.
pub fn reinstate(conn: &Connection, id: PartnerUserId, by: TeamMemberId, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE partner_users SET removed_at = NULL, invited_by = ?2, invited_at = ?3 WHERE id = ?1",
        params![id, by, instant_text(at)],
    )?;
    Ok(())
}

pub fn remove(conn: &Connection, id: PartnerUserId, at: DateTime<Utc>) -> Result<()> {
    conn.execute("UPDATE partner_users SET removed_at = ?2 WHERE id = ?1", params![id, instant_text(at)])?;
    Ok(())
}

/// A commission entry as its partner sees it, with the statement that holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Earning {
    pub id: LedgerEntryId,
    pub deal_id: DealId,
    pub deal_name: String,
    /// `accrual`, `clawback` or `reversal`.
    pub kind: String,
    pub amount: Money,
    pub accrued_on: NaiveDate,
    pub payable_on: NaiveDate,
    /// The statement holding it and that statement's status, if one does.
    pub statement_period: Option<String>,
    pub statement_status: Option<String>,
}

pub fn earnings(conn: &Connection, partner: PartnerId) -> Result<Vec<Earning>> {
    let mut stmt = conn.prepare(
        "SELECT l.id, l.deal_id, d.name, l.kind, l.amount_minor, l.currency, l.accrued_on, l.payable_on,
                s.period, s.status
         FROM commission_ledger l JOIN deals d ON d.id = l.deal_id
         LEFT JOIN statement_lines sl ON sl.ledger_entry_id = l.id
         LEFT JOIN payout_statements s ON s.id = sl.statement_id
         WHERE l.partner_id = ?1 ORDER BY l.accrued_on DESC, l.id DESC",
    )?;
    let rows = stmt.query_map([partner], |r| {
        let day = |i: usize| -> rusqlite::Result<NaiveDate> {
            let text: String = r.get(i)?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
            })
        };
        let code: String = r.get(5)?;
        Ok((
            r.get::<_, LedgerEntryId>(0)?,
            r.get::<_, DealId>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            code,
            day(6)?,
            day(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, Option<String>>(9)?,
        ))
    })?;
    let mut all = Vec::new();
    for row in rows {
        let (id, deal_id, deal_name, kind, minor, code, accrued_on, payable_on, period, status) = row?;
        let currency = Currency::parse("currency", &code)?;
        all.push(Earning {
            id,
            deal_id,
            deal_name,
            kind,
            amount: Money { amount_minor: minor, currency },
            accrued_on,
            payable_on,
            statement_period: period,
            statement_status: status,
        });
    }
    Ok(all)
}

/// Something a partner's person did through the portal, for the partner desk.
#[derive(Debug, Clone, Serialize)]
pub struct PortalActivity {
    pub at: DateTime<Utc>,
    pub email: String,
    /// The audit log's action (`registration.submit`, `registration.resubmit`).
    pub action: String,
    pub registration_id: Option<i64>,
    pub partner: Option<String>,
    pub company: Option<String>,
}

/// The latest things partners' people did through the portal, newest first.
pub fn portal_activity(conn: &Connection, limit: u32) -> Result<Vec<PortalActivity>> {
    let mut stmt = conn.prepare(
        "SELECT a.at, json_extract(a.detail, '$.portal_user'), a.action, a.entity_id, p.name, r.company_name
         FROM audit_log a
         LEFT JOIN registrations r ON a.entity = 'registration' AND r.id = a.entity_id
         LEFT JOIN partners p ON p.id = r.partner_id
         WHERE json_extract(a.detail, '$.portal_user') IS NOT NULL
         ORDER BY a.id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(PortalActivity {
            at: get_instant(r, "at")?,
            email: r.get(1)?,
            action: r.get(2)?,
            registration_id: r.get(3)?,
            partner: r.get(4)?,
            company: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
