//! What every handler shares, below them all: the server's state, the one error answer
//! (`{code, field, message}` with its status), running blocking work, authenticating a
//! session, the client's address, the failed-sign-in limiter, and the connections kept for
//! reading (sessions, feed pages and their fingerprints).
use crate::accounts::{self, Session};
use crate::limiter::Limiter;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keel::clock::Clock;
use keel::remote::protocol::{FeedPage, JobReply, SessionReply};
use keel::services::Workspace;
use keel::{ErrorCode, KeelError};
use keel_api::ApiError;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A long change (an import) run as a job, and who may follow it.
pub(crate) struct Job {
    pub(crate) member: keel::domain::TeamMemberId,
    pub(crate) reply: JobReply,
    /// The change it runs, as sent (a number sent again with another change is refused).
    pub(crate) fingerprint: String,
}

pub(crate) struct Shared {
    pub(crate) db: PathBuf,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) session_hours: i64,
    pub(crate) pause_after_commit: Option<Duration>,
    /// Served over HTTPS itself (the portal's cookie is then `Secure`).
    pub(crate) https: bool,
    pub(crate) portal_dir: Option<PathBuf>,
    /// The one connection that writes the workspace (and feeds its rows).
    pub(crate) writer: Mutex<Option<Workspace>>,
    pub(crate) limiter: Limiter,
    pub(crate) trusted_proxy: Option<std::net::IpAddr>,
    /// The feed's latest position, for members' open screens.
    pub(crate) position: watch::Sender<i64>,
    /// Long commands (imports) run as jobs, by `machine-number`.
    pub(crate) jobs: Mutex<HashMap<String, Job>>,
    /// This file's epoch (see `accounts::epoch`), read once at start.
    pub(crate) epoch: String,
    /// Connections that read the file (sessions, the feed), kept between requests.
    pub(crate) readers: Readers,
}

/// Read-only connections to the server's file, kept open between requests. A new
/// connection parses the whole schema before its first statement, which cost far more
/// than the few rows a request reads (its session, a feed page): opened for each request,
/// it was most of the server's time for a change sent online.
pub(crate) struct Readers {
    db: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// How many idle readers are kept; more open when requests read at once.
const IDLE_READERS: usize = 8;

impl Readers {
    pub(crate) fn new(db: PathBuf) -> Readers {
        Readers { db, idle: Mutex::default() }
    }

    /// Runs `f` in one read transaction (it sees one state of the file) on a kept
    /// connection, or a new one when none is idle.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> keel::Result<T>,
    ) -> keel::Result<T> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = rusqlite::Connection::open_with_flags(
                    &self.db,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn
            }
        };
        let value = {
            let tx = conn.unchecked_transaction()?;
            // Dropped unfinished: a read has nothing to commit.
            f(&tx)
        };
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
        value
    }
}

pub(crate) type AppState = Arc<Shared>;

pub(crate) fn open_writer(db: &std::path::Path, clock: Arc<dyn Clock>) -> keel::Result<Workspace> {
    let mut ws = Workspace::open_existing(db, clock)?;
    if ws.is_replica() {
        return Err(KeelError::NotAllowed(format!(
            "{} is a member's copy, not a team workspace",
            db.display()
        )));
    }
    ws.capture_changes()?;
    Ok(ws)
}

/// The feed's entries after `after` (at most `limit`), where it stands and the fingerprint
/// of the page's last entry, as one read. None when the copy has seen changes this file
/// never had (it was put back from a backup, whatever its epoch says).
pub(crate) fn feed_page(state: &Shared, after: i64, limit: u32) -> keel::Result<Option<FeedPage>> {
    state.readers.read(|conn| {
        let position = keel::store::feed::position(conn)?;
        if after > position {
            return Ok(None);
        }
        let entries = keel::store::feed::since(conn, after, limit)?;
        let last_check = match entries.last() {
            Some(last) => feed_check(conn, last.seq)?,
            None => None,
        };
        Ok(Some(FeedPage { entries, position, last_check }))
    })
}

/// The server's fingerprint of its feed entry `seq` (none when it has no such entry): a
/// copy keeps the one of the entry it stands at, and sends it back with every request.
pub(crate) fn feed_check(conn: &rusqlite::Connection, seq: i64) -> keel::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    let entry: Option<(String, String, String, Option<String>)> = conn
        .query_row("SELECT tbl, op, pk, row_json FROM change_feed WHERE seq = ?1", [seq], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    Ok(entry.map(|(table, op, pk, row)| {
        let text = format!("{seq}\n{table}\n{op}\n{pk}\n{}", row.unwrap_or_default());
        crate::secrets::sha256(&text)[..32].to_string()
    }))
}

/// `{code, field, message}` with the status that fits the code.
pub struct HttpError {
    status: StatusCode,
    /// The one error body every front door answers (`{code, field, message, details}`).
    pub(crate) body: ApiError,
    retry_after: Option<Duration>,
}

impl HttpError {
    pub(crate) fn new(
        status: StatusCode,
        code: keel_api::ErrorCode,
        message: impl Into<String>,
    ) -> HttpError {
        HttpError {
            status,
            body: ApiError { code, field: None, message: message.into(), details: Vec::new() },
            retry_after: None,
        }
    }

    /// The body as the member protocol carries it inside a job's status (the same JSON).
    pub(crate) fn into_member_body(self) -> keel::ErrorBody {
        let code = serde_json::to_value(self.body.code).ok().and_then(|c| c.as_str().map(str::to_string));
        keel::ErrorBody {
            code: code.unwrap_or_else(|| "storage".into()),
            field: self.body.field,
            message: self.body.message,
            details: self.body.details,
        }
    }

