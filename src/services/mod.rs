//! Core services: every rule of the sales process, called alike by the CLI and the
//! desktop app. Each takes the workspace, the acting team member and a typed input,
//! validates, writes in one transaction, and returns a view or a typed error.

pub mod accounts;
pub mod activities;
pub mod contacts;
pub mod deals;
pub mod demo;
mod demo_partners;
pub mod duplicates;
pub mod export;
pub mod fx;
pub mod import;
pub mod metrics;
pub mod moves;
pub mod onboarding;
pub mod partners;
pub mod payouts;
pub mod pipeline;
pub mod policy;
pub mod qualification;
pub mod registrations;
pub mod revenue;
pub mod search;
pub mod stage_rules;
mod statement_export;
pub mod targets;
pub mod team;
mod workspace;

pub use workspace::{Settings, Workspace};

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
