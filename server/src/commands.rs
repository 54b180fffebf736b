//! Members' changes: each runs as the session's member, once per (machine, number).

use crate::accounts::{self, Session};
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
        if let Some(name) = invitation_for(&request.args) {
            return invite(&shared, &session, &name);
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
    let newest_before = match keel::services::team::list(&ws) {
        Ok(members) => members.iter().map(|m| m.id.0).max().unwrap_or(0),
        Err(e) => return (ws, Err(e.into())),
    };
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
    let reply = result
        .map_err(HttpError::from)
        .and_then(|output| finish(shared, &mut ws, request, output, newest_before));
    (ws, reply)
}

/// After a command succeeded: remembers its answer for retries, and invites the members
/// it added.
pub(crate) fn finish(
    shared: &Shared,
    ws: &mut Workspace,
    request: &CommandRequest,
    mut output: String,
    newest_before: i64,
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
    // Members a sales leader added (`team add`) get their invitation code, shown to that
    // leader; owners an import adds to the team get theirs from `keel-server invite`.
    let words: Vec<&str> =
        request.args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).take(2).collect();
    let created = ws.applied_created(&request.client_id, request.seq)?;
    if words == ["partner", "invite"] {
        output = with_portal_code(shared, request, output)?;
    }
    if words != ["team", "add"] {
        return Ok(CommandReply {
            output,
            position: ws.feed_position()?,
            repeated: false,
            job: None,
            created,
        });
    }
    let conn = accounts::open(&shared.db)?;
    for (id, name) in accounts::uninvited(&conn)?.into_iter().filter(|(id, _)| id.0 > newest_before) {
        let code = accounts::invite(&conn, id, shared.clock.now())?;
        if request.json {
            // The member as the CLI printed them, with the code they join with.
            let mut value: serde_json::Value = serde_json::from_str(&output).unwrap_or_default();
            if value.is_object() {
                value["invitation_code"] = serde_json::Value::String(code);
                value["invitation_valid_days"] = serde_json::Value::from(accounts::INVITE_DAYS);
                output = format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
            }
        } else {
            output.push_str(&format!(
                "Invitation code for {name}: {code} (valid {} days)\n",
                accounts::INVITE_DAYS
            ));
        }
    }
    Ok(CommandReply { output, position: ws.feed_position()?, repeated: false, job: None, created })
}

/// A partner's person just invited to the portal gets a one-time code, shown to the
/// partner manager who invited them (the server keeps the codes).
fn with_portal_code(shared: &Shared, request: &CommandRequest, output: String) -> Result<String, HttpError> {
    let email = request
        .args
        .iter()
        .position(|a| a == "--email")
        .and_then(|i| request.args.get(i + 1))
        .cloned()
        .or_else(|| request.args.iter().find_map(|a| a.strip_prefix("--email=").map(str::to_string)))
        .unwrap_or_default();
    let conn = accounts::open(&shared.db)?;
    let Some(user) = keel::store::partner_users::find_by_email(&conn, email.trim())? else {
        return Ok(output);
    };
    let code = crate::portal_accounts::invite(&conn, user.id, shared.clock.now())?;
    if request.json {
        let mut value: serde_json::Value = serde_json::from_str(&output).unwrap_or_default();
        value["invitation_code"] = serde_json::Value::String(code);
        return Ok(format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()));
    }
    Ok(format!(
        "{output}Invitation code for {}: {code} (valid {} days; they sign in at /portal on this server)\n",
        user.email,
        accounts::INVITE_DAYS
    ))
}

/// The member a `team invite NAME` command names.
pub(crate) fn invitation_for(args: &[String]) -> Option<String> {
    let words: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    match words.as_slice() {
        [team, invite, name] if *team == "team" && *invite == "invite" => Some(name.to_string()),
        _ => None,
    }
}

/// A new invitation code for a member, for a sales leader (the core's rule for who
/// manages the team); the server keeps the codes, so this runs here, not in the core.
pub(crate) fn invite(shared: &Shared, session: &Session, name: &str) -> Result<CommandReply, HttpError> {
    let conn = accounts::open(&shared.db)?;
    let who = keel::services::policy::authenticate(&conn, session.member)?;
    keel::services::policy::require(
        &conn,
        who,
        keel::services::policy::Capability::ManageTeam,
        "invite members",
    )?;
    let member = keel::store::team::find_by_name(&conn, name)?
        .ok_or_else(|| KeelError::not_found("team member", name))?;
    if !member.is_active() {
        return Err(KeelError::NotAllowed(format!("{} has left the team", member.name)).into());
    }
    let code = accounts::invite(&conn, member.id, shared.clock.now())?;
    let output =
        format!("Invitation code for {}: {code} (valid {} days)\n", member.name, accounts::INVITE_DAYS);
    Ok(CommandReply {
        output,
        position: *shared.position.borrow(),
        repeated: false,
        job: None,
        created: Vec::new(),
    })
}
