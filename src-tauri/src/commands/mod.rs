//! Typed commands: each opens the workspace, calls core services and maps the result
//! into [`crate::dto`] shapes. No rule of the sales process lives here; inputs are
//! parsed and checked by the core, never trusted from the UI.

pub mod accounts;
pub mod board;
pub mod dashboard;
pub mod deal;
pub mod forecast;
pub mod imports;
pub mod inspection;
pub mod partners;
pub mod payouts;
pub mod portal_users;
pub mod workspace;

use crate::ApiError;
use keel::domain::TeamMemberId;
use keel::services::Workspace;

/// The member the app acts as: the one picked on first start.
pub(crate) fn me(ws: &Workspace) -> Result<TeamMemberId, ApiError> {
    ws.actor(None).map_err(|_| ApiError {
        code: crate::ErrorCode::NoUser,
        field: None,
        message: "pick who you are first (command palette → Switch user)".into(),
        details: Vec::new(),
    })
}

pub(crate) use keel_api::{date, given};
