//! The partner portal's HTTP side, under `/portal`: a partner's people sign in with a
//! cookie session (never a team bearer token), and every answer is scoped to their own
//! partner by the core (`services::portal`). Writes go through the server's one writing
//! connection, so every copy follows them. State-changing requests must come from the
//! portal itself (a custom header no other site can send, and a matching Origin), and
//! every answer carries a strict Content-Security-Policy.

use crate::accounts;
use crate::portal_accounts::{self, PortalSession};
use crate::portal_front_end::CSP;
use crate::shared::{
    blocking, client_address, limited, open_writer, AddressGuard, AppState, HttpError, Shared,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keel::domain::{PartnerUserId, RegistrationId, StatementId};
use keel::services::payouts::ExportFormat;
use keel::services::portal;
use keel::services::Workspace;
use keel::store::partner_users::PartnerUser;
use keel_api::portal::{
    AcceptRequest, AnswerRequest, PortalEarnings, PortalProfile, PortalRegistration, PortalRegistrationForm,
    PortalStatement, SignInRequest,
};
use std::net::SocketAddr;

/// The session cookie's name.
pub const COOKIE: &str = "keel_portal";
/// The header every state-changing portal request carries (a cross-site form cannot).
pub const CSRF_HEADER: &str = "x-keel-portal";

pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/portal/api/accept", post(accept))
        .route("/portal/api/session", post(sign_in).delete(sign_out))
        .route("/portal/api/profile", get(profile))
        .route("/portal/api/registrations", get(registrations).post(register))
        .route("/portal/api/registrations/{id}", get(registration))
        .route("/portal/api/registrations/{id}/answer", post(answer))
        .route("/portal/api/earnings", get(earnings))
        .route("/portal/api/statements", get(statements))
        .route("/portal/api/statements/{id}", get(statement))
        .route("/portal/api/statements/{id}/pdf", get(statement_pdf))
        .route("/portal/api/statements/{id}/csv", get(statement_csv))
        .route("/portal", get(crate::portal_front_end::root))
        .route("/portal/", get(crate::portal_front_end::root))
        .route("/portal/{*path}", get(crate::portal_front_end::file))
        .layer(middleware::from_fn(guard))
        .with_state(state)
}

/// Every portal answer gets the security headers; a state-changing request must carry
/// the portal's header and, when the browser says where it comes from, this site.
async fn guard(request: Request, next: Next) -> Response {
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && !from_the_portal(request.headers()) {
        return with_headers(
            HttpError::new(
                StatusCode::FORBIDDEN,
                keel_api::ErrorCode::Forbidden,
                "this request did not come from the partner portal",
            )
            .into_response(),
        );
    }
    with_headers(next.run(request).await)
}

fn from_the_portal(headers: &HeaderMap) -> bool {
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
        }
    }
}

pub(crate) fn with_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (directly, or through a proxy that says so).
fn over_https(state: &Shared, headers: &HeaderMap) -> bool {
    state.https
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn session_cookie(state: &Shared, headers: &HeaderMap, value: &str, max_age: i64) -> HeaderValue {
    let secure = if over_https(state, headers) { "; Secure" } else { "" };
    let text =
        format!("{COOKIE}={value}; Path=/portal; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("keel_portal=; Max-Age=0"))
}

fn unauthenticated() -> HttpError {
    HttpError::new(
        StatusCode::UNAUTHORIZED,
        keel_api::ErrorCode::Unauthenticated,
        "sign in to the partner portal first",
    )
}

/// A read-only look at the workspace for one request.
fn reader(state: &Shared) -> Result<Workspace, HttpError> {
    Ok(Workspace::open_existing(&state.db, state.clock.clone())?)
}

/// The signed-in partner's person behind the request's cookie, or 401.
fn person(state: &Shared, headers: &HeaderMap, ws: &Workspace) -> Result<PartnerUser, HttpError> {
    let token = cookie_of(headers).ok_or_else(unauthenticated)?;
    let conn = accounts::open(&state.db)?;
    let id: PartnerUserId =
        portal_accounts::session(&conn, &token, state.clock.now())?.ok_or_else(unauthenticated)?;
    portal::signed_in(ws, id).map_err(|_| unauthenticated())
}

/// Runs a portal write on the server's one writing connection (so it feeds the copies).
fn write<T>(state: &Shared, f: impl FnOnce(&mut Workspace) -> keel::Result<T>) -> Result<T, HttpError> {
    let mut writer = state.writer.lock().unwrap_or_else(|p| p.into_inner());
    let mut ws = match writer.take() {
        Some(ws) => ws,
        None => open_writer(&state.db, state.clock.clone())?,
    };
    let result = f(&mut ws);
    let position = ws.feed_position();
    *writer = Some(ws);
    if let Ok(position) = position {
        state.position.send_replace(position);
    }
    Ok(result?)
}

fn signed_in_reply(
    state: &Shared,
    headers: &HeaderMap,
    session: PortalSession,
) -> Result<Response, HttpError> {
    let ws = reader(state)?;
    let user = portal::signed_in(&ws, session.user)?;
    let profile = PortalProfile::from(portal::profile(&ws, &user)?);
    let max_age = (session.expires_at - state.clock.now()).num_seconds().max(0);
    let mut response = Json(profile).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, headers, &session.token, max_age));
    Ok(response)
}

