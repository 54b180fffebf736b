//! Revenue collected on deals and the commission ledger it feeds.

use crate::domain::{
    DealId, LedgerEntryId, LedgerKind, PartnerId, RegistrationId, RevenueEventId, RevenueKind, TeamMemberId,
};
use crate::money::{BasisPoints, Currency, Money};
use crate::store::{day_text, get_currency, get_day, get_instant, instant_text};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RevenueEvent {
    pub id: RevenueEventId,
    pub deal_id: DealId,
    pub kind: RevenueKind,
    pub amount: Money,
    pub occurred_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

pub fn insert_event(
    conn: &Connection,
    deal: DealId,
    kind: RevenueKind,
    amount: Money,
    occurred_on: NaiveDate,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<RevenueEventId> {
    conn.execute(
        "INSERT INTO revenue_events (deal_id, kind, amount_minor, currency, occurred_on, recorded_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![deal, kind, amount.amount_minor, amount.currency.code(), day_text(occurred_on), instant_text(at), by],
    )?;
    Ok(RevenueEventId(conn.last_insert_rowid()))
}

pub fn events_for_deal(conn: &Connection, deal: DealId) -> Result<Vec<RevenueEvent>> {
    let mut stmt = conn.prepare(
        "SELECT id, deal_id, kind, amount_minor, currency, occurred_on, recorded_at FROM revenue_events
         WHERE deal_id = ?1 ORDER BY occurred_on, id",
    )?;
    let rows = stmt
        .query_map([deal], |r| {
            Ok(RevenueEvent {
                id: r.get("id")?,
                deal_id: r.get("deal_id")?,
                kind: r.get("kind")?,
                amount: Money {
                    amount_minor: r.get("amount_minor")?,
                    currency: get_currency(r, "currency")?,
                },
                occurred_on: get_day(r, "occurred_on")?,
                recorded_at: get_instant(r, "recorded_at")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Payments minus refunds collected on a deal, in minor units of its currency.
pub fn net_collected(conn: &Connection, deal: DealId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(CASE kind WHEN 'payment' THEN amount_minor ELSE -amount_minor END), 0)
         FROM revenue_events WHERE deal_id = ?1",
        [deal],
        |r| r.get(0),
    )?)
}

/// Net collected on a deal (payments minus refunds) by the end of `day`, and the lowest
/// net at the end of any later day with revenue: a refund dated `day` may take back no
/// more than either, so no day ever shows more refunded than collected.
pub fn net_collected_by(conn: &Connection, deal: DealId, from: NaiveDate) -> Result<(i64, Option<i64>)> {
    let mut stmt = conn.prepare(
        "SELECT occurred_on, sum(CASE kind WHEN 'payment' THEN amount_minor ELSE -amount_minor END)
         FROM revenue_events WHERE deal_id = ?1 GROUP BY occurred_on ORDER BY occurred_on",
    )?;
    let from = day_text(from);
    let (mut running, mut at_from, mut lowest_later) = (0i64, 0i64, i64::MAX);
    let mut rows = stmt.query([deal])?;
    while let Some(row) = rows.next()? {
        let day: String = row.get(0)?;
        running += row.get::<_, i64>(1)?;
        if day <= from {
            at_from = running;
        } else {
            lowest_later = lowest_later.min(running);
        }
    }
    Ok((at_from, (lowest_later != i64::MAX).then_some(lowest_later)))
}

/// Commission written so far for a deal by its payments and refunds (reversals, the
/// manual corrections, are apart).
pub fn revenue_commission(conn: &Connection, deal: DealId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(amount_minor), 0) FROM commission_ledger
         WHERE deal_id = ?1 AND kind IN ('accrual', 'clawback')",
        [deal],
        |r| r.get(0),
    )?)
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub partner_id: PartnerId,
    pub registration_id: RegistrationId,
    pub deal_id: DealId,
    pub revenue_event_id: Option<RevenueEventId>,
    pub reverses_id: Option<LedgerEntryId>,
    pub kind: LedgerKind,
    /// The revenue the commission was computed on (negative for a refund).
    pub base_minor: i64,
    pub rate: BasisPoints,
    pub amount: Money,
    pub accrued_on: NaiveDate,
    pub payable_on: NaiveDate,
}

pub struct NewLedgerEntry {
    pub partner_id: PartnerId,
    pub registration_id: RegistrationId,
    pub deal_id: DealId,
    pub revenue_event_id: Option<RevenueEventId>,
    pub reverses_id: Option<LedgerEntryId>,
    pub kind: LedgerKind,
    pub base_minor: i64,
    pub rate: BasisPoints,
    pub amount: Money,
    pub accrued_on: NaiveDate,
    pub payable_on: NaiveDate,
}

pub fn append_ledger(
    conn: &Connection,
    e: &NewLedgerEntry,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<LedgerEntryId> {
    conn.execute(
        "INSERT INTO commission_ledger (partner_id, registration_id, deal_id, revenue_event_id, reverses_id, kind,
                                        base_minor, rate_bp, amount_minor, currency, accrued_on, payable_on,
                                        created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            e.partner_id,
            e.registration_id,
            e.deal_id,
            e.revenue_event_id,
            e.reverses_id,
            e.kind,
            e.base_minor,
            e.rate.0,
            e.amount.amount_minor,
            e.amount.currency.code(),
            day_text(e.accrued_on),
            day_text(e.payable_on),
            instant_text(at),
            by,
        ],
    )?;
    Ok(LedgerEntryId(conn.last_insert_rowid()))
}

const LEDGER_SELECT: &str =
    "SELECT id, partner_id, registration_id, deal_id, revenue_event_id, reverses_id, kind,
                                    base_minor, rate_bp, amount_minor, currency, accrued_on, payable_on
                             FROM commission_ledger";

fn ledger_from_row(r: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.get("id")?,
        partner_id: r.get("partner_id")?,
        registration_id: r.get("registration_id")?,
        deal_id: r.get("deal_id")?,
        revenue_event_id: r.get("revenue_event_id")?,
        reverses_id: r.get("reverses_id")?,
        kind: r.get("kind")?,
        base_minor: r.get("base_minor")?,
        rate: BasisPoints(r.get("rate_bp")?),
        amount: Money { amount_minor: r.get("amount_minor")?, currency: get_currency(r, "currency")? },
        accrued_on: get_day(r, "accrued_on")?,
        payable_on: get_day(r, "payable_on")?,
    })
}

