//! Members' imports (`POST /v1/commands`): the command line of an import of a file the
//! member uploaded, run as the session's member, once per (machine, number). Every
//! other change is typed (see `changes`).

use crate::accounts::Session;
use crate::app::{authenticate, bearer, blocking, open_writer, AppState, HttpError, Shared};
use crate::jobs::{start_job, uploaded_file};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keel::remote::protocol::{CommandReply, CommandRequest};
use keel::services::{CommandStamp, Workspace};
use keel::KeelError;

/// A member's change, run as the session's member whatever the request says, applied
/// once per (machine, number).
pub(crate) async fn command(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<CommandRequest>,
) -> Result<Json<CommandReply>, HttpError> {
    let token = bearer(&headers);
    let shared = state.clone();
    let reply = blocking(move || {
        let session = authenticate(&shared, token)?;
        if session.client_id != request.client_id {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                keel_api::ErrorCode::Forbidden,
                "a machine sends its commands under its own id",
            ));
        }
        let mut request = request;
        let upload = match &request.upload {
            Some(name) => Some(uploaded_file(&shared.db, &session, name)?),
            None => None,
        };
        if let Some(path) = &upload {
            // An upload goes with one import, as its file: the one place it may stand.
            let at = keel::cli::import_file_position(&request.args)
                .filter(|at| request.args[*at] == keel::remote::protocol::UPLOAD_ARG)
                .ok_or_else(|| {
                    HttpError::from(KeelError::invalid(
                        "upload",
                        "a file sent ahead goes only with an import, as the file it imports",
                    ))
                })?;
            request.args[at] = path.to_string_lossy().into_owned();
        }
        if request.background {
            return start_job(&shared, session, request, upload);
        }
        let mut writer = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
        let ws = match writer.take() {
            Some(ws) => ws,
            None => open_writer(&shared.db, shared.clock.clone())?,
        };
        let (ws, outcome) = run_command(&shared, ws, &session, &request, upload.as_deref());
        *writer = Some(ws);
        if let Some(dir) = upload.as_deref().and_then(std::path::Path::parent) {
            let _ = std::fs::remove_dir_all(dir);
        }
        outcome
    })
    .await?;
    state.position.send_replace(reply.position);
    Ok(Json(reply))
}

pub(crate) fn run_command(
    shared: &Shared,
    ws: Workspace,
    session: &Session,
    request: &CommandRequest,
    upload: Option<&std::path::Path>,
) -> (Workspace, Result<CommandReply, HttpError>) {
    let (mut ws, result) = match ws.applied_command(&request.client_id, request.seq) {
        Ok(Some(earlier)) => {
            let output = earlier.as_ref().and_then(|v| v["output"].as_str()).unwrap_or_default().to_string();
            let answer = ws.feed_position().and_then(|position| {
                let created = ws.applied_created(&request.client_id, request.seq)?;
                Ok(CommandReply { output, position, repeated: true, job: None, created })
            });
            return match answer {
                Ok(reply) => (ws, Ok(reply)),
                Err(e) => (ws, Err(e.into())),
            };
        }
        Ok(None) => {
            // A change made offline is refused before anything else is said about it
            // when what it was based on has changed (the write checks it again).
            match ws.check_expectations(&request.expect) {
                Err(e) => return (ws, Err(e.into())),
                // Someone else already made exactly this change: it is done, nothing runs.
                Ok(keel::store::outbox::Expected::AlreadyInEffect) => {
                    let answer = ws.feed_position().map(|position| CommandReply {
                        output: String::new(),
                        position,
                        repeated: false,
                        job: None,
                        created: Vec::new(),
                    });
                    return match answer {
                        Ok(reply) => (ws, Ok(reply)),
                        Err(e) => (ws, Err(e.into())),
                    };
                }
                Ok(keel::store::outbox::Expected::Proceed) => {}
            }
            let mut ws = ws;
            ws.stamp_next_write(Some(CommandStamp {
                client_id: request.client_id.clone(),
                seq: request.seq,
                member: session.member,
                expect: request.expect.clone(),
            }));
            keel::cli::run_for_member(ws, session.member, &request.args, upload)
        }
        Err(e) => return (ws, Err(e.into())),
    };
    ws.stamp_next_write(None);
    let reply = result.map_err(HttpError::from).and_then(|output| finish(shared, &mut ws, request, output));
    (ws, reply)
}

/// After a command succeeded: remembers its answer for retries.
pub(crate) fn finish(
    shared: &Shared,
    ws: &mut Workspace,
    request: &CommandRequest,
    output: String,
) -> Result<CommandReply, HttpError> {
    if ws.applied_command(&request.client_id, request.seq)?.is_some() {
        if let Some(pause) = shared.pause_after_commit {
            eprintln!("keel-server: command {} of {} committed; pausing", request.seq, request.client_id);
            std::thread::sleep(pause);
        }
        ws.remember_command_result(
            &request.client_id,
            request.seq,
            &serde_json::json!({ "output": output }),
        )?;
    }
    let created = ws.applied_created(&request.client_id, request.seq)?;
    Ok(CommandReply { output, position: ws.feed_position()?, repeated: false, job: None, created })
}
