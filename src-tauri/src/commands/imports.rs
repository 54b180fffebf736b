//! The import wizard: preview a file (a dry run through the real import), import it
//! with progress, list past imports, revert one.

use super::me;
use crate::dto::Int;
use crate::{ApiError, AppState};
use keel::changes::{Change, ImportFile, ImportForm, Outcome};
use keel::domain::{ImportBatchId, ImportKind};
use keel::services::import::{self, ImportReport, RowAction};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;

/// Largest file the wizard reads: an import past this belongs on the command line.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ImportRequest {
    pub path: String,
    /// deals, accounts or contacts.
    pub kind: String,
    /// mdy or dmy.
    pub date_order: String,
    /// Currency for amounts that name none (blank: the import's default).
    pub default_currency: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportColumn {
    pub column: String,
    /// The Keel field the column fills; None when ignored.
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StageLabelDto {
    pub label: String,
    pub stage: Option<String>,
    pub by: String,
    pub rows: Int,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RejectDto {
    pub line: Int,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportSummary {
    /// None for a preview (nothing was kept).
    pub batch: Option<Int>,
    pub file_name: String,
    pub source_system: String,
    pub columns: Vec<ImportColumn>,
    pub stage_labels: Vec<StageLabelDto>,
    pub rows_total: Int,
    pub created: Int,
    pub updated: Int,
    pub unchanged: Int,
    pub rejected: Int,
    pub accounts_created: Int,
    /// The first rejected rows and why (the whole list is in the CLI's rejects file).
    pub rejects: Vec<RejectDto>,
    /// What reading found and detected: dropped characters, a repeated column, footer
    /// lines, the date order and decimal mark, rounded amounts.
    pub notes: Vec<String>,
    /// Records kept with something missing or odd (no amount, no account...), first ones.
    pub flagged: Vec<RejectDto>,
    pub flagged_count: Int,
}

fn summary(report: &ImportReport) -> ImportSummary {
    ImportSummary {
        batch: report.batch.map(|b| b.0.into()),
        file_name: report.file_name.clone(),
        source_system: report.source_system.as_str().into(),
        columns: report
            .columns
            .iter()
            .map(|c| ImportColumn { column: c.column.clone(), field: c.field.clone() })
            .collect(),
        stage_labels: report
            .stage_labels
            .iter()
            .map(|s| StageLabelDto {
                label: s.label.clone(),
                stage: s.stage.clone(),
                by: s.by.clone(),
                rows: (s.rows as u64).into(),
            })
            .collect(),
        rows_total: report.counts.rows_total.into(),
        created: report.counts.created.into(),
        updated: report.counts.updated.into(),
        unchanged: report.counts.unchanged.into(),
        rejected: report.counts.rejected.into(),
        accounts_created: report.related.accounts_created.into(),
        rejects: report
            .rows
            .iter()
            .filter(|r| r.action == RowAction::Reject)
            .take(200)
            .map(|r| RejectDto { line: r.line.into(), reason: r.detail.clone() })
            .collect(),
        notes: report.notes.clone(),
        flagged: report
            .rows
            .iter()
            .filter(|r| !r.warnings.is_empty())
            .take(200)
            .map(|r| RejectDto { line: r.line.into(), reason: r.warnings.join("; ") })
            .collect(),
        flagged_count: (report.rows.iter().filter(|r| !r.warnings.is_empty()).count() as u64).into(),
    }
}

fn run(
    state: &AppState,
    request: ImportRequest,
    dry_run: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImportSummary, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let path = std::path::PathBuf::from(&request.path);
    let io = |source| keel::KeelError::Io { context: format!("reading {}", path.display()), source };
    let size = std::fs::metadata(&path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(keel::KeelError::invalid(
            "file",
            format!("is {size} bytes; the app imports files up to {MAX_FILE_BYTES} (use `keel import`)"),
        )
        .into());
    }
    let form = ImportForm {
        kind: ImportKind::parse("kind", &request.kind)?.as_str().to_string(),
        file_name: path.file_name().map_or_else(|| request.path.clone(), |n| n.to_string_lossy().into()),
        dry_run,
        strict: false,
        maps: Vec::new(),
        date_order: super::given(Some(request.date_order.clone())).unwrap_or_else(|| "auto".into()),
        currency: super::given(request.default_currency.clone()),
    };
    let change = Change::Import { file: ImportFile::Path(request.path.clone()), form };
    // A preview writes nothing: it reads this workspace (a team copy holds what the server does);
    // an import is made as every change is, here or on the team server.
    let applied = if dry_run {
        keel::changes::apply_with_progress(&mut ws, actor, change, progress)?
    } else {
        keel::changes::submit_with_progress(&mut ws, actor, change, progress)?.applied
    };
    match applied.outcome {
        Outcome::Imported(report) => Ok(summary(&report)),
        _ => Err(keel::KeelError::Schema("an import answered something else".into()).into()),
    }
}

/// A dry run: how the columns map, which stage labels go where, what would be rejected.
#[tauri::command(async)]
#[specta::specta]
pub fn preview_import(state: State<'_, AppState>, request: ImportRequest) -> Result<ImportSummary, ApiError> {
    run(&state, request, true, &mut |_, _| {})
}

#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct Progress {
    pub done: Int,
    pub total: Int,
}

/// Imports the file in one transaction, reporting progress every thousand rows.
#[tauri::command(async)]
#[specta::specta]
pub fn import_file(
    state: State<'_, AppState>,
    request: ImportRequest,
    on_progress: Channel<Progress>,
) -> Result<ImportSummary, ApiError> {
    run(&state, request, false, &mut |done, total| {
        let _ = on_progress.send(Progress { done: done.into(), total: total.into() });
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BatchDto {
    pub id: Int,
    pub kind: String,
    pub file_name: String,
    pub source_system: String,
    pub imported_at: String,
    pub imported_by: Option<String>,
    pub rows_total: Int,
    pub created: Int,
    pub updated: Int,
    pub rejected: Int,
    pub reverted_at: Option<String>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn imports(state: State<'_, AppState>) -> Result<Vec<BatchDto>, ApiError> {
    let ws = state.open()?;
    Ok(import::list(&ws, me(&ws)?, Some(100))?
        .into_iter()
        .map(|b| BatchDto {
            id: b.id.0.into(),
            kind: b.kind.as_str().into(),
            file_name: b.file_name,
            source_system: b.source_system.as_str().into(),
            imported_at: b.imported_at.to_rfc3339(),
            imported_by: b.imported_by,
            rows_total: b.rows_total.into(),
            created: b.created_count.into(),
            updated: b.updated_count.into(),
            rejected: b.rejected_count.into(),
            reverted_at: b.reverted_at.map(|t| t.to_rfc3339()),
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RevertDto {
    pub batch: Int,
    pub removed: Int,
    pub restored: Int,
}

/// Reverts an import: what it created is removed, what it updated is restored.
#[tauri::command(async)]
#[specta::specta]
pub fn revert_import(state: State<'_, AppState>, batch_id: Int) -> Result<RevertDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let applied =
        crate::team::submit(&mut ws, actor, Change::ImportRevert { batch: ImportBatchId(batch_id.0) })?;
    let Outcome::Reverted(report) = applied.outcome else {
        return Err(keel::KeelError::Schema("an import's undoing answered something else".into()).into());
    };
    Ok(RevertDto {
        batch: report.batch.into(),
        removed: report.removed.into(),
        restored: report.restored.into(),
    })
}
