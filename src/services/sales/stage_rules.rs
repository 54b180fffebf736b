//! Exit and entry criteria. Stages carry which rules apply (data); this file is
//! the one place that says what each rule checks.

use crate::domain::{BantStatus, DealId, RuleTrigger, StageRule};
use crate::store::qualification;
use crate::store::stages::Stage;
use crate::Result;
use rusqlite::Connection;

/// Evaluation-period bounds in force for the `poc-defined` rule.
#[derive(Debug, Clone, Copy)]
pub struct PocBounds {
    pub min_days: u32,
    pub max_days: u32,
}

impl PocBounds {
    /// The one rule for a proof of concept's evaluation period: what is wrong with
    /// `start`–`end`, if anything (saving a PoC and moving past the stage both ask).
    pub fn problem(&self, start: chrono::NaiveDate, end: chrono::NaiveDate) -> Option<String> {
        if end < start {
            return Some(format!("the evaluation period ends ({end}) before it starts ({start})"));
        }
        let days = (end - start).num_days();
        (days < i64::from(self.min_days) || days > i64::from(self.max_days)).then(|| {
            format!(
                "the evaluation period is {days} days; it must be {}–{} days",
                self.min_days, self.max_days
            )
        })
    }
}

/// The rules a move from `from` to `to` must satisfy. A forward move passes through
/// every stage between, so it owes their exit and entry rules too. A move back owes
/// none, nor does a move to a lost stage (its loss reason is checked apart). A closed
/// deal reopened starts again from the top of the funnel: it owes every rule of every
/// stage up to the one it goes to, so losing a deal is never a way round the criteria.
pub fn rules_for_move(stages: &[Stage], from: &Stage, to: &Stage) -> Vec<StageRule> {
    let mut rules = Vec::new();
    if to.is_closed && !to.is_won {
        return rules;
    }
    let start = (!from.is_closed).then_some(from.position);
    if start.is_some_and(|at| to.position <= at) {
        return rules;
    }
    for stage in stages
        .iter()
        .filter(|s| !s.is_closed && start.is_none_or(|at| s.position >= at) && s.position < to.position)
    {
        rules.extend(stage.rules_on(RuleTrigger::Exit));
    }
    for stage in stages.iter().filter(|s| start.is_none_or(|at| s.position > at) && s.position <= to.position)
    {
        if !stage.is_closed || stage.id == to.id {
            rules.extend(stage.rules_on(RuleTrigger::Enter));
        }
    }
    rules.dedup();
    rules
}

/// What the deal still lacks for each rule, one line per missing item.
pub fn missing_items(
    conn: &Connection,
    deal: DealId,
    rules: &[StageRule],
    bounds: PocBounds,
) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for rule in rules {
        match rule {
            StageRule::BantConfirmed => {
                for entry in qualification::bant(conn, deal)? {
                    if entry.status != BantStatus::Confirmed {
                        missing.push(format!(
                            "BANT {} is {}, needs confirmed",
                            entry.item.label(),
                            entry.status
                        ));
                    }
                }
            }
            StageRule::PocDefined => {
                let poc = qualification::poc(conn, deal)?.unwrap_or_default();
                if poc.scope.is_none() {
                    missing.push("proof of concept scope is not set".into());
                }
                if poc.success_criteria.is_none() {
                    missing.push("proof of concept success criteria are not set".into());
                }
                match (poc.start_date, poc.end_date) {
                    (Some(start), Some(end)) => {
                        if let Some(problem) = bounds.problem(start, end) {
                            missing.push(format!("proof of concept: {problem}"));
                        }
                    }
                    _ => missing.push("proof of concept start and end dates are not set".into()),
                }
            }
            StageRule::NegotiationComplete => {
                for entry in qualification::checklist(conn, deal)? {
                    if !entry.status.is_complete() {
                        missing.push(format!(
                            "negotiation checklist: {} is {}",
                            entry.item.label(),
                            entry.status
                        ));
                    }
                }
            }
        }
    }
    Ok(missing)
}

pub(crate) fn poc_bounds(settings: &crate::services::Settings) -> PocBounds {
    PocBounds { min_days: settings.poc_min_days, max_days: settings.poc_max_days }
}
