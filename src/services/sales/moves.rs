//! Moving a deal between stages: criteria, overrides, closing and reopening.

use crate::domain::{required_text, DealId, TextKind};
use crate::services::policy::{self, Principal};
use crate::services::{deals, onboarding, stage_rules, Workspace};
use crate::store::deals::{Deal, NewStageChange};
use crate::store::{self};
use crate::{KeelError, Result};

#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// Target stage, by name.
    pub stage: String,
    /// Moves despite missing criteria; the reason is kept in the stage history.
    pub override_reason: Option<String>,
    /// Required when moving to a lost stage.
    pub loss_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveOutcome {
    pub deal: Deal,
    /// The criteria that were missing and overridden (empty for a clean move).
    pub overridden: Vec<String>,
}

/// What a move of deal `id` to `stage` would miss: the items a refused move lists,
/// for a screen to show beside the card before or after the attempt. Writes nothing.
pub fn missing_for_move(ws: &Workspace, who: Principal, id: DealId, stage: &str) -> Result<Vec<String>> {
    policy::reading(ws.conn(), who)?;
    let bounds = stage_rules::poc_bounds(&ws.settings()?);
    let conn = ws.conn();
    let deal = store::deals::get(conn, id, ws.now())?;
    let pipeline = store::stages::default_pipeline(conn)?;
    let stages = store::stages::list(conn, pipeline.id)?;
    let target = crate::services::pipeline::find_stage(&stages, stage)?;
    let from = stages
        .iter()
        .find(|s| s.id == deal.stage_id)
        .ok_or_else(|| KeelError::not_found("stage", deal.stage_id))?;
    let rules = stage_rules::rules_for_move(&stages, from, target);
    stage_rules::missing_items(conn, id, &rules, bounds)
}

/// Moves a deal. Refused, writing nothing, when the move misses exit or entry
/// criteria (every missing item listed) unless an override reason is given.
pub fn move_deal(ws: &mut Workspace, who: Principal, id: DealId, input: MoveInput) -> Result<MoveOutcome> {
    let override_reason = deals::optional_reason("override", input.override_reason.as_deref())?;
    let bounds = stage_rules::poc_bounds(&ws.settings()?);
    // Everything the decision reads is read inside the write transaction, so a
    // concurrent change (the CLI beside the app) cannot slip between check and move.
    let overridden = ws.write_as(who, |tx, now| {
        let deal = store::deals::get(tx, id, now)?;
        let pipeline = store::stages::default_pipeline(tx)?;
        let stages = store::stages::list(tx, pipeline.id)?;
        let target = crate::services::pipeline::find_stage(&stages, &input.stage)?;
        let from = stages
            .iter()
            .find(|s| s.id == deal.stage_id)
            .ok_or_else(|| KeelError::not_found("stage", deal.stage_id))?;
        if target.id == from.id {
            return Err(KeelError::invalid("stage", format!("deal {id} is already in {}", target.name)));
        }
        // Commission follows the money collected on a won deal. Reopening or losing it
        // while money is held would leave commission accrued on a deal that is not won,
        // with no way to claw it back: the revenue is refunded first.
        if from.is_won {
            let collected = store::revenue::net_collected(tx, id)?;
            if collected != 0 {
                return Err(KeelError::NotAllowed(format!(
                    "deal {id} has {} collected; refund it before moving the deal out of {}",
                    crate::money::Money { amount_minor: collected, currency: deal.currency },
                    from.name
                )));
            }
        }
        let is_lost = target.is_closed && !target.is_won;
        let loss_reason = match (is_lost, input.loss_reason.as_deref()) {
            (true, reason) => {
                Some(required_text("loss_reason", reason.unwrap_or(""), TextKind::Note).map_err(|_| {
                    KeelError::invalid(
                        "loss_reason",
                        format!("is required to move a deal to {}", target.name),
                    )
                })?)
            }
            (false, Some(r)) if !r.trim().is_empty() => {
                return Err(KeelError::invalid("loss_reason", "applies only when a deal is lost"));
            }
            (false, _) => None,
        };
        let rules = stage_rules::rules_for_move(&stages, from, target);
        let missing = stage_rules::missing_items(tx, id, &rules, bounds)?;
        if !missing.is_empty() && override_reason.is_none() {
            return Err(KeelError::CriteriaUnmet { deal: id.0, to_stage: target.name.clone(), missing });
        }
        let closed_on = target.is_closed.then(|| now.date_naive());
        store::deals::set_stage(tx, id, target.id, now, closed_on, loss_reason.as_deref())?;
        store::deals::append_history(
            tx,
            &NewStageChange {
                deal_id: id,
                from_stage: Some(from.id),
                to_stage: target.id,
                changed_at: now,
                changed_by: Some(who.member()),
                amount: deal.amount,
                currency: deal.currency,
                probability: deal.probability_override.unwrap_or(target.default_probability),
                override_reason: override_reason.as_deref().filter(|_| !missing.is_empty()),
            },
        )?;
        if target.is_won {
            onboarding::start_for_won_deal(tx, now, &deal, who.member())?;
        }
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "deal.move",
            "deal",
            id.0,
            serde_json::json!({
                "from": from.name, "to": target.name, "override_reason": override_reason,
                "overridden": missing, "loss_reason": loss_reason,
            }),
        )?;
        Ok(missing)
    })?;
    Ok(MoveOutcome { deal: deals::get(ws, who, id)?, overridden })
}
