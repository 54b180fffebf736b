//! A team workspace seen from a member's machine: what crosses the wire to the team
//! server (`protocol`, which the server speaks too) and the client that joins, signs in,
//! sends changes and follows the change feed. Reads never come here: they stay on the
//! local copy.

pub mod credentials;
pub mod outbox;
pub mod protocol;
pub mod typed;

pub use outbox::{sync, SyncReport};

use crate::clock::Clock;
use crate::services::Workspace;
use crate::store::feed::TeamLink;
use crate::{ErrorBody, KeelError, Result};
use protocol::{
    ChangeReply, ChangeRequest, FeedPage, JobReply, JoinRequest, SessionReply, SignInRequest, UploadReply,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How many entries one feed request brings.
pub const FEED_PAGE: u32 = 5_000;

/// A signed-in connection to the team server.
pub struct Remote {
    agent: ureq::Agent,
    base: String,
    token: String,
    /// The server epoch this copy follows, sent with every request.
    epoch: Option<String>,
    /// Where the copy stood when it connected, with the server's fingerprint of it: the
    /// server refuses a copy whose feed it no longer has (a file put back by hand).
    feed_at: Option<String>,
    pub session: SessionReply,
}

/// Adds what every request says of its sender: the protocol and schema versions, and the
/// server epoch the copy follows (none on joining, or from a copy that has not heard one).
fn stamped<B>(request: ureq::RequestBuilder<B>, epoch: Option<&str>) -> ureq::RequestBuilder<B> {
    stamped_at(request, epoch, None)
}

/// [`stamped`], with where the copy stands in the feed.
fn stamped_at<B>(
    request: ureq::RequestBuilder<B>,
    epoch: Option<&str>,
    feed_at: Option<&str>,
) -> ureq::RequestBuilder<B> {
    let request = match feed_at {
        Some(at) => request.header(protocol::FEED_AT_HEADER, at),
        None => request,
    };
    let request = request
        .header(protocol::PROTOCOL_HEADER, protocol::PROTOCOL_VERSION.to_string())
        .header(protocol::SCHEMA_HEADER, crate::store::latest_version().to_string());
    match epoch {
        Some(epoch) => request.header(protocol::EPOCH_HEADER, epoch),
        None => request,
    }
}

/// The environment variable naming a PEM certificate to trust for the team server: a
/// company's own certificate authority, or a server's self-signed certificate.
pub const TRUST_ENV: &str = "KEEL_TLS_CA";

fn config() -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    config_trusting(trusted_pem().as_deref())
}

fn config_trusting(pem: Option<&[u8]>) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    let builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5)));
    match pem.and_then(|pem| ureq::tls::Certificate::from_pem(pem).ok()) {
        Some(certificate) => builder.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[certificate.to_owned()]))
                .build(),
        ),
        None => builder,
    }
}

/// The certificate to trust (see [`TRUST_ENV`]), as the file holds it.
fn trusted_pem() -> Option<Vec<u8>> {
    std::fs::read(std::env::var_os(TRUST_ENV)?).ok()
}

/// The process's one agent for requests to team servers: its connections stay open and
/// are reused from one change to the next while they are fresh (ureq's pool), not made
/// anew, TLS handshake and all, for every change. Made again when the certificate to trust
/// changes.
fn agent() -> ureq::Agent {
    static KEPT: std::sync::Mutex<Option<(Option<Vec<u8>>, ureq::Agent)>> = std::sync::Mutex::new(None);
    let pem = trusted_pem();
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    match &*kept {
        Some((trusted, agent)) if *trusted == pem => agent.clone(),
        _ => {
            let agent: ureq::Agent =
                config_trusting(pem.as_deref()).timeout_global(Some(Duration::from_secs(600))).build().into();
            *kept = Some((pem, agent.clone()));
            agent
        }
    }
}

fn base_of(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    if let Some(rest) = url.strip_prefix("http://") {
        // Plain HTTP would carry the machine's credential and the team's data in the
        // clear: only to a server, or a proxy, on this machine.
        if !is_loopback_host(rest) {
            return Err(KeelError::invalid(
                "url",
                "must start with https:// (plain http:// is only for a server on this machine: localhost, \
                 127.0.0.1 or [::1])",
            ));
        }
    } else if !url.starts_with("https://") {
        return Err(KeelError::invalid(
            "url",
            "must start with https:// (or http:// to a server on this machine)",
        ));
    }
    Ok(url.to_string())
}

