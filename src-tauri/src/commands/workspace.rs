//! The workspace itself: which file is open, who the user is, new/open/backup/export,
//! and the vocabularies the forms offer.

use super::me;
use crate::dto::{Int, MemberDto};
use crate::{ApiError, AppState};
use keel::domain::{
    ActivityKind, BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealSource, DealType,
    RegistrationStatus, RevenueKind, Segment, UseCase,
};
use keel::services::{export, fx, pipeline, team, Workspace};
use serde::Serialize;
use std::path::PathBuf;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct WorkspaceSummary {
    /// The database file the app has open (the same one the `keel` CLI uses).
    pub path: String,
    pub initialized: bool,
    pub deal_count: Int,
    /// Who the app acts as; None until the user picks.
    pub me: Option<MemberDto>,
    pub team: Vec<MemberDto>,
    pub reporting_currency: String,
    /// Today by the workspace's clock (`KEEL_NOW` in tests), for date presets.
    pub today: String,
    /// Set when this file is a team workspace's copy: its server and whether it answers.
    pub team_link: Option<crate::team::TeamDto>,
}

/// What the window shows on start: which workspace is open, who is using it.
#[tauri::command(async)]
#[specta::specta]
pub fn workspace_summary(state: State<'_, AppState>) -> Result<WorkspaceSummary, ApiError> {
    let ws = state.open()?;
    let mut summary = summary(&ws)?;
    summary.team_link = crate::team::dto(&ws, &state)?;
    Ok(summary)
}

fn summary(ws: &Workspace) -> keel::Result<WorkspaceSummary> {
    let initialized = ws.is_initialized()?;
    Ok(WorkspaceSummary {
        path: ws.path().map(|p| p.display().to_string()).unwrap_or_default(),
        initialized,
        deal_count: ws.deal_count()?.into(),
        me: ws.current_user()?.as_ref().map(MemberDto::from),
        team: team::list(ws)?.iter().map(MemberDto::from).collect(),
        reporting_currency: if initialized {
            fx::reporting_currency(ws)?.code().to_string()
        } else {
            "USD".into()
        },
        today: ws.today().to_string(),
        team_link: None,
    })
}

/// Picks who the app acts as (kept in the workspace, as `keel team use` does).
#[tauri::command(async)]
#[specta::specta]
pub fn choose_me(state: State<'_, AppState>, member_id: Int) -> Result<MemberDto, ApiError> {
    let mut ws = state.open()?;
    let member = team::get(&ws, keel::domain::TeamMemberId(member_id.0))?;
    let chosen = ws.set_current_user(&member.name)?;
    Ok(MemberDto::from(&chosen))
}

/// Opens another workspace file; refuses one that is not a Keel database.
#[tauri::command(async)]
#[specta::specta]
pub fn open_workspace(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Result<WorkspaceSummary, ApiError> {
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(keel::KeelError::invalid("path", format!("{} is not a file", path.display())).into());
    }
    let ws = keel::remote::open_existing(&path, state.clock())?;
    let summary = summary(&ws)?;
    state.switch_to(path);
    crate::team::follow(&app);
    Ok(summary)
}

/// Creates a new, initialized workspace file and switches to it.
#[tauri::command(async)]
#[specta::specta]
pub fn new_workspace(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Result<WorkspaceSummary, ApiError> {
    let path = PathBuf::from(path);
    if path.exists() {
        return Err(keel::KeelError::invalid(
            "path",
            format!("{} already exists: open it instead, or pick a new name", path.display()),
        )
        .into());
    }
    let mut ws = Workspace::open(&path, state.clock())?;
    pipeline::init(&mut ws)?;
    let summary = summary(&ws)?;
    state.switch_to(path);
    crate::team::follow(&app);
    Ok(summary)
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Written {
    pub path: String,
    /// Bytes for a backup, records for an export.
    pub amount: Int,
}

/// A consistent copy of the open workspace, checked before it replaces `path`.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_workspace(state: State<'_, AppState>, path: String) -> Result<Written, ApiError> {
    let ws = state.open()?;
    let bytes = ws.backup_to(&PathBuf::from(&path))?;
    Ok(Written { path, amount: bytes.into() })
}

/// Exports deals, accounts, contacts or activities as CSV or JSON.
#[tauri::command(async)]
#[specta::specta]
pub fn export_records(
    state: State<'_, AppState>,
    kind: String,
    format: String,
    path: String,
) -> Result<Written, ApiError> {
    let ws = state.open()?;
    let kind = match kind.as_str() {
        "deals" => export::ExportKind::Deals,
        "accounts" => export::ExportKind::Accounts,
        "contacts" => export::ExportKind::Contacts,
        "activities" => export::ExportKind::Activities,
        other => {
            return Err(keel::KeelError::invalid(
                "kind",
                format!("'{other}' is not deals, accounts, contacts or activities"),
            )
            .into())
        }
    };
    let format = export::ExportFormat::parse("format", &format)?;
    let mut out = Vec::new();
    let rows = export::write(&ws, me(&ws)?, kind, format, &mut out)?;
    std::fs::write(&path, out)
        .map_err(|source| keel::KeelError::Io { context: format!("writing {path}"), source })?;
    Ok(Written { path, amount: rows.into() })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StageDto {
    pub id: Int,
    pub name: String,
    pub probability_bp: Int,
    pub is_closed: bool,
    pub is_won: bool,
    pub description: Option<String>,
}

/// The words forms offer: the pipeline's stages and each vocabulary.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Vocabulary {
    pub stages: Vec<StageDto>,
    pub segments: Vec<String>,
    pub sources: Vec<String>,
    pub deal_types: Vec<String>,
    pub bant_items: Vec<String>,
    pub bant_statuses: Vec<String>,
    pub checklist_items: Vec<String>,
    pub checklist_statuses: Vec<String>,
    pub activity_kinds: Vec<String>,
    pub use_cases: Vec<String>,
    pub registration_statuses: Vec<String>,
    pub revenue_kinds: Vec<String>,
}

fn words<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_string()).collect()
}

