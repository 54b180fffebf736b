//! keel-desktop: the Tauri shell. Commands adapt the core's services to typed IPC;
//! errors cross as `{code, message}`.

mod commands;
pub use keel_api::{dto, ApiError, ErrorCode};
mod team;

use keel::services::Workspace;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// App state: which workspace file is open and which clock its rules read. Each
/// command opens its own connection, so the app and the CLI queue on SQLite's lock alike.
pub struct AppState {
    db_path: Mutex<PathBuf>,
    clock: Arc<dyn keel::clock::Clock>,
    /// Bumped whenever another file is opened, so the follower of the last one stops.
    generation: std::sync::atomic::AtomicU64,
    team_status: Mutex<team::TeamStatus>,
}

impl AppState {
    pub fn open(&self) -> Result<Workspace, ApiError> {
        Ok(keel::remote::open(&self.path(), self.clock.clone())?)
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.db_path.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) fn clock(&self) -> Arc<dyn keel::clock::Clock> {
        self.clock.clone()
    }

    pub(crate) fn switch_to(&self, path: PathBuf) {
        *self.db_path.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = path;
    }
}

/// How many daily automatic backups the app keeps beside the workspace.
pub const DAILY_BACKUPS_KEPT: usize = 7;

/// Each kind of change by its name, and whether it may wait offline.
fn may_queue() -> std::collections::BTreeMap<String, bool> {
    keel::changes::Change::examples().iter().map(|change| (change.kind(), change.may_queue())).collect()
}

/// The one list of commands, used by the app and by the bindings test.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    use commands::{
        accounts, board, dashboard, deal, forecast, imports, inspection, partners, payouts, portal_users,
        workspace,
    };
    tauri_specta::Builder::<tauri::Wry>::new()
        .typ::<keel::changes::Change>()
        // The one list of what may wait offline (`Change::may_queue`), so the window shows an
        // online-only action as unavailable while the team server cannot be reached.
        .constant("MAY_QUEUE", may_queue())
        .commands(tauri_specta::collect_commands![
            workspace::workspace_summary,
            workspace::choose_me,
            workspace::open_workspace,
            workspace::new_workspace,
            workspace::backup_workspace,
            workspace::export_records,
            workspace::vocabulary,
            workspace::search,
            workspace::audit_log,
            team::join_team,
            team::unsynced_changes,
            team::retry_change,
            team::discard_change,
            board::board,
            board::board_cards,
            board::deal_table,
            board::move_deal,
            deal::deal_page,
            deal::create_deal,
            deal::attach_account,
            deal::set_bant,
            deal::set_poc,
            deal::set_checklist_item,
            deal::log_activity,
            deal::complete_activity,
            deal::home,
            deal::missing_for_move,
            accounts::accounts,
            accounts::account_page,
            accounts::create_account,
            accounts::contacts,
            accounts::contact,
            accounts::create_contact,
            imports::preview_import,
            imports::import_file,
            imports::imports,
            imports::revert_import,
            partners::partner_desk,
            partners::partners,
            partners::partner_page,
            portal_users::portal_users,
            forecast::forecast,
            inspection::pipeline_changes,
            forecast::set_quota,
            forecast::call_forecast,
            forecast::adjust_forecast,
            forecast::forecast_deals,
            forecast::set_forecast_category,
            portal_users::invite_portal_user,
            portal_users::remove_portal_user,
            partners::registrations,
            partners::registration,
            partners::submit_registration,
            partners::review_registration,
            partners::convert_registration,
            payouts::deal_revenue,
            payouts::record_revenue,
            payouts::statements,
            payouts::run_payouts,
            payouts::statement,
            payouts::approve_statement,
            payouts::mark_statement_paid,
            payouts::export_statement,
            dashboard::dashboard,
            dashboard::dashboard_deals,
            dashboard::currency_settings_get,
            dashboard::set_reporting_currency,
            dashboard::set_fx_rate,
        ])
}

pub fn run() {
    let clock = match keel::clock::from_env() {
        Ok(clock) => clock,
        Err(e) => {
            eprintln!("keel-desktop: {e}");
            std::process::exit(2);
        }
    };
    let state = AppState {
        db_path: Mutex::new(keel::default_db_path()),
        clock,
        generation: Default::default(),
        team_status: Default::default(),
    };
    // The day's automatic backup, beside the window rather than before it: at a million
    // deals the copy takes seconds, and SQLite's snapshot lets the app write meanwhile.
    let (path, clock) = (state.path(), state.clock());
    std::thread::spawn(move || {
        if let Err(e) = Workspace::open(&path, clock).and_then(|ws| ws.daily_backup(DAILY_BACKUPS_KEPT)) {
            eprintln!("keel-desktop: daily backup of {} failed: {e}", path.display());
        }
    });
    let builder = specta_builder();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            team::follow(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("keel-desktop: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod bindings_test {
    use super::specta_builder;
    use std::path::Path;

    /// Writes ui/src/lib/api/bindings.ts. Under CI the committed file must already be
    /// current: a stale file fails here instead of drifting from the commands.
    #[test]
    fn typescript_bindings_are_current() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api/bindings.ts");
        let fresh = std::env::temp_dir().join(format!("keel-bindings-{}.ts", std::process::id()));
        specta_builder().export(specta_typescript::Typescript::default(), &fresh).expect("bindings export");
        let fresh_text = std::fs::read_to_string(&fresh).expect("read fresh bindings");
        let _ = std::fs::remove_file(&fresh);
        let committed_text = std::fs::read_to_string(&committed).unwrap_or_default();
        if committed_text != fresh_text {
            assert!(
                std::env::var("CI").is_err(),
                "ui/src/lib/api/bindings.ts is stale: run `cargo test -p keel-desktop` locally and commit it"
            );
            std::fs::write(&committed, fresh_text).expect("write bindings");
        }
    }

    #[test]
    fn errors_cross_as_code_and_message() {
        let err: super::ApiError = keel::KeelError::invalid("amount", "must not be negative").into();
        let json = serde_json::to_value(&err).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({
                "code": "invalid_input", "field": "amount", "message": "amount: must not be negative", "details": []
            })
        );
    }
}

#[cfg(test)]
mod security_test {
    use std::path::Path;

    fn json(path: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
        serde_json::from_str(&text).expect("valid JSON")
    }

    /// The window may call Keel's own commands and open the file dialogs: nothing else
    /// (no shell, http or file-system plugin permissions).
    #[test]
    fn the_window_holds_only_keels_commands_and_the_file_dialogs() {
        let capability = json("capabilities/default.json");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        assert_eq!(
            capability["permissions"],
            serde_json::json!(["core:event:default", "dialog:allow-open", "dialog:allow-save"])
        );
    }

    #[test]
    fn the_content_security_policy_loads_nothing_remote() {
        let config = json("tauri.conf.json");
        let csp = config["app"]["security"]["csp"].as_str().expect("a CSP is set");
        for directive in
            ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]
        {
            assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
        }
        // Tauri's IPC answers on http://ipc.localhost where the ipc: scheme is not available.
        let without_ipc = csp.replace("http://ipc.localhost", "");
        assert!(!without_ipc.contains("http") && !without_ipc.contains('*'), "remote source in {csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
    }
}
