//! The error every front door's typed API returns: the core's stable code (a union type
//! in TypeScript), the field at fault, the message, and the items behind a refusal.

use serde::Serialize;

/// The error every command returns: the core's stable code and its message, plus the
/// items behind it when there is a list (a refused move's missing criteria, a
/// registration's conflicts) so the screen can show them where the user acted.
#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
#[serde(rename = "ErrorBody")]
pub struct ApiError {
    pub code: ErrorCode,
    /// The input field at fault, as the product names it (as the CLI's JSON says too).
    pub field: Option<String>,
    pub message: String,
    pub details: Vec<String>,
}

/// Every code a command may fail with, a union type in TypeScript: the core's, one for
/// one (the match below fails to compile when the core adds one), and the app's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Duplicate,
    CriteriaUnmet,
    Conflict,
    Forbidden,
    NotAllowed,
    Schema,
    Busy,
    Storage,
    Io,
    /// The team server cannot be reached: the copy reads, changes are refused.
    Offline,
    /// The team server wants this machine to sign in again (or join anew).
    Unauthenticated,
    /// This app, its copy and the team server run different versions of Keel.
    Incompatible,
    /// The team server was restored from a backup: this copy must join again.
    Restored,
    /// The app has no member to act as yet (first start).
    NoUser,
}

impl From<keel::ErrorCode> for ErrorCode {
    fn from(code: keel::ErrorCode) -> Self {
        use keel::ErrorCode as Core;
        match code {
            Core::InvalidInput => ErrorCode::InvalidInput,
            Core::NotFound => ErrorCode::NotFound,
            Core::Duplicate => ErrorCode::Duplicate,
            Core::CriteriaUnmet => ErrorCode::CriteriaUnmet,
            Core::Conflict => ErrorCode::Conflict,
            Core::Forbidden => ErrorCode::Forbidden,
            Core::NotAllowed => ErrorCode::NotAllowed,
            Core::Schema => ErrorCode::Schema,
            Core::Busy => ErrorCode::Busy,
            Core::Storage => ErrorCode::Storage,
            Core::Io => ErrorCode::Io,
            Core::Offline => ErrorCode::Offline,
            Core::Unauthenticated => ErrorCode::Unauthenticated,
            Core::Incompatible => ErrorCode::Incompatible,
            Core::Restored => ErrorCode::Restored,
        }
    }
}

impl From<keel::KeelError> for ApiError {
    fn from(e: keel::KeelError) -> Self {
        if let keel::KeelError::ReplicaWrite = e {
            return ApiError {
                code: ErrorCode::NotAllowed,
                field: None,
                // Every change the window makes is sent to the server (see `team.rs`); one
                // that reaches a write here is a command not mapped yet.
                message:
                    "This change cannot be sent to the team server from the app yet: make it with the keel \
                          command line on this machine, which sends it."
                        .into(),
                details: Vec::new(),
            };
        }
        let details = e.details();
        ApiError {
            code: e.kind().into(),
            field: e.field().map(str::to_string),
            message: e.to_string(),
            details,
        }
    }
}
