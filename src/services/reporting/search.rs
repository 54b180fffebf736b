//! Global search across accounts, deals and contacts (the app's search box and
//! command palette, and `keel search`).

use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::{self, search::SearchHit};
use crate::{KeelError, Result};

/// Longest search text accepted: longer is a paste gone wrong, not a name.
const MAX_CHARS: usize = 200;

pub fn search(ws: &Workspace, who: Principal, text: &str, per_kind: Option<u32>) -> Result<Vec<SearchHit>> {
    policy::reading(ws.conn(), who)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(KeelError::invalid("text", "must not be empty"));
    }
    if text.chars().count() > MAX_CHARS {
        return Err(KeelError::invalid("text", format!("must be at most {MAX_CHARS} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(KeelError::invalid("text", "must not contain control characters"));
    }
    store::search::find(ws.conn(), text, per_kind.unwrap_or(8).clamp(1, 50))
}
