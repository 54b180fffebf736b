//! `keel import revert`: removes exactly what an import created and puts back what
//! it updated, refusing (and changing nothing) when something has been built on
//! the import since: a later import of the same records, a deal moved or edited,
//! a contact or activity added to an imported account.

use crate::domain::{DealId, ImportAction, ImportBatchId, ImportEntity, TeamMemberId};
use crate::services::policy::Principal;
use crate::services::Workspace;
use crate::store::imports::{self, Change, ImportBatch};
use crate::store::{self};
use crate::{KeelError, Result};
use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct RevertReport {
    pub batch: i64,
    pub removed: u64,
    pub restored: u64,
}

pub fn revert(ws: &mut Workspace, who: Principal, id: ImportBatchId) -> Result<RevertReport> {
    let batch = imports::get_batch(ws.conn(), id)?;
    if let Some(at) = batch.reverted_at {
        return Err(KeelError::NotAllowed(format!(
            "import {id} was already reverted on {}",
            at.date_naive()
        )));
    }
    if let Some(later) = imports::later_overlapping_batch(ws.conn(), id)? {
        return Err(KeelError::NotAllowed(format!(
            "import {later}, made after import {id}, changed the same records; revert import {later} first"
        )));
    }
    let changes = imports::changes(ws.conn(), id)?;
    ws.write_as(who, |tx, now| {
        let mut report = RevertReport { batch: id.0, ..RevertReport::default() };
        for change in &changes {
            match change.action {
                ImportAction::Created => {
                    if remove_created(tx, &batch, change)? {
                        report.removed += 1;
                    }
                }
                ImportAction::Updated => {
                    restore_updated(tx, id, change, now, who.member())?;
                    report.restored += 1;
                }
            }
        }
        imports::remove_externals_of_batch(tx, id)?;
        imports::mark_reverted(tx, id, now, who.member())?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "import.revert",
            "import",
            id.0,
            serde_json::json!({"removed": report.removed, "restored": report.restored}),
        )?;
        Ok(report)
    })
}

fn describe(change: &Change) -> String {
    let line = change.line.map(|l| format!(", line {l} of the file")).unwrap_or_default();
    format!("{} {}{line}", change.entity.as_str().replace('-', " "), change.entity_id)
}

/// Deletes a created record; `false` if it is already gone (merged away).
fn remove_created(tx: &Connection, batch: &ImportBatch, change: &Change) -> Result<bool> {
    if imports::snapshot(tx, change.entity, change.entity_id)?.is_none() {
        return Ok(false);
    }
    if change.entity == ImportEntity::Deal {
        let deal = store::deals::get(tx, DealId(change.entity_id), batch.imported_at)?;
        let written = change.after.as_deref().and_then(|after| {
            serde_json::from_str::<serde_json::Value>(after)
                .ok()?
                .get("updated_at")?
                .as_str()
                .map(str::to_string)
        });
        let edited = match written {
            Some(stamp) => crate::store::instant_text(deal.updated_at) != stamp,
            None => deal.updated_at > batch.imported_at, // batches from before the stamp was kept
        };
        let worked_on = edited || imports::history_after(tx, change.entity_id, batch.history_high_water)? > 0;
        if worked_on {
            return Err(KeelError::NotAllowed(format!(
                "{} ('{}') was changed after the import; revert refused, nothing was changed",
                describe(change),
                deal.name
            )));
        }
    }
    imports::delete_created(tx, change.entity, change.entity_id).map_err(|e| match e {
        KeelError::Storage(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            KeelError::NotAllowed(format!(
                "{} is now used by records that are not from this import (deals, contacts, activities or \
                 registrations added since); revert refused, nothing was changed",
                describe(change)
            ))
        }
        other => other,
    })?;
    Ok(true)
}

fn restore_updated(
    tx: &Connection,
    batch: ImportBatchId,
    change: &Change,
    now: chrono::DateTime<chrono::Utc>,
    actor: TeamMemberId,
) -> Result<()> {
    let current = imports::snapshot(tx, change.entity, change.entity_id)?;
    if current.is_none() || current != change.after {
        return Err(KeelError::NotAllowed(format!(
            "{} was changed after the import; revert refused, nothing was changed",
            describe(change)
        )));
    }
    let before = change.before.as_deref().unwrap_or("{}");
    if change.entity == ImportEntity::Deal {
        restore_stage(tx, batch, change, before, now, actor)?;
    }
    imports::restore(tx, change.entity, change.entity_id, before, now, Some(actor))
}

/// History is append-only: a deal the import moved is moved back by a new entry.
fn restore_stage(
    tx: &Connection,
    batch: ImportBatchId,
    change: &Change,
    before: &str,
    now: chrono::DateTime<chrono::Utc>,
    actor: TeamMemberId,
) -> Result<()> {
    let stage_of = |json: Option<&str>| -> Option<i64> {
        serde_json::from_str::<serde_json::Value>(json?).ok()?.get("stage_id")?.as_i64()
    };
    let (Some(was), Some(is)) = (stage_of(Some(before)), stage_of(change.after.as_deref())) else {
        return Ok(());
    };
    if was == is {
        return Ok(());
    }
    let id = DealId(change.entity_id);
    let deal = store::deals::get(tx, id, now)?;
    let stage = store::stages::list(tx, deal.pipeline_id)?
        .into_iter()
        .find(|s| s.id.0 == was)
        .ok_or_else(|| KeelError::not_found("stage", was))?;
    store::deals::append_history(
        tx,
        &store::deals::NewStageChange {
            deal_id: id,
            from_stage: Some(deal.stage_id),
            to_stage: stage.id,
            changed_at: now,
            changed_by: Some(actor),
            amount: deal.amount,
            currency: deal.currency,
            probability: deal.probability_override.unwrap_or(stage.default_probability),
            override_reason: Some(&format!("import {batch} reverted")),
        },
    )
}
