//! The partner portal's front end: its built files (`portal/build`, given with
//! `--portal-dir`), and its page for every route the single-page app handles itself,
//! with the page's own start-up script allowed by its hash and nothing else inline.

use crate::shared::{AppState, HttpError, Shared};
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What every portal answer says about how it may be used.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                       connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";

pub(crate) async fn root(State(state): State<AppState>) -> Response {
    serve_file(&state, "")
}

pub(crate) async fn file(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    if path.starts_with("api/") {
        return HttpError::new(StatusCode::NOT_FOUND, keel_api::ErrorCode::NotFound, "no such portal route")
            .into_response();
    }
    serve_file(&state, &path)
}

/// A file of the portal's front end, or its page (`index.html`) for any route the
/// single-page app handles itself.
fn serve_file(state: &Shared, path: &str) -> Response {
    let Some(dir) = &state.portal_dir else {
        return HttpError::new(
            StatusCode::NOT_FOUND,
            keel_api::ErrorCode::NotFound,
            "the partner portal's files are not installed on this server (keel-server --portal-dir)",
        )
        .into_response();
    };
    // Only plain names below the portal's folder: no `..`, no absolute paths.
    let safe = !path.is_empty()
        && std::path::Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if safe {
        let file = dir.join(path);
        if file.is_file() {
            if let Ok(bytes) = std::fs::read(&file) {
                let kind = match file.extension().and_then(|e| e.to_str()) {
                    Some("js") => "text/javascript; charset=utf-8",
                    Some("css") => "text/css; charset=utf-8",
                    Some("json") => "application/json",
                    Some("svg") => "image/svg+xml",
                    Some("png") => "image/png",
                    Some("html") => return page(&bytes),
                    _ => "application/octet-stream",
                };
                let mut response = Response::new(Body::from(bytes));
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
                if path.starts_with("_app/immutable/") {
                    response.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=31536000, immutable"),
                    );
                }
                return response;
            }
        }
    }
    match std::fs::read(dir.join("index.html")) {
        Ok(bytes) => page(&bytes),
        Err(_) => HttpError::new(
            StatusCode::NOT_FOUND,
            keel_api::ErrorCode::NotFound,
            "the partner portal's page is missing",
        )
        .into_response(),
    }
}

/// An HTML page, with its own inline scripts (the app's start-up) allowed by their
/// hashes and nothing else inline.
fn page(bytes: &[u8]) -> Response {
    let text = String::from_utf8_lossy(bytes);
    let mut hashes = String::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("<script>") {
        let after = &rest[start + "<script>".len()..];
        let Some(end) = after.find("</script>") else { break };
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&after.as_bytes()[..end]);
        hashes.push_str(&format!(" 'sha256-{}'", base64(&digest)));
        rest = &after[end..];
    }
    let csp = CSP.replacen("script-src 'self'", &format!("script-src 'self'{hashes}"), 1);
    let mut response = Response::new(Body::from(bytes.to_vec()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Standard base64 (with padding), for CSP hashes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_the_standard_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