#[tauri::command(async)]
#[specta::specta]
pub fn vocabulary(state: State<'_, AppState>) -> Result<Vocabulary, ApiError> {
    let ws = state.open()?;
    me(&ws)?;
    Ok(Vocabulary {
        stages: pipeline::stages(&ws)?
            .iter()
            .map(|s| StageDto {
                id: s.id.0.into(),
                name: s.name.clone(),
                probability_bp: i64::from(s.default_probability.0).into(),
                is_closed: s.is_closed,
                is_won: s.is_won,
                description: s.description.clone(),
            })
            .collect(),
        segments: words(Segment::ALL, Segment::as_str),
        sources: words(DealSource::ALL, DealSource::as_str),
        deal_types: words(DealType::ALL, DealType::as_str),
        bant_items: words(BantItem::ALL, BantItem::as_str),
        bant_statuses: words(BantStatus::ALL, BantStatus::as_str),
        checklist_items: words(ChecklistItem::ALL, ChecklistItem::as_str),
        checklist_statuses: words(ChecklistStatus::ALL, ChecklistStatus::as_str),
        activity_kinds: words(ActivityKind::ALL, ActivityKind::as_str),
        use_cases: words(UseCase::ALL, UseCase::as_str),
        registration_statuses: words(RegistrationStatus::ALL, RegistrationStatus::as_str),
        revenue_kinds: words(RevenueKind::ALL, RevenueKind::as_str),
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SearchHitDto {
    pub kind: String,
    pub id: Int,
    pub title: String,
    pub detail: String,
    /// The account of a deal or contact.
    pub account_id: Option<Int>,
}

/// Accounts, deals and contacts whose names contain `text` (the search box and palette).
#[tauri::command(async)]
#[specta::specta]
pub fn search(state: State<'_, AppState>, text: String) -> Result<Vec<SearchHitDto>, ApiError> {
    let ws = state.open()?;
    Ok(keel::services::search::search(&ws, me(&ws)?, &text, Some(6))?
        .into_iter()
        .map(|h| SearchHitDto {
            kind: h.kind.into(),
            id: h.id.into(),
            title: h.title,
            detail: h.detail,
            account_id: h.account_id.map(Int),
        })
        .collect())
}

/// One entry of the audit log; `detail` is its JSON (before, after, reasons) as text.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AuditDto {
    pub id: Int,
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Int>,
    pub detail: String,
}

/// The audit log, newest first, as `keel audit` reads it: optionally one kind of record,
/// or one record.
#[tauri::command(async)]
#[specta::specta]
pub fn audit_log(
    state: State<'_, AppState>,
    entity: Option<String>,
    entity_id: Option<Int>,
    limit: Option<u32>,
) -> Result<Vec<AuditDto>, ApiError> {
    let ws = state.open()?;
    me(&ws)?;
    let entity = super::given(entity);
    Ok(ws
        .audit_log(entity.as_deref(), entity_id.map(|i| i.0), limit)?
        .into_iter()
        .map(|e| AuditDto {
            id: e.id.into(),
            at: e.at.to_rfc3339(),
            actor: e.actor_name,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id.map(Int),
            detail: e.detail.to_string(),
        })
        .collect())
}
