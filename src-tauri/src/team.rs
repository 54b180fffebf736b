//! A team workspace in the app: joining, keeping the local copy in step with the
//! server (it pushes each new feed position; the app catches up and tells the window),
//! and whether the server can be reached right now.

use crate::dto::Int;
use crate::{ApiError, AppState};
use keel::services::Workspace;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};

/// The window listens for this: the copy changed, reload what is shown.
pub const CHANGED_EVENT: &str = "team-changed";

/// The app, for telling the window about a change kept offline from inside a command
/// that was given only the workspace (set when the follower starts).
static APP: std::sync::OnceLock<AppHandle> = std::sync::OnceLock::new();

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TeamDto {
    pub server_url: String,
    /// None until the first attempt to reach the server has finished.
    pub reachable: Option<bool>,
    /// Why the server cannot be reached, in words.
    pub problem: Option<String>,
    pub position: Int,
    /// Changes made here while the server could not be reached, waiting to be sent.
    pub waiting: Int,
    /// Changes the server refused when they arrived: each waits for the member.
    pub not_synced: Int,
}

#[derive(Debug, Default)]
pub struct TeamStatus {
    pub reachable: Option<bool>,
    pub problem: Option<String>,
}

pub fn dto(ws: &Workspace, state: &AppState) -> keel::Result<Option<TeamDto>> {
    let status = state.team_status.lock().unwrap_or_else(|p| p.into_inner());
    let Some(link) = ws.team_link()? else { return Ok(None) };
    let (waiting, not_synced) = ws.outbox_counts()?;
    Ok(Some(TeamDto {
        server_url: link.server_url,
        reachable: status.reachable,
        problem: status.problem.clone(),
        position: link.position.into(),
        waiting: waiting.into(),
        not_synced: not_synced.into(),
    }))
}

/// A change made here while offline: waiting to be sent, or refused by the server.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UnsyncedChange {
    pub seq: Int,
    /// `waiting` or `refused`.
    pub state: String,
    /// The change in a few words (`move deal 12 to Qualification`).
    pub summary: String,
    /// The change as the command one would type (`deal move 12 Qualification`): what an
    /// edit changes.
    pub args: Vec<String>,
    pub queued_at: String,
    /// The server's refusal, for a refused change.
    pub error: Option<ApiError>,
}

fn unsynced(ws: &mut Workspace) -> Result<Vec<UnsyncedChange>, ApiError> {
    let entries = ws.outbox()?;
    let mut words = Vec::with_capacity(entries.len());
    for entry in &entries {
        let told = keel::remote::outbox::told(ws, &entry.line)?;
        words.push((told, keel::remote::outbox::shown(ws, &entry.line)?));
    }
    Ok(entries
        .into_iter()
        .zip(words)
        .map(|(e, (summary, args))| UnsyncedChange {
            seq: e.seq.into(),
            summary,
            state: if e.state == "pending" { "waiting".into() } else { "refused".into() },
            // The app asks for JSON answers; that is not part of the change.
            args: args.into_iter().filter(|a| a != "--json").collect(),
            queued_at: e.queued_at,
            error: e.error_code.map(|code| ApiError {
                code: serde_json::from_value::<keel::ErrorCode>(serde_json::Value::String(code))
                    .map_or(crate::ErrorCode::Storage, Into::into),
                field: e.error_field,
                message: e.error_message.unwrap_or_default(),
                details: e.error_details,
            }),
        })
        .collect())
}

/// The changes made here that the team server has not taken yet, oldest first.
#[tauri::command(async)]
#[specta::specta]
pub fn unsynced_changes(state: State<'_, AppState>) -> Result<Vec<UnsyncedChange>, ApiError> {
    unsynced(&mut state.open()?)
}

/// Sends a refused change again, as it was or as edited (`args`): it is made over what
/// changed meanwhile, or kept here again when the server cannot be reached.
#[tauri::command(async)]
#[specta::specta]
pub fn retry_change(
    app: AppHandle,
    state: State<'_, AppState>,
    seq: Int,
    args: Option<Vec<String>>,
) -> Result<Vec<UnsyncedChange>, ApiError> {
    let mut ws = state.open()?;
    let args = args.map(|args| {
        let mut all = vec!["--json".to_string()];
        all.extend(args.into_iter().filter(|a| a != "--json"));
        all
    });
    let result = keel::remote::outbox::retry(&mut ws, seq.0, args);
    let _ = app.emit(CHANGED_EVENT, ());
    result?;
    unsynced(&mut ws)
}