pub fn ledger_for_partner(conn: &Connection, partner: PartnerId) -> Result<Vec<LedgerEntry>> {
    let mut stmt = conn.prepare(&format!("{LEDGER_SELECT} WHERE partner_id = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([partner], ledger_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn ledger_for_deal(conn: &Connection, deal: DealId) -> Result<Vec<LedgerEntry>> {
    let mut stmt = conn.prepare(&format!("{LEDGER_SELECT} WHERE deal_id = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([deal], ledger_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Entries payable on or before `up_to` that no statement holds yet, by partner,
/// currency and id: what a payout run gathers.
pub fn payable_unassigned(conn: &Connection, up_to: NaiveDate) -> Result<Vec<LedgerEntry>> {
    let mut stmt = conn.prepare(&format!(
        "{LEDGER_SELECT} WHERE payable_on <= ?1
           AND id NOT IN (SELECT ledger_entry_id FROM statement_lines WHERE ledger_entry_id IS NOT NULL)
         ORDER BY partner_id, currency, id"
    ))?;
    let rows = stmt.query_map([day_text(up_to)], ledger_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A partner's commission in one currency. Every entry is in exactly one of paid,
/// carried and owed, so `accrued = paid + carried + owed`. An entry on a statement that
/// was carried forward counts where its carry chain ends: paid once the statement that
/// carries it is paid, carried while the chain ends in a carried balance.
#[derive(Debug, Clone, Serialize)]
pub struct CommissionBalance {
    pub currency: Currency,
    pub accrued_minor: i64,
    pub paid_minor: i64,
    /// On a balance under the minimum (or negative) that no later statement holds yet.
    pub carried_minor: i64,
    /// Not on any statement yet, or on a draft or approved one.
    pub owed_minor: i64,
}

pub fn balances(conn: &Connection, partner: PartnerId) -> Result<Vec<CommissionBalance>> {
    let mut stmt = conn.prepare(
        "WITH RECURSIVE chain(start_id, at_id) AS (
             SELECT id, id FROM payout_statements WHERE partner_id = ?1
             UNION ALL
             SELECT c.start_id, s.carried_into FROM chain c JOIN payout_statements s ON s.id = c.at_id
             WHERE s.carried_into IS NOT NULL
         ),
         ends AS (
             SELECT c.start_id AS statement_id, s.status FROM chain c JOIN payout_statements s ON s.id = c.at_id
             WHERE s.carried_into IS NULL
         )
         SELECT l.currency, sum(l.amount_minor) AS accrued,
                coalesce(sum(CASE WHEN e.status = 'paid' THEN l.amount_minor END), 0) AS paid,
                coalesce(sum(CASE WHEN e.status = 'carried' THEN l.amount_minor END), 0) AS carried,
                coalesce(sum(CASE WHEN e.status IS NULL OR e.status IN ('draft', 'approved')
                                  THEN l.amount_minor END), 0) AS owed
         FROM commission_ledger l
         LEFT JOIN statement_lines sl ON sl.ledger_entry_id = l.id
         LEFT JOIN ends e ON e.statement_id = sl.statement_id
         WHERE l.partner_id = ?1 GROUP BY l.currency ORDER BY l.currency",
    )?;
    let rows = stmt
        .query_map([partner], |r| {
            Ok(CommissionBalance {
                currency: get_currency(r, "currency")?,
                accrued_minor: r.get("accrued")?,
                paid_minor: r.get("paid")?,
                carried_minor: r.get("carried")?,
                owed_minor: r.get("owed")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn ledger_entry(conn: &Connection, id: LedgerEntryId) -> Result<LedgerEntry> {
    crate::store::found(
        conn.query_row(&format!("{LEDGER_SELECT} WHERE id = ?1"), [id], ledger_from_row),
        "ledger entry",
        id,
    )
}

/// The reversal written for an entry, if any (an entry is reversed at most once).
pub fn reversal_of(conn: &Connection, id: LedgerEntryId) -> Result<Option<LedgerEntryId>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT id FROM commission_ledger WHERE reverses_id = ?1", [id], |r| r.get(0))
        .optional()?)
}