    pub(crate) fn unauthenticated() -> HttpError {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            keel_api::ErrorCode::Unauthenticated,
            "sign in first: this request has no current session",
        )
    }
}

impl From<KeelError> for HttpError {
    fn from(e: KeelError) -> HttpError {
        let status = match e.kind() {
            ErrorCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Duplicate | ErrorCode::CriteriaUnmet | ErrorCode::Conflict | ErrorCode::NotAllowed => {
                StatusCode::CONFLICT
            }
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Busy | ErrorCode::Offline => StatusCode::SERVICE_UNAVAILABLE,
            // The request's versions: 409 says this request cannot be taken as it is.
            ErrorCode::Incompatible | ErrorCode::Restored => StatusCode::CONFLICT,
            ErrorCode::Schema | ErrorCode::Storage | ErrorCode::Io => StatusCode::INTERNAL_SERVER_ERROR,
        };
        HttpError { status, body: e.into(), retry_after: None }
    }
}

/// A refusal the API layer read (a filter, a query): the status its code calls for.
impl From<ApiError> for HttpError {
    fn from(body: ApiError) -> HttpError {
        use keel_api::ErrorCode as Code;
        let status = match body.code {
            Code::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::Duplicate | Code::CriteriaUnmet | Code::Conflict | Code::NotAllowed => StatusCode::CONFLICT,
            Code::Incompatible | Code::Restored => StatusCode::CONFLICT,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Unauthenticated | Code::NoUser => StatusCode::UNAUTHORIZED,
            Code::Busy | Code::Offline => StatusCode::SERVICE_UNAVAILABLE,
            Code::Schema | Code::Storage | Code::Io => StatusCode::INTERNAL_SERVER_ERROR,
        };
        HttpError { status, body, retry_after: None }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(wait) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Runs blocking work (SQLite, password hashing) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            keel_api::ErrorCode::Storage,
            format!("the command failed: {e}"),
        ))
    })
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The session behind the request's token, or 401.
pub(crate) fn authenticate(state: &Shared, token: Option<String>) -> Result<Session, HttpError> {
    let token = token.ok_or_else(HttpError::unauthenticated)?;
    let now = state.clock.now();
    state.readers.read(|conn| accounts::session(conn, &token, now))?.ok_or_else(HttpError::unauthenticated)
}

pub(crate) fn session_reply(state: &Shared, session: Session, credential: Option<String>) -> SessionReply {
    SessionReply {
        epoch: Some(state.epoch.clone()),
        schema_version: Some(keel::store::latest_version()),
        member_id: session.member.0,
        member_name: session.member_name,
        role: session.role,
        token: session.token,
        expires_at: session.expires_at.to_rfc3339(),
        credential,
        client_id: session.client_id,
    }
}

/// The address a request came from: the peer's, or, when the peer is the configured
/// trusted proxy, the client address it appended last to `X-Forwarded-For`.
pub(crate) fn client_address(state: &Shared, peer: SocketAddr, headers: &HeaderMap) -> std::net::IpAddr {
    if state.trusted_proxy != Some(peer.ip()) {
        return peer.ip();
    }
    // Only the last entry is the proxy's own word; anything before it the client wrote.
    // One that does not read as an address counts as the proxy's.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .unwrap_or(peer.ip())
}

/// What holds a sign-in attempt back before it is tried.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum AddressGuard {
    /// Its address's failures (a person's password, a one-time code).
    Always,
    /// The failures against this machine (key `client:ID`), not its address's: a known
    /// machine's 256-bit credential cannot be guessed, so a stranger's failures from the
    /// same address (an office, a proxy) must not lock it out, and guesses aimed at its id
    /// are held back by that id's own count. Its failures still count against the address.
    KnownMachine(String),
}

/// A sign-in attempt: refused at once while its address or target must wait.
pub(crate) fn limited<T>(
    state: &Shared,
    address: std::net::IpAddr,
    guard: AddressGuard,
    attempt: impl FnOnce() -> keel::Result<Result<T, accounts::Refused>>,
) -> Result<T, HttpError> {
    let ip_key = format!("ip:{address}");
    let held_by = match guard {
        AddressGuard::Always => ip_key.clone(),
        AddressGuard::KnownMachine(key) => key,
    };
    if let Some(wait) = state.limiter.wait(std::slice::from_ref(&held_by)) {
        return Err(too_many(wait));
    }
    match attempt()? {
        Ok(value) => {
            // A success clears what held it back: a known machine's success does not wipe a
            // stranger's failures from the same address.
            state.limiter.succeeded(std::slice::from_ref(&held_by));
            Ok(value)
        }
        Err(refused) => {
            let keys = [ip_key, refused.key];
            let waited = state.limiter.wait(&keys);
            state.limiter.failed(&keys);
            match waited.or_else(|| state.limiter.wait(&keys)) {
                Some(wait) => Err(too_many(wait)),
                None => Err(HttpError::new(
                    StatusCode::UNAUTHORIZED,
                    keel_api::ErrorCode::Unauthenticated,
                    "that code or credential is not valid (an invitation code works once, for 7 days)",
                )),
            }
        }
    }
}

pub(crate) fn too_many(wait: Duration) -> HttpError {
    HttpError {
        retry_after: Some(wait),
        ..HttpError::new(
            StatusCode::TOO_MANY_REQUESTS,
            keel_api::ErrorCode::Unauthenticated,
            format!("too many failed sign-ins: try again in {} s", wait.as_secs().max(1)),
        )
    }
}
