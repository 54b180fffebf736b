//! Payout statements and their lines.

use crate::domain::{
    LedgerEntryId, PartnerId, StatementId, StatementLineKind, StatementStatus, TeamMemberId,
};
use crate::money::Money;
use crate::store::{day_text, found, get_currency, get_instant, get_opt_day, get_opt_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Statement {
    pub id: StatementId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub period: String,
    pub status: StatementStatus,
    pub total: Money,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<TeamMemberId>,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    pub carried_into: Option<StatementId>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StatementLine {
    pub id: i64,
    pub kind: StatementLineKind,
    pub ledger_entry_id: Option<LedgerEntryId>,
    pub carried_statement_id: Option<StatementId>,
    /// For ledger lines: the deal and the day the revenue came in.
    pub deal_id: Option<i64>,
    pub deal_name: Option<String>,
    pub accrued_on: Option<NaiveDate>,
    pub base_minor: Option<i64>,
    pub rate_bp: Option<u32>,
    pub amount_minor: i64,
}

const SELECT: &str =
    "SELECT s.*, p.name AS partner_name FROM payout_statements s JOIN partners p ON p.id = s.partner_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Statement> {
    Ok(Statement {
        id: r.get("id")?,
        partner_id: r.get("partner_id")?,
        partner_name: r.get("partner_name")?,
        period: r.get("period")?,
        status: r.get("status")?,
        total: Money { amount_minor: r.get("total_minor")?, currency: get_currency(r, "currency")? },
        created_at: get_instant(r, "created_at")?,
        approved_at: get_opt_instant(r, "approved_at")?,
        approved_by: r.get("approved_by")?,
        paid_on: get_opt_day(r, "paid_on")?,
        paid_reference: r.get("paid_reference")?,
        carried_into: r.get("carried_into")?,
    })
}

pub fn get(conn: &Connection, id: StatementId) -> Result<Statement> {
    found(conn.query_row(&format!("{SELECT} WHERE s.id = ?1"), [id], from_row), "statement", id)
}

pub fn list(conn: &Connection, period: Option<&str>, partner: Option<PartnerId>) -> Result<Vec<Statement>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR s.period = ?1) AND (?2 IS NULL OR s.partner_id = ?2)
         ORDER BY s.period, p.name COLLATE NOCASE, s.currency"
    ))?;
    let rows = stmt.query_map(params![period, partner], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn lines(conn: &Connection, statement: StatementId) -> Result<Vec<StatementLine>> {
    let mut stmt = conn.prepare(
        "SELECT sl.id, sl.kind, sl.ledger_entry_id, sl.carried_statement_id, sl.amount_minor,
                l.deal_id, d.name AS deal_name, l.accrued_on, l.base_minor, l.rate_bp
         FROM statement_lines sl
         LEFT JOIN commission_ledger l ON l.id = sl.ledger_entry_id
         LEFT JOIN deals d ON d.id = l.deal_id
         WHERE sl.statement_id = ?1 ORDER BY sl.id",
    )?;
    let rows = stmt
        .query_map([statement], |r| {
            Ok(StatementLine {
                id: r.get("id")?,
                kind: r.get("kind")?,
                ledger_entry_id: r.get("ledger_entry_id")?,
                carried_statement_id: r.get("carried_statement_id")?,
                deal_id: r.get("deal_id")?,
                deal_name: r.get("deal_name")?,
                accrued_on: get_opt_day(r, "accrued_on")?,
                base_minor: r.get("base_minor")?,
                rate_bp: r.get("rate_bp")?,
                amount_minor: r.get("amount_minor")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The latest period that has any statement, to keep runs in order.
pub fn latest_period(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT max(period) FROM payout_statements", [], |r| r.get(0))?)
}

/// Removes a period's rebuildable statements (drafts, and carried ones not yet
/// carried forward), releasing their entries and any balance they carried in.
pub fn clear_rebuildable(conn: &Connection, period: &str) -> Result<()> {
    conn.execute(
        "UPDATE payout_statements SET carried_into = NULL
         WHERE carried_into IN (SELECT id FROM payout_statements WHERE period = ?1
                                AND (status = 'draft' OR (status = 'carried' AND carried_into IS NULL)))",
        [period],
    )?;
    conn.execute(
        "DELETE FROM statement_lines WHERE statement_id IN (SELECT id FROM payout_statements WHERE period = ?1
                                AND (status = 'draft' OR (status = 'carried' AND carried_into IS NULL)))",
        [period],
    )?;
    conn.execute(
        "DELETE FROM payout_statements WHERE period = ?1 AND (status = 'draft' OR (status = 'carried' AND carried_into IS NULL))",
        [period],
    )?;
    Ok(())
}

/// Whether a partner already has a kept (approved or paid) statement for the period.
pub fn has_statement(conn: &Connection, partner: PartnerId, currency: &str, period: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM payout_statements WHERE partner_id = ?1 AND currency = ?2 AND period = ?3)",
        params![partner, currency, period],
        |r| r.get(0),
    )?)
}

/// Carried statements of a partner and currency not yet carried forward.
pub fn open_carried(
    conn: &Connection,
    partner: PartnerId,
    currency: &str,
    before_period: &str,
) -> Result<Vec<Statement>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE s.partner_id = ?1 AND s.currency = ?2 AND s.status = 'carried' AND s.carried_into IS NULL
                    AND s.period < ?3 ORDER BY s.period"
    ))?;
    let rows = stmt
        .query_map(params![partner, currency, before_period], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Partners and currencies with carried balances waiting (they get a statement even
/// when nothing new is payable).
pub fn carried_pairs(conn: &Connection, before_period: &str) -> Result<Vec<(PartnerId, String)>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT partner_id, currency FROM payout_statements
         WHERE status = 'carried' AND carried_into IS NULL AND period < ?1 ORDER BY partner_id, currency",
    )?;
    let rows =
        stmt.query_map([before_period], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn insert_statement(
    conn: &Connection,
    partner: PartnerId,
    currency: &str,
    period: &str,
    status: StatementStatus,
    total_minor: i64,
    at: DateTime<Utc>,
) -> Result<StatementId> {
    conn.execute(
        "INSERT INTO payout_statements (partner_id, currency, period, status, total_minor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![partner, currency, period, status, total_minor, instant_text(at)],
    )?;
    Ok(StatementId(conn.last_insert_rowid()))
}

pub fn insert_line(
    conn: &Connection,
    statement: StatementId,
    kind: StatementLineKind,
    ledger_entry: Option<LedgerEntryId>,
    carried_statement: Option<StatementId>,
    amount_minor: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO statement_lines (statement_id, kind, ledger_entry_id, carried_statement_id, amount_minor)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![statement, kind, ledger_entry, carried_statement, amount_minor])?;
    Ok(())
}

pub fn mark_carried_into(conn: &Connection, carried: StatementId, into: StatementId) -> Result<()> {
    conn.execute("UPDATE payout_statements SET carried_into = ?2 WHERE id = ?1", params![carried, into])?;
    Ok(())
}

pub fn approve(conn: &Connection, id: StatementId, at: DateTime<Utc>, by: TeamMemberId) -> Result<()> {
    let changed = conn.execute(
        "UPDATE payout_statements SET status = 'approved', approved_at = ?2, approved_by = ?3 WHERE id = ?1 AND status = 'draft'",
        params![id, instant_text(at), by],
    )?;
    if changed == 0 {
        return Err(KeelError::NotAllowed(format!("statement {id} is not a draft")));
    }
    Ok(())
}

pub fn mark_paid(conn: &Connection, id: StatementId, on: NaiveDate, reference: &str) -> Result<()> {
    let changed = conn.execute(
        "UPDATE payout_statements SET status = 'paid', paid_on = ?2, paid_reference = ?3 WHERE id = ?1 AND status = 'approved'",
        params![id, day_text(on), reference],
    )?;
    if changed == 0 {
        return Err(KeelError::NotAllowed(format!("statement {id} is not approved")));
    }
    Ok(())
}

/// Owners of the deals behind a statement's lines, including the lines of every
/// balance it carries (and those carried into them): none of them may approve it.
pub fn deal_owners(conn: &Connection, statement: StatementId) -> Result<Vec<TeamMemberId>> {
    let mut stmt = conn.prepare(
        "WITH RECURSIVE held(id) AS (
             SELECT ?1
             UNION
             SELECT sl.carried_statement_id FROM statement_lines sl JOIN held h ON sl.statement_id = h.id
             WHERE sl.carried_statement_id IS NOT NULL
         )
         SELECT DISTINCT d.owner_id FROM statement_lines sl JOIN held h ON sl.statement_id = h.id
         JOIN commission_ledger l ON l.id = sl.ledger_entry_id JOIN deals d ON d.id = l.deal_id",
    )?;
    let rows = stmt.query_map([statement], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
