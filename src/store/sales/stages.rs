use crate::domain::{ForecastCategory, PipelineId, RuleTrigger, StageId, StageRule};
use crate::money::BasisPoints;
use crate::{KeelError, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub pipeline_id: PipelineId,
    pub name: String,
    pub position: u32,
    pub default_probability: BasisPoints,
    pub forecast_category: ForecastCategory,
    pub is_closed: bool,
    pub is_won: bool,
    /// A deal in this stage with no activity for this many days is stalled.
    pub stall_after_days: Option<u32>,
    pub description: Option<String>,
    pub rules: Vec<StageRuleRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StageRuleRef {
    pub trigger: RuleTrigger,
    pub rule: StageRule,
}

impl Stage {
    pub fn rules_on(&self, trigger: RuleTrigger) -> impl Iterator<Item = StageRule> + '_ {
        self.rules.iter().filter(move |r| r.trigger == trigger).map(|r| r.rule)
    }
}

pub struct NewStage<'a> {
    pub name: &'a str,
    pub position: u32,
    pub default_probability: BasisPoints,
    pub forecast_category: ForecastCategory,
    pub is_closed: bool,
    pub is_won: bool,
    pub stall_after_days: Option<u32>,
    pub description: &'a str,
    pub rules: &'a [StageRuleRef],
}

pub fn insert_pipeline(conn: &Connection, name: &str, is_default: bool) -> Result<PipelineId> {
    conn.execute("INSERT INTO pipelines (name, is_default) VALUES (?1, ?2)", params![name, is_default])?;
    Ok(PipelineId(conn.last_insert_rowid()))
}

pub fn insert_stage(conn: &Connection, pipeline: PipelineId, stage: &NewStage<'_>) -> Result<StageId> {
    conn.execute(
        "INSERT INTO stages (pipeline_id, name, position, default_probability_bp, forecast_category,
                             is_closed, is_won, stall_after_days, description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            pipeline,
            stage.name,
            stage.position,
            stage.default_probability.0,
            stage.forecast_category,
            stage.is_closed,
            stage.is_won,
            stage.stall_after_days,
            stage.description
        ],
    )?;
    let id = StageId(conn.last_insert_rowid());
    for rule in stage.rules {
        conn.execute(
            "INSERT INTO stage_rules (stage_id, trigger, rule) VALUES (?1, ?2, ?3)",
            params![id, rule.trigger, rule.rule],
        )?;
    }
    Ok(id)
}

pub fn default_pipeline(conn: &Connection) -> Result<Pipeline> {
    conn.query_row("SELECT id, name, is_default FROM pipelines WHERE is_default = 1", [], |r| {
        Ok(Pipeline { id: r.get(0)?, name: r.get(1)?, is_default: r.get(2)? })
    })
    .optional()?
    .ok_or_else(|| KeelError::NotAllowed("the workspace has no pipeline yet: run `keel init` first".into()))
}

const COLUMNS: &str = "id, pipeline_id, name, position, default_probability_bp, forecast_category,
                       is_closed, is_won, stall_after_days, description";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Stage> {
    Ok(Stage {
        id: row.get("id")?,
        pipeline_id: row.get("pipeline_id")?,
        name: row.get("name")?,
        position: row.get("position")?,
        default_probability: BasisPoints(row.get("default_probability_bp")?),
        forecast_category: row.get("forecast_category")?,
        is_closed: row.get("is_closed")?,
        is_won: row.get("is_won")?,
        stall_after_days: row.get("stall_after_days")?,
        description: row.get("description")?,
        rules: Vec::new(),
    })
}

fn with_rules(conn: &Connection, mut stage: Stage) -> Result<Stage> {
    let mut stmt = conn
        .prepare_cached("SELECT trigger, rule FROM stage_rules WHERE stage_id = ?1 ORDER BY trigger, rule")?;
    stage.rules = stmt
        .query_map([stage.id], |r| Ok(StageRuleRef { trigger: r.get(0)?, rule: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(stage)
}

/// The stages of a pipeline in order, with their rules.
pub fn list(conn: &Connection, pipeline: PipelineId) -> Result<Vec<Stage>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM stages WHERE pipeline_id = ?1 ORDER BY position"))?;
    let stages: Vec<Stage> = stmt.query_map([pipeline], from_row)?.collect::<rusqlite::Result<_>>()?;
    stages.into_iter().map(|s| with_rules(conn, s)).collect()
}

/// Changes a stage's tunable settings: its default probability and stall limit.
pub fn update_settings(
    conn: &Connection,
    id: StageId,
    default_probability: BasisPoints,
    stall_after_days: Option<u32>,
) -> Result<()> {
    conn.execute(
        "UPDATE stages SET default_probability_bp = ?2, stall_after_days = ?3 WHERE id = ?1",
        params![id, default_probability.0, stall_after_days],
    )?;
    Ok(())
}
