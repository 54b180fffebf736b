//! What keeps members' copies in step: the snapshot a machine joins with, the change
//! feed, and the pushed feed position.

use crate::shared::{authenticate, bearer, blocking, feed_page, AppState, HttpError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keel::remote::protocol::FeedPage;
use keel::services::Workspace;
use keel::KeelError;

#[derive(serde::Deserialize)]
pub(crate) struct FeedQuery {
    after: i64,
    limit: Option<u32>,
}

pub(crate) async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Result<Json<FeedPage>, HttpError> {
    let token = bearer(&headers);
    blocking(move || {
        authenticate(&state, token)?;
        let limit = query.limit.unwrap_or(keel::remote::FEED_PAGE).min(50_000);
        // None: the copy has seen changes this file never had: it was put back from a
        // backup (whatever its epoch says). Going on would skip changes silently.
        feed_page(&state, query.after, limit)?.map(Json).ok_or_else(|| crate::versions::restored().into())
    })
    .await
}

/// A consistent copy of the workspace for a machine that joins, without the feed and
/// the server's own tables, and the feed position it stands at.
pub(crate) async fn snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let token = bearer(&headers);
    let shared = state.clone();
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
    // The fingerprint of the entry the snapshot stands at, which the new copy keeps.
    let check =
        blocking(move || Ok(shared.readers.read(|conn| crate::shared::feed_check(conn, position))?)).await?;
    if let Some(value) = check.and_then(|c| HeaderValue::from_str(&format!("{position}:{c}")).ok()) {
        headers.insert(keel::remote::protocol::FEED_AT_HEADER, value);
    }
    Ok(response)
}

/// Server-sent events: the feed's position whenever it moves, so open screens catch up
/// within a moment of any member's change.
pub(crate) async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, HttpError> {
    let token = bearer(&headers);
    let shared = state.clone();
    let checked = token.clone();
    blocking(move || authenticate(&shared, checked)).await?;
    let event = |position: i64| {
        Ok::<_, std::convert::Infallible>(Event::default().event("position").data(position.to_string()))
    };
    // The stream lives as long as its session: a sign-out, a revoked machine, a member
    // taken off the team or an expiry ends it within a check.
    let positions = state.position.subscribe();
    let stream = futures_util::stream::unfold((positions, true), move |(mut positions, first)| {
        let state = state.clone();
        let token = token.clone();
        async move {
            if first {
                let position = *positions.borrow_and_update();
                return Some((event(position), (positions, false)));
            }
            loop {
                tokio::select! {
                    changed = positions.changed() => {
                        changed.ok()?;
                        let position = *positions.borrow_and_update();
                        return Some((event(position), (positions, false)));
                    }
                    () = tokio::time::sleep(SESSION_CHECK) => {
                        let state = state.clone();
                        let token = token.clone();
                        let current = tokio::task::spawn_blocking(move || authenticate(&state, token).is_ok())
                            .await
                            .unwrap_or(false);
                        if !current {
                            return None;
                        }
                    }
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// How often an open live stream checks that its session still stands.
const SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(2);
