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
use keel::services::policy::Principal;
use keel::services::Workspace;

/// Who the app acts for, reads included: the member picked on first start (the member who
/// joined, in a team workspace). Authenticated afresh by every command, so a member who
/// has left the team is refused at once.
pub(crate) fn me(ws: &Workspace) -> Result<Principal, ApiError> {
    match ws.current_user()? {
        None => Err(ApiError {
            code: crate::ErrorCode::NoUser,
            field: None,
            message: "pick who you are first (command palette → Switch user)".into(),
            details: Vec::new(),
        }),
        Some(member) => Ok(ws.authenticate(member.id)?),
    }
}

pub(crate) use keel_api::{date, given};
