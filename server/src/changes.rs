//! Members' typed changes (`POST /v1/changes`): each is one of the core's `Change`s (an
//! allow-list by construction: a read, a file or an unknown kind is not one), applied by
//! the core's one `apply` as the session's member, once per (machine, number).

use crate::accounts::{self, Session, INVITE_DAYS};
use crate::app::{authenticate, bearer, blocking, open_writer, AppState, HttpError, Shared};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keel::changes::{Applied, Change, Invitation, Outcome};
use keel::remote::protocol::{ChangeReply, ChangeRequest};
use keel::services::{CommandStamp, Workspace};
use keel::store::outbox::Expected;
use keel::KeelError;

pub(crate) async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ChangeReply>, HttpError> {
    let token = bearer(&headers);
    let shared = state.clone();
    let reply = blocking(move || {
        // Who asks comes first: a stranger learns nothing about what a change looks like.
        let session = authenticate(&shared, token)?;
        let request: ChangeRequest = serde_json::from_slice(&body)
            .map_err(|e| KeelError::invalid("change", format!("this is not a change Keel makes: {e}")))?;
        if session.client_id != request.client_id {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                keel_api::ErrorCode::Forbidden,
                "a machine sends its changes under its own id",
            ));
        }
        let mut writer = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
        let ws = match writer.take() {
            Some(ws) => ws,
            None => open_writer(&shared.db, shared.clock.clone())?,
        };
        let (ws, outcome) = run_change(&shared, ws, &session, request);
        *writer = Some(ws);
        outcome
    })
    .await?;
    state.position.send_replace(reply.position);
    Ok(Json(reply))
}

fn run_change(
    shared: &Shared,
    mut ws: Workspace,
    session: &Session,
    request: ChangeRequest,
) -> (Workspace, Result<ChangeReply, HttpError>) {
    let outcome = apply_once(shared, &mut ws, session, request);
    ws.stamp_next_write(None);
    (ws, outcome)
}

fn apply_once(
    shared: &Shared,
    ws: &mut Workspace,
    session: &Session,
    request: ChangeRequest,
) -> Result<ChangeReply, HttpError> {
    let (client, seq) = (request.client_id.clone(), request.seq);
    if let Some(earlier) = ws.applied_command(&client, seq)? {
        // A retry of a change already applied: its first answer, nothing runs again.
        let created = ws.applied_created(&client, seq)?;
        let applied = earlier
            .and_then(|v| serde_json::from_value(v["applied"].clone()).ok())
            .or_else(|| request.change.applied_from(&created));
        return Ok(ChangeReply { applied, position: ws.feed_position()?, repeated: true, created });
    }
    // A change made offline is refused before anything else is said about it when what it
    // was based on has changed (the write checks it again, in its transaction).
    if ws.check_expectations(&request.expect)? == Expected::AlreadyInEffect {
        // Someone else already made exactly this change: it is done, nothing runs.
        return Ok(ChangeReply {
            applied: None,
            position: ws.feed_position()?,
            repeated: false,
            created: Vec::new(),
        });
    }
    let who = ws.authenticate(session.member)?;
    if let Change::MemberInvite { member } = &request.change {
        // The codes live with the server's accounts, not in the workspace: nothing is applied.
        return invite_again(shared, ws, who, *member);
    }
    ws.stamp_next_write(Some(CommandStamp {
        client_id: client.clone(),
        seq,
        member: session.member,
        expect: request.expect,
    }));
    let invites = matches!(request.change, Change::MemberAdd { .. } | Change::PortalInvite { .. });
    let mut applied = keel::changes::apply(ws, who, request.change)?;
    if ws.applied_command(&client, seq)?.is_some() {
        if let Some(pause) = shared.pause_after_commit {
            eprintln!("keel-server: change {seq} of {client} committed; pausing");
            std::thread::sleep(pause);
        }
        // Kept without any invitation code: a one-time secret is shown once, never stored.
        ws.remember_command_result(&client, seq, &serde_json::json!({ "applied": applied }))?;
    }
    if invites {
        applied.invitation = invitation_for(shared, &applied)?;
    }
    let created = ws.applied_created(&client, seq)?;
    Ok(ChangeReply { applied: Some(applied), position: ws.feed_position()?, repeated: false, created })
}

/// The one-time code for whoever a change just brought in: a member added to the team, or
/// a partner's person invited to the portal (shown to who made the change).
fn invitation_for(shared: &Shared, applied: &Applied) -> Result<Option<Invitation>, HttpError> {
    let conn = accounts::open(&shared.db)?;
    let now = shared.clock.now();
    Ok(match &applied.outcome {
        Outcome::Member(member) => {
            let code = accounts::invite(&conn, member.id, now)?;
            Some(Invitation { to: member.name.clone(), code, valid_days: INVITE_DAYS as u32 })
        }
        Outcome::PortalUser(user) => {
            let code = crate::portal_accounts::invite(&conn, user.id, now)?;
            Some(Invitation { to: user.email.clone(), code, valid_days: INVITE_DAYS as u32 })
        }
        _ => None,
    })
}

/// A new invitation code for a member, for a sales leader (the core's rule for who
/// manages the team); the server keeps the codes, so this runs here, not in the core.
fn invite_again(
    shared: &Shared,
    ws: &Workspace,
    who: keel::services::policy::Principal,
    member: keel::domain::TeamMemberId,
) -> Result<ChangeReply, HttpError> {
    let conn = accounts::open(&shared.db)?;
    keel::services::policy::require(
        &conn,
        who,
        keel::services::policy::Capability::ManageTeam,
        "invite members",
    )?;
    let member = keel::services::team::get(ws, member)?;
    if !member.is_active() {
        return Err(KeelError::NotAllowed(format!("{} has left the team", member.name)).into());
    }
    let code = accounts::invite(&conn, member.id, shared.clock.now())?;
    let mut applied = Applied::of_record("team_members", member.id.0);
    applied.invitation = Some(Invitation { to: member.name, code, valid_days: INVITE_DAYS as u32 });
    Ok(ChangeReply {
        applied: Some(applied),
        position: ws.feed_position()?,
        repeated: false,
        created: Vec::new(),
    })
}