/// Whether the authority at the start of `rest` (after `http://`) names this machine.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _port)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn offline(base: &str, e: ureq::Error) -> KeelError {
    KeelError::Offline(format!(
        "the team server at {base} cannot be reached ({e}): this copy still reads; changes need the server and are refused until it is back"
    ))
}

/// Turns a reply into its body, or the server's `{code, field, message}` into an error.
fn answer<T: serde::de::DeserializeOwned>(
    mut reply: ureq::http::Response<ureq::Body>,
    base: &str,
) -> Result<T> {
    let status = reply.status().as_u16();
    if (200..300).contains(&status) {
        return reply.body_mut().with_config().limit(1 << 30).read_json::<T>().map_err(|e| {
            KeelError::Offline(format!("the team server at {base} sent an unreadable answer: {e}"))
        });
    }
    let body: ErrorBody = reply.body_mut().read_json().unwrap_or_else(|_| ErrorBody {
        code: "storage".into(),
        field: None,
        message: format!("the team server at {base} answered {status}"),
        details: Vec::new(),
    });
    Err(KeelError::from_body(body))
}

/// A reply with no body: success, or the server's `{code, field, message}` as an error.
fn answer_empty(reply: ureq::http::Response<ureq::Body>, base: &str) -> Result<()> {
    if (200..300).contains(&reply.status().as_u16()) {
        return Ok(());
    }
    answer::<serde_json::Value>(reply, base).map(|_| ())
}

impl Remote {
    /// Connects the copy to its server: with the session it keeps while that is current
    /// (one cheap check, `GET /v1/me`), else by signing in with the credential it received
    /// when it joined (password hashing on the server: once per session, not per change).
    /// Keeps what the server says of itself (its epoch the first time, its schema version).
    pub fn connect(ws: &mut Workspace) -> Result<Remote> {
        let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
        if link.credential.is_empty() {
            return Err(KeelError::NotAllowed(
                "this machine has left the team (keel leave): the copy still reads; to work with the team again, \
                 join again with a new invitation code"
                    .into(),
            ));
        }
        let feed_at = ws.position_check()?.map(|(position, check)| format!("{position}:{check}"));
        let kept = credentials::session(&link.client_id)?;
        let remote = match Remote::resume(&link, feed_at.clone(), kept, ws.clock().now())? {
            Some(remote) => remote,
            None => {
                let remote = Remote::sign_in(&link, feed_at)?;
                credentials::keep_session(&link.client_id, &remote.token, &remote.session.expires_at)?;
                if link.credential != credentials::KEPT_OUTSIDE {
                    // A copy joined by an older Keel kept its credential in its own file: it
                    // moves out now that it has just signed in with it.
                    credentials::keep(&link.client_id, &link.credential)?;
                    ws.keep_team_credential_outside()?;
                }
                remote
            }
        };
        if link.server_epoch.is_none() || link.server_schema != remote.session.schema_version {
            ws.note_server(remote.session.epoch.as_deref(), remote.session.schema_version)?;
        }
        Ok(remote)
    }

