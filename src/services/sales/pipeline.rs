//! The default enterprise pipeline (the go-to-market document's enterprise sales
//! funnel and playbook) and reading the stages of a workspace.

use crate::domain::{ForecastCategory, RuleTrigger, StageRule};
use crate::money::BasisPoints;
use crate::services::policy::{self, Capability, Principal};
use crate::services::Workspace;
use crate::store::stages::{self, NewStage, Stage, StageRuleRef};
use crate::{KeelError, Result};
use chrono::Datelike;

const fn rule(trigger: RuleTrigger, rule: StageRule) -> StageRuleRef {
    StageRuleRef { trigger, rule }
}

const LEAVE_WITH_BANT: &[StageRuleRef] = &[rule(RuleTrigger::Exit, StageRule::BantConfirmed)];
const ENTER_WITH_POC: &[StageRuleRef] = &[rule(RuleTrigger::Enter, StageRule::PocDefined)];
const ENTER_WITH_CHECKLIST: &[StageRuleRef] = &[rule(RuleTrigger::Enter, StageRule::NegotiationComplete)];

/// Lead → Qualification → Discovery & Demo → Proof of Concept → Negotiation → Closed Won / Lost.
fn enterprise_funnel() -> [NewStage<'static>; 7] {
    let open = |name, position, bp, forecast, stall, description, rules| NewStage {
        name,
        position,
        default_probability: BasisPoints(bp),
        forecast_category: forecast,
        is_closed: false,
        is_won: false,
        stall_after_days: Some(stall),
        description,
        rules,
    };
    [
        open(
            "Lead",
            1,
            500,
            ForecastCategory::Pipeline,
            14,
            "Inbound, outbound, referral or event lead.",
            &[],
        ),
        open(
            "Qualification",
            2,
            1_000,
            ForecastCategory::Pipeline,
            14,
            "BANT: budget, authority, need and timeline; use-case fit.",
            LEAVE_WITH_BANT,
        ),
        open(
            "Discovery & Demo",
            3,
            2_500,
            ForecastCategory::Pipeline,
            21,
            "Needs analysis, custom demo, technical deep-dive, ROI.",
            &[],
        ),
        open(
            "Proof of Concept",
            4,
            5_000,
            ForecastCategory::BestCase,
            30,
            "Scoped evaluation with success criteria, 30–60 days.",
            ENTER_WITH_POC,
        ),
        open(
            "Negotiation",
            5,
            7_500,
            ForecastCategory::Commit,
            21,
            "Pricing, contract, SLA, legal review, security questionnaire, procurement.",
            &[],
        ),
        NewStage {
            name: "Closed Won",
            position: 6,
            default_probability: BasisPoints::HUNDRED_PERCENT,
            forecast_category: ForecastCategory::Closed,
            is_closed: true,
            is_won: true,
            stall_after_days: None,
            description: "Signed. Onboarding starts.",
            rules: ENTER_WITH_CHECKLIST,
        },
        NewStage {
            name: "Closed Lost",
            position: 7,
            default_probability: BasisPoints(0),
            forecast_category: ForecastCategory::Omitted,
            is_closed: true,
            is_won: false,
            stall_after_days: None,
            description: "Lost, with a reason.",
            rules: &[],
        },
    ]
}

/// Seeds the default pipeline. Returns false when the workspace was already initialized.
pub fn init(ws: &mut Workspace) -> Result<bool> {
    if ws.is_initialized()? {
        return Ok(false);
    }
    ws.write(|tx, now| {
        let pipeline = stages::insert_pipeline(tx, "Enterprise", true)?;
        for stage in enterprise_funnel() {
            stages::insert_stage(tx, pipeline, &stage)?;
        }
        // The KPI table's phases, with month 1 starting this month.
        let today = now.date_naive();
        for target in
            crate::services::targets::phase_targets(today - chrono::Days::new(u64::from(today.day0())))
        {
            crate::store::targets::upsert(tx, &target)?;
        }
        crate::services::record(
            tx,
            now,
            None,
            "workspace.init",
            "pipeline",
            pipeline.0,
            serde_json::json!({"name": "Enterprise"}),
        )
    })?;
    Ok(true)
}

/// The stages of the default pipeline, in order.
pub fn stages(ws: &Workspace) -> Result<Vec<Stage>> {
    let pipeline = stages::default_pipeline(ws.conn())?;
    stages::list(ws.conn(), pipeline.id)
}

/// Finds a stage of the default pipeline by name, listing the valid names if none matches.
pub fn stage_named(ws: &Workspace, name: &str) -> Result<Stage> {
    find_stage(&stages(ws)?, name).cloned()
}

/// Finds a stage by name (case-insensitive) among `stages`, or says which names exist.
pub fn find_stage<'a>(stages: &'a [Stage], name: &str) -> Result<&'a Stage> {
    let wanted = name.trim();
    stages.iter().find(|s| s.name.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        KeelError::invalid("stage", format!("'{wanted}' is not a stage; stages are: {}", names.join(", ")))
    })
}

/// Changes to a stage's settings; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct StageChanges {
    pub default_probability_bp: Option<i64>,
    /// `Some(None)` turns the stall rule off for the stage.
    pub stall_after_days: Option<Option<u32>>,
}

/// Tunes a stage: its default probability and after how many quiet days a deal in
/// it is stalled. Closed stages never stall.
pub fn update_stage(ws: &mut Workspace, who: Principal, name: &str, changes: StageChanges) -> Result<Stage> {
    let stage = stage_named(ws, name)?;
    let probability = match changes.default_probability_bp {
        Some(bp) => BasisPoints::checked("probability", bp)?,
        None => stage.default_probability,
    };
    let stall = changes.stall_after_days.unwrap_or(stage.stall_after_days);
    if stage.is_closed && stall.is_some() {
        return Err(KeelError::invalid(
            "stall_days",
            format!("{} is a closed stage: its deals never stall", stage.name),
        ));
    }
    if stall.is_some_and(|d| d == 0 || d > 365) {
        return Err(KeelError::invalid("stall_days", "must be between 1 and 365 days"));
    }
    if stage.is_closed && probability != stage.default_probability {
        return Err(KeelError::invalid(
            "probability",
            format!("{} is a closed stage: its probability is fixed", stage.name),
        ));
    }
    ws.write_as(who, |tx, now| {
        // Stage probabilities weigh every forecast: the leader's call, like targets.
        policy::require(tx, who, Capability::LeadSales, "tune pipeline stages")?;
        stages::update_settings(tx, stage.id, probability, stall)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "stage.update",
            "stage",
            stage.id.0,
            serde_json::json!({
                "probability_bp": probability.0, "stall_after_days": stall,
            }),
        )
    })?;
    stage_named(ws, name)
}
