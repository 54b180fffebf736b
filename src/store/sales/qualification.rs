//! BANT qualification, the proof of concept and the negotiation checklist of a deal.

use crate::domain::{BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealId, PocOutcome, TeamMemberId};
use crate::store::{day_text, get_instant, get_opt_day, instant_text};
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BantEntry {
    pub item: BantItem,
    pub status: BantStatus,
    pub note: Option<String>,
}

/// All four BANT items of a deal, in B-A-N-T order; unknown where never set.
pub fn bant(conn: &Connection, deal: DealId) -> Result<Vec<BantEntry>> {
    let row = conn
        .query_row(
            "SELECT budget_status, budget_note, authority_status, authority_note, need_status, need_note,
                    timeline_status, timeline_note
             FROM qualifications WHERE deal_id = ?1",
            [deal],
            |r| {
                Ok([
                    (r.get::<_, BantStatus>(0)?, r.get::<_, Option<String>>(1)?),
                    (r.get(2)?, r.get(3)?),
                    (r.get(4)?, r.get(5)?),
                    (r.get(6)?, r.get(7)?),
                ])
            },
        )
        .optional()?;
    let values = row.unwrap_or_else(|| std::array::from_fn(|_| (BantStatus::Unknown, None)));
    Ok(BantItem::ALL
        .iter()
        .zip(values)
        .map(|(&item, (status, note))| BantEntry { item, status, note })
        .collect())
}

/// Writes all four items at once; `entries` must hold each item exactly once.
pub fn save_bant(
    conn: &Connection,
    deal: DealId,
    entries: &[BantEntry],
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<()> {
    let of = |item: BantItem| entries.iter().find(|e| e.item == item);
    let status = |item| of(item).map_or(BantStatus::Unknown, |e| e.status);
    let note = |item| of(item).and_then(|e| e.note.clone());
    conn.prepare_cached(
        "INSERT INTO qualifications (deal_id, budget_status, budget_note, authority_status, authority_note,
                                     need_status, need_note, timeline_status, timeline_note, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(deal_id) DO UPDATE SET
           budget_status = excluded.budget_status, budget_note = excluded.budget_note,
           authority_status = excluded.authority_status, authority_note = excluded.authority_note,
           need_status = excluded.need_status, need_note = excluded.need_note,
           timeline_status = excluded.timeline_status, timeline_note = excluded.timeline_note,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )?
    .execute(params![
        deal,
        status(BantItem::Budget),
        note(BantItem::Budget),
        status(BantItem::Authority),
        note(BantItem::Authority),
        status(BantItem::Need),
        note(BantItem::Need),
        status(BantItem::Timeline),
        note(BantItem::Timeline),
        instant_text(at),
        by,
    ])?;
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProofOfConcept {
    pub scope: Option<String>,
    pub success_criteria: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub outcome: Option<PocOutcome>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub fn poc(conn: &Connection, deal: DealId) -> Result<Option<ProofOfConcept>> {
    Ok(conn
        .query_row(
            "SELECT scope, success_criteria, start_date, end_date, outcome, updated_at
             FROM proofs_of_concept WHERE deal_id = ?1",
            [deal],
            |r| {
                Ok(ProofOfConcept {
                    scope: r.get("scope")?,
                    success_criteria: r.get("success_criteria")?,
                    start_date: get_opt_day(r, "start_date")?,
                    end_date: get_opt_day(r, "end_date")?,
                    outcome: r.get("outcome")?,
                    updated_at: Some(get_instant(r, "updated_at")?),
                })
            },
        )
        .optional()?)
}

pub fn save_poc(
    conn: &Connection,
    deal: DealId,
    poc: &ProofOfConcept,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO proofs_of_concept (deal_id, scope, success_criteria, start_date, end_date, outcome, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(deal_id) DO UPDATE SET
           scope = excluded.scope, success_criteria = excluded.success_criteria, start_date = excluded.start_date,
           end_date = excluded.end_date, outcome = excluded.outcome, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by",
    )?
    .execute(params![
        deal,
        poc.scope,
        poc.success_criteria,
        poc.start_date.map(day_text),
        poc.end_date.map(day_text),
        poc.outcome.unwrap_or(PocOutcome::Pending),
        instant_text(at),
        by,
    ])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ChecklistEntry {
    pub item: ChecklistItem,
    pub status: ChecklistStatus,
    pub on_date: Option<NaiveDate>,
}

/// All six checklist items in playbook order; not-started where never set.
pub fn checklist(conn: &Connection, deal: DealId) -> Result<Vec<ChecklistEntry>> {
    let mut stmt =
        conn.prepare_cached("SELECT item, status, on_date FROM checklist_items WHERE deal_id = ?1")?;
    let stored: Vec<ChecklistEntry> = stmt
        .query_map([deal], |r| {
            Ok(ChecklistEntry {
                item: r.get("item")?,
                status: r.get("status")?,
                on_date: get_opt_day(r, "on_date")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ChecklistItem::ALL
        .iter()
        .map(|&item| {
            stored.iter().find(|e| e.item == item).cloned().unwrap_or(ChecklistEntry {
                item,
                status: ChecklistStatus::NotStarted,
                on_date: None,
            })
        })
        .collect())
}

pub fn save_checklist_item(
    conn: &Connection,
    deal: DealId,
    entry: &ChecklistEntry,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO checklist_items (deal_id, item, status, on_date, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(deal_id, item) DO UPDATE SET status = excluded.status, on_date = excluded.on_date,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )?
    .execute(params![
        deal,
        entry.item,
        entry.status,
        entry.on_date.map(day_text),
        instant_text(at),
        by
    ])?;
    Ok(())
}

/// Writes several checklist items of one deal in one statement (demo, import).
pub fn save_checklist(
    conn: &Connection,
    deal: DealId,
    entries: &[ChecklistEntry],
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..entries.len())
        .map(|i| format!("(?1, ?{}, ?{}, ?{}, ?2, ?3)", 4 + 3 * i, 5 + 3 * i, 6 + 3 * i))
        .collect();
    let sql = format!(
        "INSERT INTO checklist_items (deal_id, item, status, on_date, updated_at, updated_by) VALUES {}
         ON CONFLICT(deal_id, item) DO UPDATE SET status = excluded.status, on_date = excluded.on_date,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        rows.join(", ")
    );
    let at = instant_text(at);
    let dates: Vec<Option<String>> = entries.iter().map(|e| e.on_date.map(day_text)).collect();
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&deal, &at, &by];
    for (entry, date) in entries.iter().zip(&dates) {
        values.push(&entry.item);
        values.push(&entry.status);
        values.push(date);
    }
    conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
    Ok(())
}
