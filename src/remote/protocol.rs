//! The team server's HTTP protocol, as both ends see it. Errors travel as
//! [`crate::ErrorBody`] (`{code, field, message}`) with a matching status.

use crate::store::feed::FeedEntry;
use serde::{Deserialize, Serialize};

/// The header of a snapshot that says at which feed position it was taken.
pub const POSITION_HEADER: &str = "x-keel-feed-position";

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandRequest {
    pub client_id: String,
    pub seq: i64,
    /// The command as typed (`deal move 12 --stage …`), without the local file.
    pub args: Vec<String>,
    pub json: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandReply {
    pub output: String,
    /// The feed position once the command was applied.
    pub position: i64,
    /// True when this command number had been applied before (a retry).
    pub repeated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    pub position: i64,
}
