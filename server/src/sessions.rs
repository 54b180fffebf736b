//! Joining with a code and signing in: each attempt rate-limited.

use crate::accounts;
use crate::app::{authenticate, bearer, blocking, limited, session_reply, AppState, HttpError};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::Json;
use keel::remote::protocol::{JoinRequest, SessionReply, SignInRequest};
use std::net::SocketAddr;

pub(crate) async fn join(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<JoinRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    blocking(move || {
        let (session, credential) = limited(&state, address, || {
            let mut conn = accounts::open(&state.db)?;
            accounts::join(&mut conn, &request.code, state.clock.now(), state.session_hours)
        })?;
        Ok(Json(session_reply(&state, session, Some(credential))))
    })
    .await
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<SignInRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    blocking(move || {
        let session = limited(&state, address, || {
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
