//! The HTTP side: one thin handler per request, each authenticating the session first.
//! The acting member is always the session's; commands run one at a time on the one
//! writing connection, which feeds every row it writes to the change feed.

use crate::accounts::{self, Session};
use crate::limiter::Limiter;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use keel::clock::Clock;
use keel::remote::protocol::{
    CommandReply, CommandRequest, FeedPage, JobReply, JoinRequest, SessionReply, SignInRequest, UploadReply,
};
use keel::services::{CommandStamp, Workspace};
use keel::{ErrorBody, ErrorCode, KeelError};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

pub struct Config {
    pub db: PathBuf,
    pub listen: String,
    pub clock: Arc<dyn Clock>,
    pub session_hours: i64,
    /// HTTPS: the certificate chain and its key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Fault injection for the crash tests: wait this long after a command committed,
    /// before answering, so a test can kill the server between the two.
    pub pause_after_commit: Option<Duration>,
}

struct Shared {
    db: PathBuf,
    clock: Arc<dyn Clock>,
    session_hours: i64,
    pause_after_commit: Option<Duration>,
    /// The one connection that writes the workspace (and feeds its rows).
    writer: Mutex<Option<Workspace>>,
    limiter: Limiter,
    /// The feed's latest position, for members' open screens.
    position: watch::Sender<i64>,
    /// Long commands (imports) run as jobs, by `machine-number`.
    jobs: Mutex<HashMap<String, Job>>,
}

struct Job {
    member: keel::domain::TeamMemberId,
    reply: JobReply,
}

/// How an import job shares the write lock: a commit every 5,000 rows (a few tenths of a
/// second of writing), then a pause longer than SQLite's longest busy-wait step (100 ms),
/// so a waiting command always gets in.
const IMPORT_SLICES: keel::services::ImportSlices =
    keel::services::ImportSlices { rows: 5_000, pause: Duration::from_millis(150) };

/// How many jobs the server remembers before it forgets the finished ones.
const MAX_JOBS_KEPT: usize = 1_000;

/// The largest file a member may send for an import.
const MAX_UPLOAD: usize = 1 << 30;

type AppState = Arc<Shared>;

pub async fn serve(config: Config) -> keel::Result<()> {
    let writer = open_writer(&config.db, config.clock.clone())?;
    accounts::open(&config.db)?;
    let (position, _) = watch::channel(writer.feed_position()?);
    let state = Arc::new(Shared {
        db: config.db,
        clock: config.clock,
        session_hours: config.session_hours,
        pause_after_commit: config.pause_after_commit,
        writer: Mutex::new(Some(writer)),
        limiter: Limiter::default(),
        position,
        jobs: Mutex::default(),
    });
    let io = |context: String| move |source| KeelError::Io { context, source };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    if let Some((cert, key)) = config.tls {
        let listener = std::net::TcpListener::bind(&config.listen)
            .map_err(io(format!("listening on {}", config.listen)))?;
        listener.set_nonblocking(true).map_err(io("listening".into()))?;
        let address = listener.local_addr().map_err(io("listening".into()))?;
        // One provider for the process; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
            .await
            .map_err(io(format!("reading the certificate {} and key {}", cert.display(), key.display())))?;
        println!("keel-server listening on https://{address}");
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stopping.graceful_shutdown(Some(Duration::from_secs(5)));
        });
        return axum_server::from_tcp_rustls(listener, tls)
            .map_err(io("serving".into()))?
            .handle(handle)
            .serve(app)
            .await
            .map_err(io("serving".into()));
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(io(format!("listening on {}", config.listen)))?;
    let address = listener.local_addr().map_err(io("listening".into()))?;
    println!("keel-server listening on http://{address}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(io("serving".into()))
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/join", post(join))
        .route("/v1/session", post(sign_in))
        .route("/v1/me", get(me))
        .route("/v1/feed", get(feed))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/commands", post(command))
        .route("/v1/uploads", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/events", get(events))
        .with_state(state)
}

fn open_writer(db: &std::path::Path, clock: Arc<dyn Clock>) -> keel::Result<Workspace> {
    let ws = Workspace::open_existing(db, clock)?;
    if ws.is_replica() {
        return Err(KeelError::NotAllowed(format!(
            "{} is a member's copy, not a team workspace",
            db.display()
        )));
    }
    ws.capture_changes()?;
    Ok(ws)
}

/// `{code, field, message}` with the status that fits the code.
pub struct HttpError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<Duration>,
}

