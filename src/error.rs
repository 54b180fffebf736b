//! One error type for the whole core, and its public `{code, message}` form.
//!
//! Services return rich variants; the CLI prints `message`, the desktop app sends
//! [`ErrorBody`] across IPC. The conversion lives here and nowhere else.

use serde::Serialize;

pub type Result<T, E = KeelError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum KeelError {
    /// An input value is malformed or out of bounds. `field` names the input field.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },

    /// A referenced record does not exist.
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },

    /// A value that must be unique is already taken.
    #[error("{field}: {value} is already used by {entity} {existing}")]
    Duplicate { field: &'static str, value: String, entity: &'static str, existing: String },

    /// A stage move that misses exit or entry criteria. Lists every missing item.
    #[error("cannot move deal {deal} to {to_stage}: {}", missing.join("; "))]
    CriteriaUnmet { deal: i64, to_stage: String, missing: Vec<String> },

    /// A registration collides with existing business; each conflict says with what.
    #[error("{action}: {}", conflicts.join("; "))]
    Conflict { action: String, conflicts: Vec<String> },

    /// A change made offline, based on a value someone else has changed since.
    #[error("{message}")]
    ChangedMeanwhile { field: String, message: String },

    /// The acting team member's role may not do this.
    #[error("{0}")]
    Forbidden(String),

    /// The operation is valid in form but not allowed in the current state.
    #[error("{0}")]
    NotAllowed(String),

    /// The database file was written by a newer Keel, or is not a Keel database.
    #[error("{0}")]
    Schema(String),

    #[error("database error: {0}")]
    Storage(#[from] rusqlite::Error),

    /// A change attempted on a team workspace's local copy: it must go through the team
    /// server (the CLI forwards it; anything else refuses with this message).
    #[error("this is a copy of a team workspace: changes are made through the team server")]
    ReplicaWrite,

    /// The team server cannot be reached: reads go on from the local copy, writes are refused.
    #[error("{0}")]
    Offline(String),

    /// This app and the team server (or this copy) run different versions of Keel; the
    /// message says which is newer and what to do.
    #[error("{0}")]
    Incompatible(String),

    /// The team server's workspace was restored from a backup since this copy followed
    /// it: the copy must join again.
    #[error("{0}")]
    Restored(String),

    /// A refusal the team server gave, with its code, field and details as it gave them.
    #[error("{message}")]
    Remote { code: ErrorCode, field: Option<String>, message: String, details: Vec<String> },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl KeelError {
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        KeelError::Invalid { field: field.into(), problem: problem.into() }
    }

    pub fn not_found(entity: &'static str, key: impl ToString) -> Self {
        KeelError::NotFound { entity, key: key.to_string() }
    }

    /// Stable machine-readable code; the UI branches on it, so never rename one.
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The code as a closed set (front doors that type their errors use this).
    pub fn kind(&self) -> ErrorCode {
        match self {
            KeelError::Invalid { .. } => ErrorCode::InvalidInput,
            KeelError::NotFound { .. } => ErrorCode::NotFound,
            KeelError::Duplicate { .. } => ErrorCode::Duplicate,
            KeelError::CriteriaUnmet { .. } => ErrorCode::CriteriaUnmet,
            KeelError::Conflict { .. } | KeelError::ChangedMeanwhile { .. } => ErrorCode::Conflict,
            KeelError::Forbidden(_) => ErrorCode::Forbidden,
            KeelError::NotAllowed(_) => ErrorCode::NotAllowed,
            KeelError::Schema(_) => ErrorCode::Schema,
            KeelError::Storage(e) if is_busy(e) => ErrorCode::Busy,
            KeelError::Storage(_) => ErrorCode::Storage,
            KeelError::Io { .. } => ErrorCode::Io,
            KeelError::ReplicaWrite => ErrorCode::NotAllowed,
            KeelError::Offline(_) => ErrorCode::Offline,
            KeelError::Incompatible(_) => ErrorCode::Incompatible,
            KeelError::Restored(_) => ErrorCode::Restored,
            KeelError::Remote { code, .. } => *code,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_string(),
            field: self.field().map(str::to_string),
            message: self.to_string(),
            details: self.details(),
        }
    }

    /// The items behind a refusal, when it has a list: a refused move's missing
    /// criteria, a registration's conflicts (also when the team server gave them).
    pub fn details(&self) -> Vec<String> {
        match self {
            KeelError::CriteriaUnmet { missing, .. } => missing.clone(),
            KeelError::Conflict { conflicts, .. } => conflicts.clone(),
            KeelError::Remote { details, .. } => details.clone(),
            _ => Vec::new(),
        }
    }

    /// The error a team server's answer describes.
    pub fn from_body(body: ErrorBody) -> KeelError {
        let code = serde_json::from_value(serde_json::Value::String(body.code.clone()))
            .unwrap_or(ErrorCode::Storage);
        KeelError::Remote { code, field: body.field, message: body.message, details: body.details }
    }

    /// The input field a refusal names, if it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            KeelError::Invalid { field, .. } => Some(field),
            KeelError::Duplicate { field, .. } => Some(field),
            KeelError::ChangedMeanwhile { field, .. } => Some(field),
            KeelError::Remote { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// Every error code the core gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// The team server could not be reached.
    Offline,
    /// The team server wants the member to sign in (again).
    Unauthenticated,
    /// This app, its copy and the team server run different versions of Keel.
    Incompatible,
    /// The team server was restored from a backup: this copy must join again.
    Restored,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::CriteriaUnmet => "criteria_unmet",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::Schema => "schema",
            ErrorCode::Busy => "busy",
            ErrorCode::Storage => "storage",
            ErrorCode::Io => "io",
            ErrorCode::Offline => "offline",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Incompatible => "incompatible",
            ErrorCode::Restored => "restored",
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// What crosses a process or IPC boundary: a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    pub code: String,
    /// The input field at fault, as the product names it (the same through every door).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// The items behind the refusal (missing criteria, conflicts), when it has a list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl From<KeelError> for ErrorBody {
    fn from(e: KeelError) -> Self {
        e.body()
    }
}