    /// The kept session, if it is still current on the server; `None` when the copy must
    /// sign in (no session, expired, or ended on the server).
    fn resume(
        link: &TeamLink,
        feed_at: Option<String>,
        kept: Option<(String, String)>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Remote>> {
        let Some((token, expires_at)) = kept else { return Ok(None) };
        let current = chrono::DateTime::parse_from_rfc3339(&expires_at)
            .is_ok_and(|at| at.with_timezone(&chrono::Utc) > now + chrono::Duration::minutes(1));
        if !current {
            return Ok(None);
        }
        let base = base_of(&link.server_url)?;
        let agent = agent();
        let reply =
            stamped_at(agent.get(format!("{base}/v1/me")), link.server_epoch.as_deref(), feed_at.as_deref())
                .header("Authorization", format!("Bearer {token}"))
                .call()
                .map_err(|e| offline(&base, e))?;
        match answer::<SessionReply>(reply, &base) {
            Ok(mut session) => {
                session.token.clone_from(&token);
                let epoch = link.server_epoch.clone().or_else(|| session.epoch.clone());
                Ok(Some(Remote { agent, base, token, epoch, feed_at, session }))
            }
            Err(KeelError::Remote { code: crate::ErrorCode::Unauthenticated, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Signs in with the credential this copy received when it joined.
    fn sign_in(link: &TeamLink, feed_at: Option<String>) -> Result<Remote> {
        let credential = if link.credential == credentials::KEPT_OUTSIDE {
            credentials::read(&link.client_id)?.ok_or_else(|| {
                KeelError::NotAllowed(format!(
                    "this machine's credential for the team is not in {} any more: join again with a new invitation code",
                    credentials::kept_where()
                ))
            })?
        } else {
            link.credential.clone()
        };
        let base = base_of(&link.server_url)?;
        let agent = agent();
        let reply = stamped_at(
            agent.post(format!("{base}/v1/session")),
            link.server_epoch.as_deref(),
            feed_at.as_deref(),
        )
        .send_json(&SignInRequest { credential })
        .map_err(|e| offline(&base, e))?;
        let session: SessionReply = answer(reply, &base)?;
        let epoch = link.server_epoch.clone().or_else(|| session.epoch.clone());
        Ok(Remote { agent, base, token: session.token.clone(), epoch, feed_at, session })
    }

    /// Adds this copy's versions, epoch and feed position to a request.
    fn stamp<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        stamped_at(request, self.epoch.as_deref(), self.feed_at.as_deref())
    }

    fn get(&self, path: &str) -> Result<ureq::http::Response<ureq::Body>> {
        self.stamp(self.agent.get(format!("{}{path}", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .map_err(|e| offline(&self.base, e))
    }

    /// Follows the server's pushed feed positions (server-sent events) until `on`
    /// returns false or the connection ends. Keep-alives arrive every few seconds, so a
    /// dead server is noticed.
    pub fn follow_positions(&self, mut on: impl FnMut(i64) -> bool) -> Result<()> {
        use std::io::BufRead;
        let agent: ureq::Agent = config().timeout_recv_body(Some(Duration::from_secs(45))).build().into();
        let mut reply = self
            .stamp(agent.get(format!("{}/v1/events", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .map_err(|e| offline(&self.base, e))?;
        if reply.status().as_u16() != 200 {
            return answer::<serde_json::Value>(reply, &self.base).map(|_| ());
        }
        let reader = std::io::BufReader::new(reply.body_mut().as_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| {
                KeelError::Offline(format!("the team server at {} went away: {e}", self.base))
            })?;
            if let Some(position) = line.strip_prefix("data:").and_then(|d| d.trim().parse().ok()) {
                if !on(position) {
                    return Ok(());
                }
            }
        }
        Err(KeelError::Offline(format!("the team server at {} closed the connection", self.base)))
    }

    /// The team's machines this member may see (a sales leader: all; else their own).
    pub fn machines(&self) -> Result<Vec<protocol::Machine>> {
        answer(self.get("/v1/machines")?, &self.base)
    }

    /// Revokes a machine's access (a sales leader any; a member their own).
    pub fn revoke(&self, machine: &str) -> Result<()> {
        if machine.is_empty() || !machine.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(KeelError::not_found("machine", machine));
        }
        let reply = self
            .stamp(self.agent.post(format!("{}/v1/machines/{machine}/revoke", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_empty()
            .map_err(|e| offline(&self.base, e))?;
        answer_empty(reply, &self.base)
    }

    /// The team's integration tokens (sales leaders).
    pub fn tokens(&self) -> Result<Vec<protocol::Token>> {
        answer(self.get("/v1/tokens")?, &self.base)
    }

    /// A new integration token, acting as this member with `scopes` (sales leaders).
    pub fn create_token(&self, request: &protocol::TokenRequest) -> Result<protocol::CreatedToken> {
        let reply = self
            .stamp(self.agent.post(format!("{}/v1/tokens", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(request)
            .map_err(|e| offline(&self.base, e))?;
        answer(reply, &self.base)
    }

    /// Revokes an integration token: its next request is refused.
    pub fn revoke_token(&self, id: i64) -> Result<()> {
        let reply = self
            .stamp(self.agent.post(format!("{}/v1/tokens/{id}/revoke", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_empty()
            .map_err(|e| offline(&self.base, e))?;
        answer_empty(reply, &self.base)
    }

    /// Ends this session on the server.
    pub fn sign_out(&self) -> Result<()> {
        let reply = self
            .stamp(self.agent.delete(format!("{}/v1/session", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .map_err(|e| offline(&self.base, e))?;
        answer_empty(reply, &self.base)
    }

    /// This machine's id on the server.
    pub fn machine(&self) -> &str {
        &self.session.client_id
    }

    /// Sends a file a change will read (an import's), once, as it is read from disk (never
    /// held whole in memory); returns its name on the server.
    pub fn upload(&self, file_name: &str, path: &Path) -> Result<String> {
        let file = std::fs::File::open(path)
            .map_err(|source| KeelError::Io { context: format!("reading {}", path.display()), source })?;
        let reply = self
            .stamp(self.agent.post(format!("{}/v1/uploads", self.base)))
            .header("Authorization", format!("Bearer {}", self.token))
            .header(protocol::FILE_NAME_HEADER, file_name)
            .send(file)
            .map_err(|e| offline(&self.base, e))?;
        Ok(answer::<UploadReply>(reply, &self.base)?.upload)
    }

    /// Where a job stands.
    pub fn job(&self, id: &str) -> Result<JobReply> {
        answer(self.get(&format!("/v1/jobs/{id}"))?, &self.base)
    }

    /// One page of the feed after `after`.
    pub fn feed(&self, after: i64) -> Result<FeedPage> {
        answer(self.get(&format!("/v1/feed?after={after}&limit={FEED_PAGE}"))?, &self.base)
    }

    /// Sends one change; a lost reply or a restarting server is retried with the same
    /// number, which the server applies once.
    pub fn change(&self, request: &ChangeRequest) -> Result<ChangeReply> {
        self.post_once("/v1/changes", request)
    }

    fn post_once<Q: serde::Serialize, A: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        request: &Q,
    ) -> Result<A> {
        let mut wait = Duration::from_millis(200);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sent = self
                .stamp(self.agent.post(format!("{}{path}", self.base)))
                .header("Authorization", format!("Bearer {}", self.token))
                .send_json(request);
            // Sent again (same number, so applied once): a lost connection, a proxy with no
            // server behind it (502, 504) or a busy server (503). A 500 is the server's
            // answer about this change (it could not store it): retrying would only delay it.
            match sent {
                Ok(reply) if !matches!(reply.status().as_u16(), 502..=504) => {
                    return answer(reply, &self.base)
                }
                Ok(reply) if attempts >= 12 => return answer(reply, &self.base),
                Err(e) if attempts >= 12 => return Err(offline(&self.base, e)),
                _ => {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// Opens a workspace file as `Workspace::open` does. A team copy that an app newer than
/// its server would have to migrate first asks its server which schema it now runs:
/// once the server runs this version, the copy is migrated and opens.
pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
    after_asking_the_server(path, || Workspace::open(path, clock.clone()))
}

/// [`open`] for a file that must exist already.
pub fn open_existing(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
    after_asking_the_server(path, || Workspace::open_existing(path, clock.clone()))
}

fn after_asking_the_server(path: &Path, open: impl Fn() -> Result<Workspace>) -> Result<Workspace> {
    match open() {
        Err(KeelError::Incompatible(why)) => match learn_server_schema(path) {
            Ok(true) => open(),
            Ok(false) => Err(KeelError::Incompatible(why)),
            Err(e) => Err(KeelError::Incompatible(format!("{why} (the server could not be asked: {e})"))),
        },
        other => other,
    }
}

/// Asks the copy's server which schema it runs (`GET /v1/version`, no sign-in) and keeps
/// the answer in the copy's link, read from the file as it is (not migrated). True when
/// the server runs this app's schema or a newer one.
fn learn_server_schema(path: &Path) -> Result<bool> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema: u32,
    }
    let conn = rusqlite::Connection::open(path)?;
    let url: String = conn.query_row("SELECT server_url FROM team_link WHERE id = 1", [], |r| r.get(0))?;
    let base = base_of(&url)?;
    let agent: ureq::Agent = config().timeout_global(Some(Duration::from_secs(15))).build().into();
    let reply = agent.get(format!("{base}/v1/version")).call().map_err(|e| offline(&base, e))?;
    let server: Version = answer(reply, &base)?;
    conn.execute("UPDATE team_link SET server_schema = ?1 WHERE id = 1", [server.schema])?;
    Ok(server.schema >= crate::store::latest_version())
}

/// Joins a team: redeems the invitation code, downloads the workspace as it stands into
/// `dest` (which must not exist yet) and makes it follow the server.
pub fn join(url: &str, code: &str, dest: &Path, clock: Arc<dyn Clock>) -> Result<(Workspace, SessionReply)> {
    let base = base_of(url)?;
    if dest.exists() {
        return Err(KeelError::NotAllowed(format!(
            "{} already exists: a team workspace joins into a new file",
            dest.display()
        )));
    }
    let agent = agent();
    let reply = stamped(agent.post(format!("{base}/v1/join")), None)
        .send_json(&JoinRequest { code: code.trim().to_string() })
        .map_err(|e| offline(&base, e))?;
    let session: SessionReply = answer(reply, &base)?;
    let credential = session
        .credential
        .clone()
        .ok_or_else(|| KeelError::Schema("the team server gave no credential on joining".into()))?;
    let mut reply = stamped(agent.get(format!("{base}/v1/snapshot")), session.epoch.as_deref())
        .header("Authorization", format!("Bearer {}", session.token))
        .call()
        .map_err(|e| offline(&base, e))?;
    if reply.status().as_u16() != 200 {
        return Err(answer::<serde_json::Value>(reply, &base)
            .err()
            .unwrap_or(KeelError::Schema("no snapshot".into())));
    }
    let check: Option<String> = reply
        .headers()
        .get(protocol::FEED_AT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(':'))
        .map(|(_, check)| check.to_string());
    let position: i64 = reply
        .headers()
        .get(protocol::POSITION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| KeelError::Schema("the snapshot does not say where the feed stands".into()))?;
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let partial = dir.join(format!(".{}.joining", dest.file_name().unwrap_or_default().to_string_lossy()));
    let io = |context: String| move |source| KeelError::Io { context, source };
    let result = (|| -> Result<()> {
        let mut file =
            std::fs::File::create(&partial).map_err(io(format!("creating {}", partial.display())))?;
        std::io::copy(&mut reply.body_mut().as_reader(), &mut file)
            .map_err(io("downloading the snapshot".into()))?;
        file.sync_all().map_err(io(format!("syncing {}", partial.display())))?;
        let mut ws = Workspace::open_existing(&partial, clock.clone())?;
        credentials::keep(&session.client_id, &credential)?;
        ws.follow(&TeamLink {
            server_url: base.clone(),
            member_id: crate::domain::TeamMemberId(session.member_id),
            credential: credentials::KEPT_OUTSIDE.to_string(),
            client_id: session.client_id.clone(),
            next_seq: 1,
            position,
            server_epoch: session.epoch.clone(),
            server_schema: session.schema_version,
        })?;
        credentials::keep_session(&session.client_id, &session.token, &session.expires_at)?;
        if let Some(check) = &check {
            ws.keep_position_check(position, check)?;
        }
        drop(ws);
        std::fs::rename(&partial, dest).map_err(io(format!("writing {}", dest.display())))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    Ok((Workspace::open_existing(dest, clock)?, session))
}

#[cfg(test)]
mod url_tests {
    use super::base_of;

    #[test]
    fn plain_http_is_refused_except_to_this_machine() {
        for url in ["http://127.0.0.1:8080", "http://localhost:9/", "http://[::1]:443", "http://127.8.0.2"] {
            assert!(base_of(url).is_ok(), "{url} is this machine");
        }
        for url in [
            "http://crm.example.com:8080",
            "http://10.0.0.5",
            "http://localhost.example.com",
            "http://127.0.0.1@crm.example.com",
            "ftp://127.0.0.1",
        ] {
            let refused = base_of(url).expect_err(url);
            assert_eq!(refused.field(), Some("url"), "{url}: {refused}");
            assert!(refused.to_string().contains("https://"), "{refused}");
        }
        assert_eq!(base_of(" https://crm.example.com/ ").expect("https"), "https://crm.example.com");
    }
}
