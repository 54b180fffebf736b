//! Members' typed changes (`POST /v1/changes`): each is one of the core's `Change`s (an
//! allow-list by construction: a read, a file or an unknown kind is not one), applied by
//! the core's one `apply` as the session's member, once per (machine, number).

use crate::applying::{fingerprint_of, run_change};
use crate::jobs::{applied_before, job_of, start_job, uploaded_file};
use crate::shared::{authenticate, bearer, blocking, feed_page, open_writer, AppState, HttpError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keel::changes::{Change, ImportFile};
use keel::remote::protocol::{ChangeReply, ChangeRequest};
use keel::KeelError;

pub(crate) async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChangeReply>, HttpError> {
    let token = bearer(&headers);
    // A change is a few hundred bytes; a body past the limit is answered in words too.
    let body = body.map_err(|e| {
        HttpError::new(
            e.status(),
            keel_api::ErrorCode::InvalidInput,
            format!("this is not a change Keel makes: {e}"),
        )
    })?;
    let shared = state.clone();
    let reply = blocking(move || {
        // Who asks comes first: a stranger learns nothing about what a change looks like.
        let session = authenticate(&shared, token)?;
        let mut request: ChangeRequest = serde_json::from_slice(&body)
            .map_err(|e| KeelError::invalid("change", format!("this is not a change Keel makes: {e}")))?;
        if session.client_id != request.client_id {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                keel_api::ErrorCode::Forbidden,
                "a machine sends its changes under its own id",
            ));
        }
        let fingerprint = fingerprint_of(&request.change);
        if let Change::Import { file, .. } = &request.change {
            // An import reads the file its member sent ahead, and nothing else: never a path.
            let ImportFile::Upload(name) = file else {
                return Err(KeelError::invalid(
                    "file",
                    "a team server imports a file sent to it (POST /v1/uploads), never a path",
                )
                .into());
            };
            let name = name.clone();
            // The same import sent again (a lost reply): its job, running or done.
            if let Some(reply) = job_of(&shared, &request, &fingerprint)? {
                return Ok(reply);
            }
            // Unless it was applied before (the server restarted since), its upload is read.
            if !applied_before(&shared, &request)? {
                let upload = uploaded_file(&shared.db, &session, &name)?;
                if let Change::Import { file, .. } = &mut request.change {
                    *file = ImportFile::Path(upload.to_string_lossy().into_owned());
                }
                return start_job(&shared, session, request, upload, fingerprint);
            }
        }
        let feed_after = request.feed_after;
        let mut writer = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
        let ws = match writer.take() {
            Some(ws) => ws,
            None => open_writer(&shared.db, shared.clock.clone())?,
        };
        let (ws, outcome) = run_change(&shared, ws, &session, request, fingerprint);
        *writer = Some(ws);
        drop(writer);
        let mut reply = outcome?;
        if let Some(after) = feed_after {
            // The copy catches up from the reply, read once the change is made (after the
            // writer is free). Unread, it is left out: the change is made, the copy asks.
            reply.feed = feed_page(&shared, after, keel::remote::FEED_PAGE).ok().flatten();
        }
        Ok(reply)
    })
    .await?;
    state.position.send_replace(reply.position);
    Ok(Json(reply))
}
