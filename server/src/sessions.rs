//! Joining with a code and signing in: each attempt rate-limited.

use crate::accounts;
use crate::shared::{
    authenticate, bearer, blocking, client_address, limited, session_reply, AddressGuard, AppState, HttpError,
};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keel::remote::protocol::{JoinRequest, SessionReply, SignInRequest};
use keel::services::policy::{self, Capability};
use keel::KeelError;
use std::net::SocketAddr;

pub(crate) async fn join(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<JoinRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (session, credential) = limited(&state, address, AddressGuard::Always, || {
            let mut conn = accounts::open(&state.db)?;
            accounts::join(&mut conn, &request.code, state.clock.now(), state.session_hours)
        })?;
        Ok(Json(session_reply(&state, session, Some(credential))))
    })
    .await
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<SignInRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let known = accounts::is_known_machine(&accounts::open(&state.db)?, &request.credential)?;
        let guard = match request.credential.split_once('.') {
            Some((machine, _)) if known => AddressGuard::KnownMachine(format!("client:{machine}")),
            _ => AddressGuard::Always,
        };
        let session = limited(&state, address, guard, || {
            let conn = accounts::open(&state.db)?;
            accounts::sign_in(&conn, &request.credential, state.clock.now(), state.session_hours)
        })?;
        Ok(Json(session_reply(&state, session, None)))
    })
    .await
}

pub(crate) async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionReply>, HttpError> {
    let token = bearer(&headers);
    blocking(move || Ok(Json(session_reply(&state, authenticate(&state, token)?, None)))).await
}

/// Signing out: this session ends; the machine's credential still signs it in again.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        let token = token.ok_or_else(HttpError::unauthenticated)?;
        let conn = accounts::open(&state.db)?;
        accounts::sign_out(&conn, &token)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// The machines a member may see: a sales leader, the team's; anyone else, their own.
pub(crate) async fn machines(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<accounts::Machine>>, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        let session = authenticate(&state, token)?;
        let conn = accounts::open(&state.db)?;
        let who = policy::authenticate(&conn, session.member)?;
        let whose = (!policy::allows(who.role(), Capability::ManageTeam)).then_some(session.member);
        Ok(Json(accounts::machines(&conn, whose, state.clock.now())?))
    })
    .await
}

/// Revokes a machine: a sales leader any machine, a member their own. Its sessions end at
/// once (its live stream too) and its credential signs in no more.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(machine): Path<String>,
) -> Result<StatusCode, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        let session = authenticate(&state, token)?;
        let mut conn = accounts::open(&state.db)?;
        let who = policy::authenticate(&conn, session.member)?;
        // Another member's machine is "not found" to whoever may not manage the team.
        let owner = accounts::machine_owner(&conn, &machine)?
            .filter(|owner| *owner == session.member || policy::allows(who.role(), Capability::ManageTeam))
            .ok_or_else(|| KeelError::not_found("machine", &machine))?;
        if owner != session.member {
            policy::require(&conn, who, Capability::ManageTeam, "revoke another member's machine")?;
        }
        accounts::revoke(&mut conn, &machine, session.member, state.clock.now())?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
