//! Versions on the wire. Every member request says its protocol version, its schema
//! version and the server epoch its copy follows; a mismatch is answered before anything
//! else runs, in words that say who must update or what to do. Every answer says the
//! server's own, so a copy learns them.

use crate::shared::{feed_check, AppState, HttpError};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keel::remote::protocol::{
    EPOCH_HEADER, FEED_AT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER,
};
use keel::KeelError;

/// What a request says of its sender: a request without a protocol version is from
/// before versions (1).
fn sender(headers: &HeaderMap) -> (u32, Option<u32>, Option<String>) {
    let number =
        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let epoch = headers.get(EPOCH_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    (number(PROTOCOL_HEADER).unwrap_or(1), number(SCHEMA_HEADER), epoch)
}

/// The refusal for a sender at `theirs` talking to this server at `ours`.
pub(crate) fn mismatch(what: &str, theirs: u32, ours: u32) -> KeelError {
    if theirs < ours {
        KeelError::Incompatible(format!(
            "the team server runs a newer Keel ({what} {ours}, this app {theirs}): update this app"
        ))
    } else {
        KeelError::Incompatible(format!(
            "this app is newer than the team server ({what} {theirs}, the server {ours}): ask your admin to update \
             the server"
        ))
    }
}

pub(crate) fn restored() -> KeelError {
    KeelError::Restored(
        "the team workspace was restored from a backup since this copy last followed it: join again into a new \
         file (keel join URL CODE, with a new code from a sales leader); the changes waiting here are kept \
         (keel sync --status lists them) and can be typed again on the new copy"
            .into(),
    )
}

/// Whether this server's feed still holds the entry a copy says it stands at, as the copy
/// saw it. A file put back by hand reuses feed numbers for other changes: refused.
fn still_holds(state: &AppState, feed_at: &str) -> keel::Result<bool> {
    let Some((position, check)) = feed_at.split_once(':') else { return Ok(false) };
    let Ok(position) = position.parse::<i64>() else { return Ok(false) };
    Ok(state.readers.read(|conn| feed_check(conn, position))?.is_some_and(|ours| ours == check))
}

pub(crate) async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (protocol, schema, epoch) = sender(request.headers());
    let feed_at = request.headers().get(FEED_AT_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let ours = keel::store::latest_version();
    // Said twice, a version could be read one way here and another by a proxy: refused.
    let repeated = [PROTOCOL_HEADER, SCHEMA_HEADER, EPOCH_HEADER, FEED_AT_HEADER]
        .into_iter()
        .find(|name| request.headers().get_all(*name).iter().count() > 1);
    let refusal = if let Some(name) = repeated {
        Some(KeelError::invalid(name, "is given more than once: send it once"))
    } else if protocol != PROTOCOL_VERSION {
        Some(mismatch("protocol", protocol, PROTOCOL_VERSION))
    } else if let Some(schema) = schema.filter(|s| *s != ours) {
        Some(mismatch("schema", schema, ours))
    } else if schema.is_none() {
        Some(KeelError::Incompatible("this request does not say its schema version: update this app".into()))
    } else if epoch.as_deref().is_some_and(|e| e != state.epoch) {
        Some(restored())
    } else if let Some(feed_at) = feed_at {
        let held = state.clone();
        match tokio::task::spawn_blocking(move || still_holds(&held, &feed_at)).await {
            Ok(Ok(true)) => None,
            Ok(Ok(false)) => Some(restored()),
            Ok(Err(e)) => Some(e),
            Err(_) => Some(KeelError::Schema("checking the copy's feed position failed".into())),
        }
    } else {
        None
    };
    let mut response = match refusal {
        Some(e) => HttpError::from(e).into_response(),
        None => next.run(request).await,
    };
    stamp(&state, response.headers_mut());
    response
}

fn stamp(state: &AppState, headers: &mut HeaderMap) {
    headers.insert(PROTOCOL_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    headers.insert(SCHEMA_HEADER, HeaderValue::from(keel::store::latest_version()));
    if let Ok(epoch) = HeaderValue::from_str(&state.epoch) {
        headers.insert(EPOCH_HEADER, epoch);
    }
}

/// What this server runs, for anyone: a copy made by an older app asks before it
/// migrates itself.
#[derive(serde::Serialize)]
pub(crate) struct Version {
    protocol: u32,
    schema: u32,
}

pub(crate) async fn version() -> Json<Version> {
    Json(Version { protocol: PROTOCOL_VERSION, schema: keel::store::latest_version() })
}
