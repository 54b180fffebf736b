//! The HTTP API for integrations (`/api/v1`, documented at `/api/v1/openapi.json`) and the
//! tokens it is used with (`/v1/tokens`, for sales leaders through the CLI). A token acts
//! as the leader who created it, within its scopes; reads go through the core's services
//! and changes through the core's one `apply`, as that member, like every other door.

use crate::accounts::{self, Session};
use crate::applying::{fingerprint_of, run_change};
use crate::shared::{
    authenticate, bearer, blocking, client_address, open_writer, too_many, AppState, HttpError, Shared,
};
use crate::tokens::{self, Bearer};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use keel::changes::Change;
use keel::domain::{DealId, RegistrationStatus, Segment};
use keel::remote::protocol::{ChangeRequest, CreatedToken, Scope, Token, TokenRequest};
use keel::services::accounts::AccountQuery;
use keel::services::deals::{self, DealQuery};
use keel::services::policy::{self, Capability, Principal};
use keel::services::{accounts as account_service, metrics, registrations, Workspace};
use keel::store::deals::{DealSort, DealStatus};
use keel::KeelError;
use keel_api::dto::{AccountDto, DealCard, Page, RegistrationDto};
use keel_api::filters::{resolve, DealFilter};
use keel_api::given;
use keel_api::integration::{
    AccountsQuery, ChangeAnswer, DealsQuery, Metrics, MetricsQuery, RegistrationsQuery,
};
use std::net::SocketAddr;

/// Most rows one page of a list answers.
const MOST_ROWS: u32 = 500;

/// The integration API, authenticated by tokens (no protocol headers: integrations are not
/// copies).
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/deals", get(deal_list))
        .route("/api/v1/deals/{id}", get(deal))
        .route("/api/v1/accounts", get(account_list))
        .route("/api/v1/registrations", get(registration_list))
        .route("/api/v1/metrics", get(report))
        .route("/api/v1/changes", post(change))
        .with_state(state)
}

/// The tokens' management for sales leaders (member sessions, through the CLI).
pub(crate) fn token_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/tokens", get(token_list).post(token_create))
        .route("/v1/tokens/{id}/revoke", post(token_revoke))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(keel_api::openapi::document())
}

/// The token's holder and principal, or 401; a missing scope is 403. Failures count
/// against the address (a token cannot be guessed; the count stops a flood of tries).
fn holder(
    state: &Shared,
    conn: &rusqlite::Connection,
    address: std::net::IpAddr,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<(Bearer, Principal), HttpError> {
    // Its own count, apart from sign-ins': an integration's mistakes lock no member out.
    let key = [format!("api:{address}")];
    let token = bearer(headers);
    let found = match &token {
        Some(token) => tokens::bearer(conn, token)?,
        None => None,
    };
    let Some((holder, last_used)) = found else {
        // Only what looks like a token is a guess at one: a missing one is a mistake. Each
        // guess counts, held back or not, so a flood waits longer and longer.
        if token.as_deref().is_some_and(tokens::looks_like_one) {
            let waited = state.limiter.wait(&key);
            state.limiter.failed(&key);
            if let Some(wait) = waited.or_else(|| state.limiter.wait(&key)) {
                return Err(too_many(wait));
            }
        }
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            keel_api::ErrorCode::Unauthenticated,
            "send an integration token as `Authorization: Bearer keel_…` (a sales leader creates one with `keel token create`)",
        ));
    };
    let now = state.clock.now();
    if !tokens::still_leads(conn, holder.member)? {
        // For good: leading again later does not bring it back.
        tokens::revoke(conn, holder.id, holder.member, now)?;
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            keel_api::ErrorCode::Unauthenticated,
            format!(
                "this token acted as {}, who no longer leads sales: it is revoked, and a sales leader creates a new one",
                holder.member_name
            ),
        ));
    }
    let who = policy::authenticate(conn, holder.member)?;
    if !holder.scopes.contains(&scope) {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            keel_api::ErrorCode::Forbidden,
            format!("this token's scopes do not include {}", scope.as_str()),
        ));
    }
    tokens::used(conn, holder.id, last_used.as_deref(), now)?;
    Ok((holder, who))
}