async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<AcceptRequest>,
) -> Result<Response, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let session = limited(&state, address, AddressGuard::Always, || {
            let mut conn = accounts::open(&state.db)?;
            portal_accounts::accept(
                &mut conn,
                &request.code,
                &request.email,
                &request.password,
                state.clock.now(),
                state.session_hours,
            )
        })?;
        signed_in_reply(&state, &headers, session)
    })
    .await
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<SignInRequest>,
) -> Result<Response, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let session = limited(&state, address, AddressGuard::Always, || {
            let conn = accounts::open(&state.db)?;
            portal_accounts::sign_in(
                &conn,
                &request.email,
                &request.password,
                state.clock.now(),
                state.session_hours,
            )
        })?;
        signed_in_reply(&state, &headers, session)
    })
    .await
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    blocking(move || {
        if let Some(token) = cookie_of(&headers) {
            portal_accounts::sign_out(&accounts::open(&state.db)?, &token)?;
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &headers, "", 0));
        Ok(response)
    })
    .await
}

/// A read for the signed-in person: `f` gets the workspace and who they are, and
/// answers in its keel-api shape.
async fn read<W: serde::Serialize + Send + 'static>(
    state: AppState,
    headers: HeaderMap,
    f: impl FnOnce(&Workspace, &PartnerUser) -> keel::Result<W> + Send + 'static,
) -> Result<Response, HttpError> {
    blocking(move || {
        let ws = reader(&state)?;
        let user = person(&state, &headers, &ws)?;
        Ok(Json(f(&ws, &user)?).into_response())
    })
    .await
}

async fn profile(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    read(state, headers, |ws, who| portal::profile(ws, who).map(PortalProfile::from)).await
}

async fn registrations(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    read(state, headers, |ws, who| {
        Ok(portal::registrations(ws, who)?.into_iter().map(PortalRegistration::from).collect::<Vec<_>>())
    })
    .await
}

fn registration_id(text: &str) -> Result<RegistrationId, HttpError> {
    text.parse().map(RegistrationId).map_err(|_| keel::KeelError::not_found("registration", text).into())
}

fn statement_id(text: &str) -> Result<StatementId, HttpError> {
    text.parse().map(StatementId).map_err(|_| keel::KeelError::not_found("statement", text).into())
}

async fn registration(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, HttpError> {
    let id = registration_id(&id)?;
    read(state, headers, move |ws, who| portal::registration(ws, who, id).map(PortalRegistration::from)).await
}

async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(form): Json<PortalRegistrationForm>,
) -> Result<Response, HttpError> {
    blocking(move || {
        let user = person(&state, &headers, &reader(&state)?)?;
        let created = write(&state, |ws| portal::register(ws, &user, form.into()))?;
        Ok((StatusCode::CREATED, Json(PortalRegistration::from(created))).into_response())
    })
    .await
}

async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Json(request): Json<AnswerRequest>,
) -> Result<Response, HttpError> {
    let id = registration_id(&id)?;
    blocking(move || {
        let user = person(&state, &headers, &reader(&state)?)?;
        let answered =
            write(&state, |ws| portal::answer(ws, &user, id, &request.answer, request.form.into()))?;
        Ok(Json(PortalRegistration::from(answered)).into_response())
    })
    .await
}

async fn earnings(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    read(state, headers, |ws, who| portal::earnings(ws, who).map(PortalEarnings::from)).await
}

async fn statements(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    read(state, headers, |ws, who| {
        Ok(portal::statements(ws, who)?.into_iter().map(PortalStatement::from).collect::<Vec<_>>())
    })
    .await
}

async fn statement(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, HttpError> {
    let id = statement_id(&id)?;
    read(state, headers, move |ws, who| portal::statement(ws, who, id).map(PortalStatement::from)).await
}

async fn statement_file(
    state: AppState,
    headers: HeaderMap,
    id: String,
    format: ExportFormat,
) -> Result<Response, HttpError> {
    let id = statement_id(&id)?;
    blocking(move || {
        let ws = reader(&state)?;
        let user = person(&state, &headers, &ws)?;
        let bytes = portal::statement_file(&ws, &user, id, format)?;
        let (kind, extension) = match format {
            ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
            ExportFormat::Pdf => ("application/pdf", "pdf"),
        };
        let mut response = Response::new(Body::from(bytes));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"statement-{}.{extension}\"", id.0))
        {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        Ok(response)
    })
    .await
}

async fn statement_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, HttpError> {
    statement_file(state, headers, id, ExportFormat::Pdf).await
}

async fn statement_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, HttpError> {
    statement_file(state, headers, id, ExportFormat::Csv).await
}
