//! Imports: the files members send for them, and the jobs that run them and report progress.

use crate::accounts::Session;
use crate::applying::apply_once;
use crate::shared::{authenticate, bearer, blocking, open_writer, AppState, HttpError, Job};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keel::remote::protocol::{ChangeReply, ChangeRequest, JobReply, UploadReply};
use keel::KeelError;
use std::path::PathBuf;
use std::time::Duration;

/// How an import job shares the write lock: a commit every 5,000 rows (a few tenths of a
/// second of writing), then a pause longer than SQLite's longest busy-wait step (100 ms),
/// so a waiting command always gets in.
const IMPORT_SLICES: keel::services::ImportSlices =
    keel::services::ImportSlices { rows: 5_000, pause: Duration::from_millis(150) };

/// How many jobs the server remembers before it forgets the finished ones.
const MAX_JOBS_KEPT: usize = 1_000;

/// The largest file a member may send for an import.
pub(crate) const MAX_UPLOAD: usize = 1 << 30;

/// Where members' uploads wait for their command, beside the workspace file.
pub(crate) fn uploads_dir(db: &std::path::Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .join(".keel-uploads")
}

/// How many sent files may wait for their import, per member: with [`MAX_UPLOAD`] each,
/// what one member can make the server keep is bounded.
const UPLOADS_WAITING: usize = 3;

/// How long an upload no command used is kept.
const UPLOAD_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Removes the uploads no command used within [`UPLOAD_KEPT`] (a command removes its own).
fn sweep_uploads(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > UPLOAD_KEPT));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Keeps a file a member sent for a command (an import), under a name only they can use.
/// The sender is authenticated before a byte is read, and the file is written as it
/// arrives (never held whole in memory), up to [`MAX_UPLOAD`].
pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<UploadReply>, HttpError> {
    let token = bearer(&headers);
    let name = headers
        .get(keel::remote::protocol::FILE_NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|n| std::path::Path::new(n).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        // A name the member can use again (no backslashes, not hidden) and any file
        // system can hold; else a plain one. The import only reads the file's bytes.
        .filter(|n| !n.starts_with('.') && !n.is_empty() && !n.contains('\\') && n.len() <= 200)
        .unwrap_or_else(|| "upload".into());
    let shared = state.clone();
    let (dir, folder) = blocking(move || {
        let session = authenticate(&shared, token)?;
        let root = uploads_dir(&shared.db);
        sweep_uploads(&root);
        let theirs = format!("{}-", session.member.0);
        let waiting = std::fs::read_dir(&root)
            .map(|entries| {
                entries.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&theirs)).count()
            })
            .unwrap_or(0);
        if waiting >= UPLOADS_WAITING {
            return Err(KeelError::NotAllowed(format!(
                "{waiting} files you sent wait for their import already: import them, or send this one once they are done (unused files are removed after a day)"
            ))
            .into());
        }
        let mut secret = [0u8; 12];
        getrandom::fill(&mut secret).expect("the operating system's random generator");
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let folder = format!("{}-{hex}", session.member.0);
        let dir = root.join(&folder);
        std::fs::create_dir_all(&dir)
            .map_err(|source| KeelError::Io { context: "keeping the upload".into(), source })?;
        Ok((dir, folder))
    })
    .await?;
    let written = write_upload(&dir.join(&name), body).await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return Err(e);
    }
    Ok(Json(UploadReply { upload: format!("{folder}/{name}") }))
}

async fn write_upload(path: &std::path::Path, body: axum::body::Body) -> Result<(), HttpError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let io = |source| HttpError::from(KeelError::Io { context: "keeping the upload".into(), source });
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            HttpError::from(KeelError::Io {
                context: "receiving the upload".into(),
                source: std::io::Error::other(e),
            })
        })?;
        size += chunk.len();
        if size > MAX_UPLOAD {
            return Err(HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                keel_api::ErrorCode::InvalidInput,
                format!("an upload is at most {} MiB", MAX_UPLOAD >> 20),
            ));
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.sync_all().await.map_err(io)?;
    Ok(())
}

