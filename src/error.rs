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
        match self {
            KeelError::Invalid { .. } => "invalid_input",
            KeelError::NotFound { .. } => "not_found",
            KeelError::Duplicate { .. } => "duplicate",
            KeelError::CriteriaUnmet { .. } => "criteria_unmet",
            KeelError::Conflict { .. } => "conflict",
            KeelError::Forbidden(_) => "forbidden",
            KeelError::NotAllowed(_) => "not_allowed",
            KeelError::Schema(_) => "schema",
            KeelError::Storage(e) if is_busy(e) => "busy",
            KeelError::Storage(_) => "storage",
            KeelError::Io { .. } => "io",
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code().to_string(), message: self.to_string() }
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
    pub message: String,
}

impl From<KeelError> for ErrorBody {
    fn from(e: KeelError) -> Self {
        e.body()
    }
}