impl HttpError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            body: ErrorBody { code: code.into(), field: None, message: message.into() },
            retry_after: None,
        }
    }

    fn unauthenticated() -> HttpError {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
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
            ErrorCode::Schema | ErrorCode::Storage | ErrorCode::Io => StatusCode::INTERNAL_SERVER_ERROR,
        };
        HttpError { status, body: e.body(), retry_after: None }
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
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", format!("the command failed: {e}")))
    })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The session behind the request's token, or 401.
fn authenticate(state: &Shared, token: Option<String>) -> Result<Session, HttpError> {
    let token = token.ok_or_else(HttpError::unauthenticated)?;
    let conn = accounts::open(&state.db)?;
    accounts::session(&conn, &token, state.clock.now())?.ok_or_else(HttpError::unauthenticated)
}

fn session_reply(session: Session, credential: Option<String>) -> SessionReply {
    SessionReply {
        member_id: session.member.0,
        member_name: session.member_name,
        role: session.role,
        token: session.token,
        expires_at: session.expires_at.to_rfc3339(),
        credential,
        client_id: session.client_id,
    }
}

/// A sign-in attempt: refused at once while its address or target must wait.
fn limited<T>(
    state: &Shared,
    address: SocketAddr,
    attempt: impl FnOnce() -> keel::Result<Result<T, accounts::Refused>>,
) -> Result<T, HttpError> {
    let ip_key = format!("ip:{}", address.ip());
    if let Some(wait) = state.limiter.wait(std::slice::from_ref(&ip_key)) {
        return Err(too_many(wait));
    }
    match attempt()? {
        Ok(value) => {
            state.limiter.succeeded(std::slice::from_ref(&ip_key));
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
                    "unauthenticated",
                    "that code or credential is not valid (an invitation code works once, for 7 days)",
                )),
            }
        }
    }
}

fn too_many(wait: Duration) -> HttpError {
    HttpError {
        retry_after: Some(wait),
        ..HttpError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "unauthenticated",
            format!("too many failed sign-ins: try again in {} s", wait.as_secs().max(1)),
        )
    }
}

async fn join(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<JoinRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    blocking(move || {
        let (session, credential) = limited(&state, address, || {
            let mut conn = accounts::open(&state.db)?;
            accounts::join(&mut conn, &request.code, state.clock.now(), state.session_hours)
        })?;
        Ok(Json(session_reply(session, Some(credential))))
    })
    .await
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    Json(request): Json<SignInRequest>,
) -> Result<Json<SessionReply>, HttpError> {
    blocking(move || {
        let session = limited(&state, address, || {
            let conn = accounts::open(&state.db)?;
            accounts::sign_in(&conn, &request.credential, state.clock.now(), state.session_hours)
        })?;
        Ok(Json(session_reply(session, None)))
    })
    .await
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<SessionReply>, HttpError> {
    let token = bearer(&headers);
    blocking(move || Ok(Json(session_reply(authenticate(&state, token)?, None)))).await
}

#[derive(serde::Deserialize)]
struct FeedQuery {
    after: i64,
    limit: Option<u32>,
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Result<Json<FeedPage>, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        authenticate(&state, token)?;
        let ws = Workspace::open_existing(&state.db, state.clock.clone())?;
        let entries =
            ws.feed_since(query.after, query.limit.unwrap_or(keel::remote::FEED_PAGE).min(50_000))?;
        Ok(Json(FeedPage { entries, position: ws.feed_position()? }))
    })
    .await
}