/// Drops a refused change (the copy already shows the server's state without it).
#[tauri::command(async)]
#[specta::specta]
pub fn discard_change(
    app: AppHandle,
    state: State<'_, AppState>,
    seq: Int,
) -> Result<Vec<UnsyncedChange>, ApiError> {
    let mut ws = state.open()?;
    keel::remote::outbox::discard(&mut ws, seq.0)?;
    let _ = app.emit(CHANGED_EVENT, ());
    unsynced(&mut ws)
}

/// A new file for a team's copy beside the open workspace, named after the server.
fn copy_path(beside: &Path, url: &str) -> PathBuf {
    let dir = beside.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let host: String = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let host = host.trim_matches('-');
    (1..)
        .map(|n| dir.join(if n == 1 { format!("team-{host}.db") } else { format!("team-{host}-{n}.db") }))
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join("team.db"))
}

/// Joins a team with the server's address and an invitation code, downloads its
/// workspace into a new local copy and switches to it.
#[tauri::command(async)]
#[specta::specta]
pub fn join_team(
    app: AppHandle,
    state: State<'_, AppState>,
    server_url: String,
    code: String,
) -> Result<crate::commands::workspace::WorkspaceSummary, ApiError> {
    if code.trim().is_empty() {
        return Err(keel::KeelError::invalid("code", "enter the invitation code you were given").into());
    }
    let dest = copy_path(&state.path(), &server_url);
    let (ws, _) = keel::remote::join(&server_url, &code, &dest, state.clock())?;
    drop(ws);
    state.switch_to(dest);
    follow(&app);
    crate::commands::workspace::workspace_summary(state)
}

/// Keeps the open workspace's copy in step with its server, if it is a team's copy,
/// until another workspace is opened.
pub fn follow(app: &AppHandle) {
    let _ = APP.set(app.clone());
    let state = app.state::<AppState>();
    let generation = state.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let path = state.path();
    let clock = state.clock();
    *state.team_status.lock().unwrap_or_else(|p| p.into_inner()) = TeamStatus::default();
    let app = app.clone();
    std::thread::spawn(move || {
        let current =
            |app: &AppHandle| app.state::<AppState>().generation.load(Ordering::SeqCst) == generation;
        let mut wait = Duration::from_millis(500);
        while current(&app) {
            match follow_once(&app, &path, clock.clone(), &current) {
                Ok(false) => return, // not a team's copy
                Ok(true) => wait = Duration::from_millis(500),
                Err(e) => {
                    set_status(&app, Some(false), Some(e.to_string()));
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
}

fn set_status(app: &AppHandle, reachable: Option<bool>, problem: Option<String>) {
    let state = app.state::<AppState>();
    let changed = {
        let mut status = state.team_status.lock().unwrap_or_else(|p| p.into_inner());
        let changed = status.reachable != reachable || status.problem != problem;
        *status = TeamStatus { reachable, problem };
        changed
    };
    if changed {
        let _ = app.emit(CHANGED_EVENT, ());
    }
}

/// Signs in, catches up, then follows the server's pushes until the connection ends.
/// Ok(false) when the open file is not a team's copy.
fn follow_once(
    app: &AppHandle,
    path: &Path,
    clock: Arc<dyn keel::clock::Clock>,
    current: &dyn Fn(&AppHandle) -> bool,
) -> keel::Result<bool> {
    let mut ws = keel::remote::open_existing(path, clock)?;
    if ws.team_link()?.is_none() {
        return Ok(false);
    }
    let remote = keel::remote::Remote::connect(&mut ws)?;
    set_status(app, Some(true), None);
    let report = keel::remote::sync(&mut ws, &remote)?;
    if report.applied + report.sent + report.refused > 0 {
        let _ = app.emit(CHANGED_EVENT, ());
    }
    let mut failure = None;
    remote.follow_positions(|position| {
        if !current(app) {
            return false;
        }
        let behind = ws.team_link().ok().flatten().is_some_and(|l| l.position < position);
        if behind {
            match keel::remote::sync(&mut ws, &remote) {
                Ok(_) => {
                    let _ = app.emit(CHANGED_EVENT, ());
                }
                Err(e) => {
                    failure = Some(e);
                    return false;
                }
            }
        }
        true
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(true),
    }
}

/// Makes a change from the window, as the core's one `submit` does: here on a solo
/// workspace; on a team copy through the server (or kept here while it cannot be reached,
/// which the sidebar's count shows).
pub fn submit(
    ws: &mut Workspace,
    who: keel::services::policy::Principal,
    change: keel::changes::Change,
) -> Result<keel::changes::Applied, ApiError> {
    let submitted = keel::changes::submit(ws, who, change)?;
    if submitted.queued {
        if let Some(app) = APP.get() {
            let _ = app.emit(CHANGED_EVENT, ());
        }
    }
    Ok(submitted.applied)
}