/// A read as the token's member: the workspace opened for reading, and who asks.
fn reading(
    state: &Shared,
    address: std::net::IpAddr,
    headers: &HeaderMap,
) -> Result<(Workspace, Principal), HttpError> {
    let conn = accounts::open(&state.db)?;
    let (_, who) = holder(state, &conn, address, headers, Scope::Read)?;
    Ok((Workspace::open_existing(&state.db, state.clock.clone())?, who))
}

/// A query string that does not read as the operation's: refused in words, naming it.
fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, HttpError> {
    query.map(|Query(q)| q).map_err(|e| {
        KeelError::invalid(
            "query",
            e.body_text().trim_start_matches("Failed to deserialize query string: ").to_string(),
        )
        .into()
    })
}

fn page(offset: Option<u32>, limit: Option<u32>) -> Result<(u32, u32), HttpError> {
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > MOST_ROWS {
        return Err(KeelError::invalid("limit", format!("give 1 to {MOST_ROWS} rows")).into());
    }
    Ok((offset.unwrap_or(0), limit))
}

async fn deal_list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<DealsQuery>, QueryRejection>,
) -> Result<Json<Page<DealCard>>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (ws, who) = reading(&state, address, &headers)?;
        let q = query_of(query)?;
        let (offset, limit) = page(q.offset, q.limit)?;
        let filter = DealFilter {
            owner_id: q.owner_id.map(Into::into),
            segment: q.segment,
            source: q.source,
            close_from: q.close_from,
            close_to: q.close_to,
            search: q.search,
        };
        let query = DealQuery {
            status: DealStatus::parse(q.status.as_deref().unwrap_or("open"))?,
            sort: q.sort.as_deref().map(DealSort::parse).transpose()?.unwrap_or_default(),
            descending: q.descending.unwrap_or(false),
            offset: Some(offset),
            limit: Some(limit),
            ..resolve(&ws, filter)?.deal_query()?
        };
        let now = ws.now();
        let rows = deals::list(&ws, who, &query)?.iter().map(|d| DealCard::of(d, now)).collect();
        Ok(Json(Page { total: deals::count(&ws, who, &query)?.into(), offset: offset.into(), rows }))
    })
    .await
}

async fn deal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<DealCard>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (ws, who) = reading(&state, address, &headers)?;
        let id: i64 = id.parse().map_err(|_| KeelError::not_found("deal", &id))?;
        let deal = deals::get(&ws, who, DealId(id))?;
        Ok(Json(DealCard::of(&deal, ws.now())))
    })
    .await
}

async fn account_list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<AccountsQuery>, QueryRejection>,
) -> Result<Json<Page<AccountDto>>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (ws, who) = reading(&state, address, &headers)?;
        let q = query_of(query)?;
        let (offset, limit) = page(q.offset, q.limit)?;
        let query = AccountQuery {
            segment: given(q.segment).map(|s| Segment::parse("segment", &s)).transpose()?,
            search: given(q.search),
            limit: Some(limit),
            offset: Some(offset),
        };
        let rows = account_service::list(&ws, who, &query)?.iter().map(AccountDto::from).collect();
        Ok(Json(Page {
            total: account_service::count(&ws, who, &query)?.into(),
            offset: offset.into(),
            rows,
        }))
    })
    .await
}

async fn registration_list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<RegistrationsQuery>, QueryRejection>,
) -> Result<Json<Vec<RegistrationDto>>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (ws, who) = reading(&state, address, &headers)?;
        let q = query_of(query)?;
        let status = given(q.status).map(|s| RegistrationStatus::parse("status", &s)).transpose()?;
        Ok(Json(registrations::list(&ws, who, status)?.into_iter().map(RegistrationDto::from).collect()))
    })
    .await
}

async fn report(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<MetricsQuery>, QueryRejection>,
) -> Result<Json<Metrics>, HttpError> {
    let address = client_address(&state, peer, &headers);
    blocking(move || {
        let (ws, who) = reading(&state, address, &headers)?;
        let q = query_of(query)?;
        let (query, _) = keel_api::filters::metrics_query(keel_api::filters::DashboardQuery {
            from: q.from,
            to: q.to,
            owner_id: q.owner_id.map(Into::into),
            segment: q.segment,
            source: q.source,
            as_of: None,
        })?;
        Ok(Json(Metrics::of(metrics::compute(&ws, who, &query)?)))
    })
    .await
}