/// A consistent copy of the workspace for a machine that joins, without the feed and
/// the server's own tables, and the feed position it stands at.
async fn snapshot(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, HttpError> {
    let token = bearer(&headers);
    let (file, position) = blocking(move || {
        authenticate(&state, token)?;
        let dir =
            state.db.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let copy = dir.join(format!(".snapshot-{}-{:?}.db", std::process::id(), std::thread::current().id()));
        let ws = Workspace::open_existing(&state.db, state.clock.clone())?;
        ws.backup_to(&copy)?;
        drop(ws);
        let result = (|| -> keel::Result<(std::fs::File, i64)> {
            let conn = rusqlite::Connection::open(&copy)?;
            let position = keel::store::feed::strip_for_replica(&conn)?;
            conn.execute_batch("PRAGMA journal_mode = DELETE")?;
            drop(conn);
            let file = std::fs::File::open(&copy)
                .map_err(|source| KeelError::Io { context: "reading the snapshot".into(), source })?;
            Ok((file, position))
        })();
        // Unlinked at once: the open file streams, and nothing is left behind.
        let _ = std::fs::remove_file(&copy);
        Ok(result?)
    })
    .await?;
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = axum::body::Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.sqlite3"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(keel::remote::protocol::POSITION_HEADER, HeaderValue::from(position));
    Ok(response)
}

/// A member's change, run as the session's member whatever the request says, applied
/// once per (machine, number).
async fn command(
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
                "forbidden",
                "a machine sends its commands under its own id",
            ));
        }
        let mut request = request;
        let upload = match &request.upload {
            Some(name) => Some(uploaded_file(&shared.db, &session, name)?),
            None => None,
        };
        if let Some(path) = &upload {
            let typed = path.to_string_lossy().into_owned();
            for arg in request.args.iter_mut().filter(|a| *a == keel::remote::protocol::UPLOAD_ARG) {
                arg.clone_from(&typed);
            }
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

fn run_command(
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
            return match ws.feed_position() {
                Ok(position) => (ws, Ok(CommandReply { output, position, repeated: true, job: None })),
                Err(e) => (ws, Err(e.into())),
            };
        }
        Ok(None) => {
            let mut ws = ws;
            ws.stamp_next_write(Some(CommandStamp {
                client_id: request.client_id.clone(),
                seq: request.seq,
                member: session.member,
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
fn finish(
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
    if words != ["team", "add"] {
        return Ok(CommandReply { output, position: ws.feed_position()?, repeated: false, job: None });
    }
    let conn = accounts::open(&shared.db)?;
    for (id, name) in accounts::uninvited(&conn)?.into_iter().filter(|(id, _)| id.0 > newest_before) {
        let code = accounts::invite(&conn, id, shared.clock.now())?;
        if !request.json {
            output.push_str(&format!(
                "Invitation code for {name}: {code} (valid {} days)\n",
                accounts::INVITE_DAYS
            ));
        }
    }
    Ok(CommandReply { output, position: ws.feed_position()?, repeated: false, job: None })
}

/// The member a `team invite NAME` command names.
fn invitation_for(args: &[String]) -> Option<String> {
    let words: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    match words.as_slice() {
        [team, invite, name] if *team == "team" && *invite == "invite" => Some(name.to_string()),
        _ => None,
    }
}

/// A new invitation code for a member, for a sales leader (the core's rule for who
/// manages the team); the server keeps the codes, so this runs here, not in the core.
fn invite(shared: &Shared, session: &Session, name: &str) -> Result<CommandReply, HttpError> {
    let conn = accounts::open(&shared.db)?;
    keel::services::policy::require(
        &conn,
        session.member,
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
    Ok(CommandReply { output, position: *shared.position.borrow(), repeated: false, job: None })
}

/// Where members' uploads wait for their command, beside the workspace file.
fn uploads_dir(db: &std::path::Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .join(".keel-uploads")
}

/// Keeps a file a member sent for a command (an import), under a name only they can use.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<UploadReply>, HttpError> {
    let token = bearer(&headers);
    let name = headers
        .get(keel::remote::protocol::FILE_NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|n| std::path::Path::new(n).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.is_empty())
        .unwrap_or_else(|| "upload".into());
    blocking(move || {
        let session = authenticate(&state, token)?;
        let mut secret = [0u8; 12];
        getrandom::fill(&mut secret).expect("the operating system's random generator");
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let folder = format!("{}-{hex}", session.member.0);
        let dir = uploads_dir(&state.db).join(&folder);
        let io = |context: &str| {
            let context = context.to_string();
            move |source| KeelError::Io { context, source }
        };
        std::fs::create_dir_all(&dir).map_err(io("keeping the upload"))?;
        std::fs::write(dir.join(&name), &body).map_err(io("keeping the upload"))?;
        Ok(Json(UploadReply { upload: format!("{folder}/{name}") }))
    })
    .await
}

/// The file a member uploaded, by the name the upload answered; another member's, or a
/// name that reaches outside the uploads, is not found.
fn uploaded_file(db: &std::path::Path, session: &Session, name: &str) -> Result<PathBuf, HttpError> {
    let not_found =
        || HttpError::new(StatusCode::NOT_FOUND, "not_found", "upload not found: send the file again");
    let (folder, file) = name.split_once('/').ok_or_else(not_found)?;
    let owned = folder
        .strip_prefix(&format!("{}-", session.member.0))
        .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()));
    if !owned || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(not_found());
    }
    let path = uploads_dir(db).join(folder).join(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(not_found())
    }
}

/// Starts a long command as a job and answers at once with its id; a retry of the same
/// command number gets the same job.
fn start_job(
    shared: &AppState,
    session: Session,
    request: CommandRequest,
    upload: Option<PathBuf>,
) -> Result<CommandReply, HttpError> {
    let id = format!("{}-{}", request.client_id, request.seq);
    let position = *shared.position.borrow();
    {
        let mut jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.contains_key(&id) {
            return Ok(CommandReply { output: String::new(), position, repeated: true, job: Some(id) });
        }
        let reply = JobReply {
            state: "running".into(),
            done: 0,
            total: 0,
            output: String::new(),
            error: None,
            position,
        };
        // Finished jobs are kept for their members to read, up to a bound.
        if jobs.len() >= MAX_JOBS_KEPT {
            jobs.retain(|_, job| job.reply.state == "running");
        }
        jobs.insert(id.clone(), Job { member: session.member, reply });
    }
    let shared = shared.clone();
    let job_id = id.clone();
    std::thread::spawn(move || {
        let (progress_shared, progress_id) = (shared.clone(), job_id.clone());
        let sink = Box::new(move |done: u64, total: u64| {
            let mut jobs = progress_shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(job) = jobs.get_mut(&progress_id) {
                job.reply.done = done;
                job.reply.total = total;
            }
        });
        let outcome = keel::cli::with_progress(sink, || {
            if upload.is_some() {
                // An import writes on a connection of its own, a slice at a time, so the
                // shared writer keeps serving other members' commands in between.
                let mut ws = open_writer(&shared.db, shared.clock.clone())?;
                ws.slice_imports(Some(IMPORT_SLICES));
                return run_command(&shared, ws, &session, &request, upload.as_deref()).1;
            }
            let mut writer = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
            let ws = match writer.take() {
                Some(ws) => ws,
                None => match open_writer(&shared.db, shared.clock.clone()) {
                    Ok(ws) => ws,
                    Err(e) => return Err(HttpError::from(e)),
                },
            };
            let (ws, outcome) = run_command(&shared, ws, &session, &request, upload.as_deref());
            *writer = Some(ws);
            outcome
        });
        if let Some(dir) = upload.as_deref().and_then(std::path::Path::parent) {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Ok(reply) = &outcome {
            shared.position.send_replace(reply.position);
        }
        let mut jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(job) = jobs.get_mut(&job_id) {
            match outcome {
                Ok(reply) => {
                    job.reply.state = "done".into();
                    job.reply.output = reply.output;
                    job.reply.position = reply.position;
                    job.reply.done = job.reply.total;
                }
                Err(e) => {
                    job.reply.state = "failed".into();
                    job.reply.error = Some(e.body);
                }
            }
        }
    });
    Ok(CommandReply { output: String::new(), position, repeated: false, job: Some(id) })
}

/// Where a job stands; only the member who started it may ask.
async fn job(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<JobReply>, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        let session = authenticate(&state, token)?;
        let jobs = state.jobs.lock().unwrap_or_else(|p| p.into_inner());
        match jobs.get(&id) {
            Some(job) if job.member == session.member => Ok(Json(job.reply.clone())),
            _ => Err(HttpError::new(StatusCode::NOT_FOUND, "not_found", format!("job {id} not found"))),
        }
    })
    .await
}

/// Server-sent events: the feed's position whenever it moves, so open screens catch up
/// within a moment of any member's change.
async fn events(State(state): State<AppState>, headers: HeaderMap) -> Result<impl IntoResponse, HttpError> {
    let token = bearer(&headers);
    let shared = state.clone();
    blocking(move || authenticate(&shared, token)).await?;
    let stream = tokio_stream::wrappers::WatchStream::new(state.position.subscribe()).map(|position| {
        Ok::<_, std::convert::Infallible>(Event::default().event("position").data(position.to_string()))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
