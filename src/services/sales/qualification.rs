//! Setting BANT, the proof of concept and the negotiation checklist of a deal.

use crate::domain::{
    check_date_range, optional_text, BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealId,
    PocOutcome, TextKind,
};
use crate::services::policy::Principal;
use crate::services::Workspace;
use crate::store::qualification::{BantEntry, ChecklistEntry, ProofOfConcept};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::NaiveDate;

/// One BANT item to change; the note is replaced only when given.
#[derive(Debug, Clone)]
pub struct BantChange {
    pub item: BantItem,
    pub status: Option<BantStatus>,
    pub note: Option<String>,
}

pub fn set_bant(
    ws: &mut Workspace,
    who: Principal,
    deal: DealId,
    changes: Vec<BantChange>,
) -> Result<Vec<BantEntry>> {
    store::deals::get(ws.conn(), deal, ws.now())?;
    if changes.is_empty() {
        return Err(KeelError::invalid(
            "bant",
            "nothing to change: give a status or note for at least one item",
        ));
    }
    let mut entries = store::qualification::bant(ws.conn(), deal)?;
    for change in &changes {
        let field = format!("{}_note", change.item);
        let note = optional_text(&field, change.note.as_deref(), TextKind::Note)?;
        let entry = entries
            .iter_mut()
            .find(|e| e.item == change.item)
            .ok_or_else(|| KeelError::invalid("bant", "unknown item"))?;
        if let Some(status) = change.status {
            entry.status = status;
        }
        if change.note.is_some() {
            entry.note = note;
        }
    }
    ws.write_as(who, |tx, now| {
        store::qualification::save_bant(tx, deal, &entries, now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "deal.bant",
            "deal",
            deal.0,
            serde_json::to_value(&entries).unwrap_or_default(),
        )
    })?;
    store::qualification::bant(ws.conn(), deal)
}

/// Proof-of-concept fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PocChanges {
    pub scope: Option<String>,
    pub success_criteria: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub outcome: Option<PocOutcome>,
}

/// Records the proof of concept. The evaluation period must lie within the
/// workspace's bounds (30–60 days by default) once both dates are known.
pub fn set_poc(
    ws: &mut Workspace,
    who: Principal,
    deal: DealId,
    changes: PocChanges,
) -> Result<ProofOfConcept> {
    store::deals::get(ws.conn(), deal, ws.now())?;
    let mut poc = store::qualification::poc(ws.conn(), deal)?.unwrap_or_default();
    if let Some(scope) = changes.scope.as_deref() {
        poc.scope = optional_text("scope", Some(scope), TextKind::Note)?;
    }
    if let Some(criteria) = changes.success_criteria.as_deref() {
        poc.success_criteria = optional_text("success_criteria", Some(criteria), TextKind::Note)?;
    }
    if let Some(start) = changes.start_date {
        check_date_range("start_date", start)?;
        poc.start_date = Some(start);
    }
    if let Some(end) = changes.end_date {
        check_date_range("end_date", end)?;
        poc.end_date = Some(end);
    }
    if let Some(outcome) = changes.outcome {
        poc.outcome = Some(outcome);
    }
    if let (Some(start), Some(end)) = (poc.start_date, poc.end_date) {
        let bounds = crate::services::stage_rules::poc_bounds(&ws.settings()?);
        if let Some(problem) = bounds.problem(start, end) {
            return Err(KeelError::invalid("end_date", problem));
        }
    }
    ws.write_as(who, |tx, now| {
        store::qualification::save_poc(tx, deal, &poc, now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "deal.poc",
            "deal",
            deal.0,
            serde_json::to_value(&poc).unwrap_or_default(),
        )
    })?;
    store::qualification::poc(ws.conn(), deal)?.ok_or_else(|| KeelError::not_found("proof of concept", deal))
}

pub fn set_checklist_item(
    ws: &mut Workspace,
    who: Principal,
    deal: DealId,
    item: ChecklistItem,
    status: ChecklistStatus,
    on_date: Option<NaiveDate>,
) -> Result<Vec<ChecklistEntry>> {
    store::deals::get(ws.conn(), deal, ws.now())?;
    if let Some(date) = on_date {
        check_date_range("date", date)?;
    }
    let entry = ChecklistEntry {
        item,
        status,
        on_date: on_date.or_else(|| status.is_complete().then(|| ws.today())),
    };
    ws.write_as(who, |tx, now| {
        store::qualification::save_checklist_item(tx, deal, &entry, now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "deal.checklist",
            "deal",
            deal.0,
            serde_json::to_value(&entry).unwrap_or_default(),
        )
    })?;
    store::qualification::checklist(ws.conn(), deal)
}
