//! Reading whole tables out in id order for `keel export`, a row at a time so an
//! export of a million deals never holds them all.

use crate::domain::DealId;
use crate::money::{BasisPoints, Currency, Money};
use crate::store::{get_currency, get_instant};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row};

/// A table exported as text cells, in the order of `columns`.
pub struct TextTable {
    pub columns: &'static [&'static str],
    sql: &'static str,
}

pub const ACCOUNTS: TextTable = TextTable {
    columns: &["id", "name", "domain", "segment", "vertical", "region", "created_at"],
    sql: "SELECT id, name, domain, segment, vertical, region, created_at FROM accounts ORDER BY id",
};

pub const CONTACTS: TextTable = TextTable {
    columns: &["id", "name", "title", "email", "account", "account_domain", "created_at"],
    sql: "SELECT c.id, c.name, c.title, c.email, a.name, a.domain, c.created_at
          FROM contacts c JOIN accounts a ON a.id = c.account_id ORDER BY c.id",
};

pub const ACTIVITIES: TextTable = TextTable {
    columns: &[
        "id",
        "kind",
        "subject",
        "notes",
        "account",
        "account_domain",
        "deal_id",
        "owner",
        "due_date",
        "done_at",
        "created_at",
    ],
    sql:
        "SELECT x.id, x.kind, x.subject, x.notes, a.name, a.domain, x.deal_id, t.name, x.due_date, x.done_at,
                 x.created_at
          FROM activities x JOIN accounts a ON a.id = x.account_id JOIN team_members t ON t.id = x.owner_id
          ORDER BY x.id",
};

/// Calls `f` with each row's cells as text (`None` for NULL).
pub fn for_each_text_row(
    conn: &Connection,
    table: &TextTable,
    mut f: impl FnMut(Vec<Option<String>>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(table.sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let cells = (0..table.columns.len())
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => None,
                    rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                    rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    other => Some(format!("{other:?}")),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        f(cells)?;
    }
    Ok(())
}

pub struct ExportDeal {
    pub id: DealId,
    pub name: String,
    pub account: Option<String>,
    pub account_domain: Option<String>,
    pub owner: String,
    pub stage: String,
    /// None while the amount is not known.
    pub amount: Option<Money>,
    pub currency: Currency,
    pub probability_override: Option<BasisPoints>,
    pub forecast_override: Option<String>,
    pub expected_close_date: Option<String>,
    pub closed_on: Option<String>,
    pub loss_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub source: String,
    /// The lead source as the source system named it, when it said more than `source`.
    pub lead_source: Option<String>,
    pub deal_type: String,
}

pub struct ExportHistory {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub by: Option<String>,
    pub amount: Option<Money>,
    pub currency: Currency,
    pub probability: BasisPoints,
    pub reason: Option<String>,
}

fn deal_from_row(r: &Row<'_>) -> rusqlite::Result<ExportDeal> {
    Ok(ExportDeal {
        id: r.get("id")?,
        name: r.get("name")?,
        account: r.get("account")?,
        account_domain: r.get("account_domain")?,
        owner: r.get("owner")?,
        stage: r.get("stage")?,
        amount: r
            .get::<_, Option<i64>>("amount_minor")?
            .map(|amount_minor| get_currency(r, "currency").map(|currency| Money { amount_minor, currency }))
            .transpose()?,
        currency: get_currency(r, "currency")?,
        probability_override: r.get::<_, Option<u32>>("probability_override_bp")?.map(BasisPoints),
        forecast_override: r.get("forecast_override")?,
        expected_close_date: r.get("expected_close_date")?,
        closed_on: r.get("closed_on")?,
        loss_reason: r.get("loss_reason")?,
        created_at: get_instant(r, "created_at")?,
        source: r.get("source")?,
        lead_source: r.get("lead_source")?,
        deal_type: r.get("deal_type")?,
    })
}

/// Every deal with its stage history, by id. Two ordered scans merged side by side,
/// so a million deals cost two queries, not a million.
pub fn for_each_deal(
    conn: &Connection,
    mut f: impl FnMut(ExportDeal, Vec<ExportHistory>) -> Result<()>,
) -> Result<()> {
    let mut deals_stmt = conn.prepare(
        "SELECT d.id, d.name, a.name AS account, a.domain AS account_domain, t.name AS owner, s.name AS stage,
                d.amount_minor, d.currency, d.probability_override_bp, d.forecast_override, d.expected_close_date,
                d.closed_on, d.loss_reason, d.created_at, d.source, d.lead_source, d.deal_type
         FROM deals d LEFT JOIN accounts a ON a.id = d.account_id JOIN team_members t ON t.id = d.owner_id
         JOIN stages s ON s.id = d.stage_id ORDER BY d.id",
    )?;
    let mut history_stmt = conn.prepare(
        "SELECT h.deal_id, h.changed_at, f.name, s.name, t.name, h.amount_minor, h.currency, h.probability_bp,
                h.override_reason
         FROM stage_history h JOIN stages s ON s.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id
         LEFT JOIN team_members t ON t.id = h.changed_by ORDER BY h.deal_id, h.id",
    )?;
    let mut history_rows = history_stmt.query([])?;
    let mut pending: Option<(DealId, ExportHistory)> = None;
    let next_history = |rows: &mut rusqlite::Rows<'_>| -> rusqlite::Result<Option<(DealId, ExportHistory)>> {
        let Some(r) = rows.next()? else { return Ok(None) };
        Ok(Some((
            r.get(0)?,
            ExportHistory {
                at: get_instant(r, "changed_at")?,
                from: r.get(2)?,
                to: r.get(3)?,
                by: r.get(4)?,
                amount: r
                    .get::<_, Option<i64>>(5)?
                    .map(|amount_minor| {
                        get_currency(r, "currency").map(|currency| Money { amount_minor, currency })
                    })
                    .transpose()?,
                currency: get_currency(r, "currency")?,
                probability: BasisPoints(r.get(7)?),
                reason: r.get(8)?,
            },
        )))
    };
    pending = pending.or(next_history(&mut history_rows)?);
    let mut deals = deals_stmt.query([])?;
    while let Some(row) = deals.next()? {
        let deal = deal_from_row(row)?;
        let mut history = Vec::new();
        while let Some((deal_id, _)) = &pending {
            if *deal_id > deal.id {
                break;
            }
            if let Some((deal_id, entry)) = pending.take() {
                if deal_id == deal.id {
                    history.push(entry);
                }
            }
            pending = next_history(&mut history_rows)?;
        }
        f(deal, history)?;
    }
    Ok(())
}
