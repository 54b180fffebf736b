//! The team server's HTTP protocol, as both ends see it. Errors travel as
//! [`crate::ErrorBody`] (`{code, field, message}`) with a matching status.

use crate::store::feed::FeedEntry;
use serde::{Deserialize, Serialize};

/// The header of an upload that gives the file's own name (kept in the import's record).
pub const FILE_NAME_HEADER: &str = "x-keel-file-name";

/// The header of a snapshot that says at which feed position it was taken.
pub const POSITION_HEADER: &str = "x-keel-feed-position";

/// The version of this protocol: raised whenever a request or reply changes shape. Every
/// request carries it (a request without it is from before versions: version 1), with
/// the sender's schema version and, from a copy, the server epoch the copy follows; the
/// server answers a mismatch with `incompatible` or `restored`, and says its own.
/// Version 3: changes travel typed (`POST /v1/changes`, a [`ChangeRequest`]).
/// Version 4: a change may ask for the feed after its copy's position in its reply
/// ([`ChangeRequest::feed_after`], [`ChangeReply::feed`]).
pub const PROTOCOL_VERSION: u32 = 4;
pub const PROTOCOL_HEADER: &str = "x-keel-protocol";
pub const SCHEMA_HEADER: &str = "x-keel-schema";
pub const EPOCH_HEADER: &str = "x-keel-epoch";
/// `POSITION:CHECK`: the feed entry a copy stands at and the server's fingerprint of it;
/// also the snapshot's fingerprint of its position.
pub const FEED_AT_HEADER: &str = "x-keel-feed-at";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRequest {
    pub credential: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionReply {
    pub member_id: i64,
    pub member_name: String,
    pub role: String,
    /// Sent with every request as `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: String,
    /// Only on joining: the secret this machine signs in with from now on.
    pub credential: Option<String>,
    /// Only on joining: this machine's name for its commands (retries reuse it).
    pub client_id: String,
    /// The server file's epoch: a random id, new at `keel-server init` and every restore.
    #[serde(default)]
    pub epoch: Option<String>,
    /// The server's schema version.
    #[serde(default)]
    pub schema_version: Option<u32>,
}

/// A member's change, typed (`POST /v1/changes`): the server applies it as the session's
/// member, once per (machine, number).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub client_id: String,
    pub seq: i64,
    pub change: crate::changes::Change,
    /// For a change made offline: the values it was based on; the server refuses it
    /// (`conflict`, naming the field) when someone has changed one since.
    #[serde(default)]
    pub expect: Vec<crate::store::outbox::Expectation>,
    /// Where the sending copy stands in the feed, for a change sent online: the reply then
    /// brings the feed's entries after it, read once the change is made, so the copy
    /// catches up without asking again. None for a queued change (the outbox catches up
    /// once, after the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_after: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeReply {
    /// The record the change made or changed (absent when someone else had already made
    /// exactly this change: nothing ran).
    pub applied: Option<crate::changes::Applied>,
    /// The feed position once the change was applied.
    pub position: i64,
    /// True when this change number had been applied before (a retry).
    pub repeated: bool,
    /// The records the change created, `[table, id]` in order.
    #[serde(default)]
    pub created: Vec<crate::store::outbox::Created>,
    /// For a change the server runs as a job (an import): its id, answered at once;
    /// `GET /v1/jobs/ID` follows it.
    #[serde(default)]
    pub job: Option<String>,
    /// For a request with `feed_after`: the feed's first page after it, as `GET /v1/feed`
    /// answers it (absent when the server could not read it: the copy then asks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<FeedPage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadReply {
    pub upload: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobReply {
    /// `running`, `done` or `failed`.
    pub state: String,
    pub done: u64,
    pub total: u64,
    pub output: String,
    pub error: Option<crate::ErrorBody>,
    pub position: i64,
    /// What a change run as a job came to, once done.
    #[serde(default)]
    pub applied: Option<crate::changes::Applied>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    pub position: i64,
    /// The server's fingerprint of the page's last entry.
    #[serde(default)]
    pub last_check: Option<String>,
}

/// What an integration's token may do: `read` the API's lists and figures, `write`
/// changes (`POST /api/v1/changes`), always as the sales leader who created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    /// `read`, `write` or `read,write`, as typed: each scope named once, none unknown.
    pub fn parse_list(text: &str) -> crate::Result<Vec<Scope>> {
        let mut scopes = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let scope = match word.to_ascii_lowercase().as_str() {
                "read" => Scope::Read,
                "write" => Scope::Write,
                _ => {
                    return Err(crate::KeelError::invalid(
                        "scopes",
                        format!("'{word}' is not a scope: give read, write or read,write"),
                    ))
                }
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(crate::KeelError::invalid("scopes", "give read, write or read,write"));
        }
        scopes.sort();
        Ok(scopes)
    }
}

/// A new integration token as asked for (`POST /v1/tokens`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// An integration's token as listed: never the token itself, which is shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The sales leader it acts as.
    pub member_id: i64,
    pub member_name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A token just created: the secret, shown this once (the server keeps only its digest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub listed: Token,
}

/// A machine that joined the team (`GET /v1/machines`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub machine: String,
    pub member_id: i64,
    pub member_name: String,
    pub joined_at: String,
    pub revoked_at: Option<String>,
    /// Sessions it holds now (0: it signs in again before its next change).
    pub open_sessions: i64,
}
