//! The team server: its configuration, serving (HTTP or HTTPS), and the router that puts
//! each endpoint's handler at its path. Handlers and the pieces they share (`shared`) sit
//! below this file and never import it.
use crate::shared::{open_writer, AppState, HttpError, Shared};
use crate::{
    accounts, changes, integration, jobs, limiter::Limiter, portal, replication, sessions, versions,
};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use keel::clock::Clock;
use keel::KeelError;
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
    /// The partner portal's built front end, served at /portal.
    pub portal_dir: Option<PathBuf>,
    /// Fault injection for the crash tests: wait this long after a command committed,
    /// before answering, so a test can kill the server between the two.
    pub pause_after_commit: Option<Duration>,
    /// The reverse proxy in front of the server: for its connections, the client's
    /// address is the one it reports (`X-Forwarded-For`); anyone else's header is ignored.
    pub trusted_proxy: Option<std::net::IpAddr>,
}

pub async fn serve(config: Config) -> keel::Result<()> {
    let writer = open_writer(&config.db, config.clock.clone())?;
    let epoch = accounts::epoch(&accounts::open(&config.db)?)?;
    let (position, _) = watch::channel(writer.feed_position()?);
    let state = Arc::new(Shared {
        readers: crate::shared::Readers::new(config.db.clone()),
        db: config.db,
        clock: config.clock,
        session_hours: config.session_hours,
        pause_after_commit: config.pause_after_commit,
        https: config.tls.is_some(),
        portal_dir: config.portal_dir,
        writer: Mutex::new(Some(writer)),
        limiter: Limiter::default(),
        trusted_proxy: config.trusted_proxy,
        position,
        jobs: Mutex::default(),
        epoch,
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

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/join", post(sessions::join))
        .route("/v1/session", post(sessions::sign_in).delete(sessions::sign_out))
        .route("/v1/machines", get(sessions::machines))
        .route("/v1/machines/{machine}/revoke", post(sessions::revoke))
        .route("/v1/me", get(sessions::me))
        .route("/v1/feed", get(replication::feed))
        .route("/v1/snapshot", get(replication::snapshot))
        .route("/v1/changes", post(changes::change))
        .route("/v1/uploads", post(jobs::upload).layer(DefaultBodyLimit::max(jobs::MAX_UPLOAD)))
        .route("/v1/jobs/{id}", get(jobs::job))
        .route("/v1/events", get(replication::events))
        .merge(integration::token_routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), versions::check))
        .route("/v1/version", get(versions::version))
        .with_state(state.clone())
        .merge(portal::routes(state.clone()))
        .merge(integration::routes(state))
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(no_such_method)
}

/// A known endpoint asked with another method: refused in words too.
async fn no_such_method() -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        keel_api::ErrorCode::NotFound,
        "this endpoint does not answer that method (see /api/v1/openapi.json)",
    )
}

/// Anything else (the command-line door of protocol 2 among them): not found, in words.
async fn no_such_endpoint() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        keel_api::ErrorCode::NotFound,
        "no such endpoint on this team server",
    )
}
