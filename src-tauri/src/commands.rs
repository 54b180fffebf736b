//! Typed commands: each opens the workspace, calls one core service and maps the
//! result. No rule of the sales process lives here.

use crate::{ApiError, AppState};
use keel::services::Workspace;
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct WorkspaceSummary {
    /// The database file the app has open (the same one the `keel` CLI uses).
    pub path: String,
    pub initialized: bool,
    pub deal_count: u32,
}

/// What the window shows on start: which workspace is open and how many deals it holds.
#[tauri::command(async)]
#[specta::specta]
pub fn workspace_summary(state: State<'_, AppState>) -> Result<WorkspaceSummary, ApiError> {
    let ws = state.open()?;
    Ok(summary(&ws)?)
}

fn summary(ws: &Workspace) -> keel::Result<WorkspaceSummary> {
    Ok(WorkspaceSummary {
        path: ws.path().map(|p| p.display().to_string()).unwrap_or_default(),
        initialized: ws.is_initialized()?,
        deal_count: u32::try_from(ws.deal_count()?).unwrap_or(u32::MAX),
    })
}
