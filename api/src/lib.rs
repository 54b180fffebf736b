//! keel-api: the typed layer every front door adapts, one command at a time: the
//! shapes that cross to a screen (`dto`), the filters screens send (`filters`), and the
//! error body (`error`), and the partner portal's wire (`portal`). The desktop's commands
//! and the team server's portal routes are thin adapters over it, and both answer
//! errors in its one body. No rule lives here: inputs are read and checked by the core.

pub mod dto;
pub mod error;
pub mod filters;
pub mod integration;
pub mod openapi;
pub mod portal;

pub use error::{ApiError, ErrorCode};

/// An optional text field from a screen: blank means absent.
pub fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// An optional date field from a screen (`YYYY-MM-DD`), read by the core's one date reader.
pub fn date(field: &str, text: Option<String>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    Ok(given(text).map(|t| keel::domain::parse_date(field, &t)).transpose()?)
}