/// One typed change, applied once per token and `Idempotency-Key`.
async fn change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChangeAnswer>, HttpError> {
    let address = client_address(&state, peer, &headers);
    let shared = state.clone();
    let answer = blocking(move || {
        let mut conn = accounts::open(&shared.db)?;
        let (holder, _) = holder(&shared, &conn, address, &headers, Scope::Write)?;
        let body = body.map_err(too_big)?;
        let change: Change = serde_json::from_slice(&body)
            .map_err(|e| KeelError::invalid("change", format!("this is not a change Keel makes: {e}")))?;
        if let Some(why) = keel_api::integration::not_offered(&change) {
            return Err(KeelError::invalid("change", why).into());
        }
        let key = match headers.get_all("idempotency-key").iter().collect::<Vec<_>>().as_slice() {
            [] => None,
            [one] => Some(one.to_str().map_err(|_| KeelError::invalid("Idempotency-Key", "give printable text"))?),
            _ => return Err(KeelError::invalid("Idempotency-Key", "is given more than once: send it once").into()),
        };
        let seq = tokens::number_for(&mut conn, holder.id, key)?;
        let fingerprint = fingerprint_of(&change);
        let session = Session {
            member: holder.member,
            member_name: holder.member_name.clone(),
            role: holder.role.clone(),
            client_id: holder.client_id(),
            token: String::new(),
            expires_at: shared.clock.now(),
        };
        let mut writer = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
        let ws = match writer.take() {
            Some(ws) => ws,
            None => open_writer(&shared.db, shared.clock.clone())?,
        };
        // The key sent before with another change: refused in the API's words, nothing made.
        let earlier = ws.applied_command(&session.client_id, seq);
        let reused = matches!(&earlier, Ok(Some(Some(kept))) if kept["fingerprint"].as_str().is_some_and(|k| k != fingerprint));
        if reused {
            *writer = Some(ws);
            return Err(KeelError::NotAllowed(
                "this Idempotency-Key was sent before with another change: nothing was made (send a new key)".into(),
            )
            .into());
        }
        let request =
            ChangeRequest { client_id: session.client_id.clone(), seq, change, expect: Vec::new(), feed_after: None };
        let (ws, outcome) = run_change(&shared, ws, &session, request, fingerprint);
        *writer = Some(ws);
        outcome
    })
    .await?;
    state.position.send_replace(answer.position);
    Ok(Json(ChangeAnswer {
        applied: answer.applied,
        repeated: answer.repeated,
        position: answer.position.into(),
    }))
}

/// A body past the size limit, answered with its own status, in words.
fn too_big(e: BytesRejection) -> HttpError {
    HttpError::new(e.status(), keel_api::ErrorCode::InvalidInput, format!("this body cannot be read: {e}"))
}

/// A member's session and principal, for the tokens' management: sales leaders only.
fn leader(
    state: &Shared,
    headers: &HeaderMap,
    doing: &str,
) -> Result<(rusqlite::Connection, Session), HttpError> {
    let session = authenticate(state, bearer(headers))?;
    let conn = accounts::open(&state.db)?;
    let who = policy::authenticate(&conn, session.member)?;
    policy::require(&conn, who, Capability::ManageTeam, doing)?;
    Ok((conn, session))
}

async fn token_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Token>>, HttpError> {
    blocking(move || {
        let (conn, _) = leader(&state, &headers, "see integration tokens")?;
        tokens::retire_unled(&conn, state.clock.now())?;
        Ok(Json(tokens::list(&conn)?))
    })
    .await
}

async fn token_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CreatedToken>, HttpError> {
    blocking(move || {
        let (conn, session) = leader(&state, &headers, "create integration tokens")?;
        let body = body.map_err(too_big)?;
        let request: TokenRequest = serde_json::from_slice(&body)
            .map_err(|e| KeelError::invalid("token", format!("this is not a token request: {e}")))?;
        Ok(Json(tokens::create(&conn, session.member, &request.name, &request.scopes, state.clock.now())?))
    })
    .await
}

async fn token_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    blocking(move || {
        let (conn, session) = leader(&state, &headers, "revoke integration tokens")?;
        let id: i64 = id.parse().map_err(|_| KeelError::not_found("token", &id))?;
        tokens::revoke(&conn, id, session.member, state.clock.now())?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