/// The file a member uploaded, by the name the upload answered; another member's, or a
/// name that reaches outside the uploads, is not found.
pub(crate) fn uploaded_file(
    db: &std::path::Path,
    session: &Session,
    name: &str,
) -> Result<PathBuf, HttpError> {
    let not_found = || {
        HttpError::new(
            StatusCode::NOT_FOUND,
            keel_api::ErrorCode::NotFound,
            "upload not found: send the file again",
        )
    };
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

/// Starts an import as a job and answers at once with its id; a retry of the same
/// change number gets the same job. The import reads `upload` (the member's file, removed
/// once the job ends) and writes on a connection of its own, a slice at a time, so the
/// shared writer keeps serving other members' changes in between.
/// The job an import's number already has, if any: answered again when it is the same
/// import, refused when the number came with another change.
pub(crate) fn job_of(
    shared: &AppState,
    request: &ChangeRequest,
    fingerprint: &str,
) -> Result<Option<ChangeReply>, HttpError> {
    let id = format!("{}-{}", request.client_id, request.seq);
    let jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
    match jobs.get(&id) {
        None => Ok(None),
        Some(job) if job.fingerprint != fingerprint => {
            Err(crate::applying::number_reused(request.seq).into())
        }
        Some(_) => Ok(Some(ChangeReply {
            applied: None,
            position: *shared.position.borrow(),
            repeated: true,
            created: Vec::new(),
            job: Some(id),
            feed: None,
        })),
    }
}

/// Whether a change number of this machine was applied before (the server keeps that in
/// the workspace, across restarts; jobs live only as long as the process).
pub(crate) fn applied_before(shared: &AppState, request: &ChangeRequest) -> Result<bool, HttpError> {
    let conn = crate::accounts::open(&shared.db)?;
    let found: Option<i64> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT 1 FROM applied_commands WHERE client_id = ?1 AND seq = ?2",
        rusqlite::params![request.client_id, request.seq],
        |r| r.get(0),
    ))
    .map_err(KeelError::from)?;
    Ok(found.is_some())
}

pub(crate) fn start_job(
    shared: &AppState,
    session: Session,
    request: ChangeRequest,
    upload: PathBuf,
    fingerprint: String,
) -> Result<ChangeReply, HttpError> {
    let id = format!("{}-{}", request.client_id, request.seq);
    let position = *shared.position.borrow();
    let answer = |repeated: bool| ChangeReply {
        applied: None,
        position,
        repeated,
        created: Vec::new(),
        job: Some(id.clone()),
        feed: None,
    };
    {
        let mut jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.contains_key(&id) {
            return Ok(answer(true));
        }
        let reply = JobReply {
            state: "running".into(),
            done: 0,
            total: 0,
            output: String::new(),
            error: None,
            position,
            applied: None,
        };
        // Finished jobs are kept for their members to read, up to a bound.
        if jobs.len() >= MAX_JOBS_KEPT {
            jobs.retain(|_, job| job.reply.state == "running");
        }
        jobs.insert(id.clone(), Job { member: session.member, reply, fingerprint: fingerprint.clone() });
    }
    let shared = shared.clone();
    let job_id = id.clone();
    std::thread::spawn(move || {
        let mut progress = |done: u64, total: u64| {
            let mut jobs = shared.jobs.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(job) = jobs.get_mut(&job_id) {
                job.reply.done = done;
                job.reply.total = total;
            }
        };
        let outcome =
            open_writer(&shared.db, shared.clock.clone()).map_err(HttpError::from).and_then(|mut ws| {
                ws.slice_imports(Some(IMPORT_SLICES));
                let outcome = apply_once(&shared, &mut ws, &session, request, fingerprint, &mut progress);
                ws.stamp_next_write(None);
                outcome
            });
        if let Some(dir) = upload.parent() {
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
                    job.reply.applied = reply.applied;
                    job.reply.position = reply.position;
                    job.reply.done = job.reply.total;
                }
                Err(e) => {
                    job.reply.state = "failed".into();
                    job.reply.error = Some(e.into_member_body());
                }
            }
        }
    });
    Ok(answer(false))
}

/// Where a job stands; only the member who started it may ask.
pub(crate) async fn job(
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
            _ => Err(HttpError::new(
                StatusCode::NOT_FOUND,
                keel_api::ErrorCode::NotFound,
                format!("job {id} not found"),
            )),
        }
    })
    .await
}
