//! Core services: every rule of the sales process, called alike by the CLI and the
//! desktop app. Each takes the workspace, the acting team member and a typed input,
//! validates, writes in one transaction, and returns a view or a typed error.

// Grouped by area of the business; each service keeps its short path
// (`services::deals`) through the re-exports below.
pub mod access;
pub mod customers;
pub mod demo;
pub mod exchange;
pub mod partner_program;
pub mod reporting;
pub mod sales;

pub use access::workspace::{CommandStamp, FeedApplied, ImportSlices, QueuedChange, Settings, Workspace};
pub use access::{policy, team};
pub use customers::{accounts, contacts, duplicates, onboarding};
pub use exchange::{export, import};
pub(crate) use partner_program::statement_export;
pub use partner_program::{partners, payouts, portal, registrations, revenue};
pub use reporting::{fx, metrics, search, targets};
pub use sales::{activities, deals, moves, pipeline, qualification, stage_rules};

use crate::domain::TeamMemberId;
use crate::store::audit::{self, NewAuditEntry};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// Appends to the audit log inside the caller's transaction.
pub(crate) fn record(
    conn: &Connection,
    at: DateTime<Utc>,
    actor: Option<TeamMemberId>,
    action: &str,
    entity: &str,
    entity_id: i64,
    detail: serde_json::Value,
) -> Result<()> {
    audit::append(conn, &NewAuditEntry { at, actor, action, entity, entity_id: Some(entity_id), detail })
}

/// Page size cap for every list: large enough for a screen, small enough to stay instant.
pub const MAX_PAGE: u32 = 500;

pub(crate) fn page_size(limit: Option<u32>) -> u32 {
    limit.unwrap_or(50).clamp(1, MAX_PAGE)
}
