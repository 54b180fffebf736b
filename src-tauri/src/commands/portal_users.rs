//! The partner portal's people, from the partner page: who may sign in for a partner,
//! inviting one (in a team, the server answers with their one-time code) and taking
//! one off the portal; and the desk's list of what they did there lately.

use super::me;
use crate::dto::Int;
use crate::{ApiError, AppState};
use keel::changes::Change;
use keel::domain::PartnerId;
use keel::services::portal;
use keel::store::partner_users::{PartnerUser, PortalActivity};
use serde::Serialize;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PortalUserDto {
    pub id: Int,
    pub email: String,
    pub name: Option<String>,
    pub invited_at: String,
    /// Set once they were taken off the portal.
    pub removed_at: Option<String>,
}

impl From<&PartnerUser> for PortalUserDto {
    fn from(u: &PartnerUser) -> Self {
        PortalUserDto {
            id: u.id.0.into(),
            email: u.email.clone(),
            name: u.name.clone(),
            invited_at: u.invited_at.to_rfc3339(),
            removed_at: u.removed_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PortalActivityDto {
    pub at: String,
    pub email: String,
    pub action: String,
    pub registration_id: Option<Int>,
    pub partner: Option<String>,
    pub company: Option<String>,
}

impl From<&PortalActivity> for PortalActivityDto {
    fn from(a: &PortalActivity) -> Self {
        PortalActivityDto {
            at: a.at.to_rfc3339(),
            email: a.email.clone(),
            action: a.action.clone(),
            registration_id: a.registration_id.map(Int::from),
            partner: a.partner.clone(),
            company: a.company.clone(),
        }
    }
}

/// A partner's portal people.
#[tauri::command(async)]
#[specta::specta]
pub fn portal_users(state: State<'_, AppState>, partner_id: Int) -> Result<Vec<PortalUserDto>, ApiError> {
    let ws = state.open()?;
    let users = portal::users(&ws, me(&ws)?, Some(PartnerId(partner_id.0)))?;
    Ok(users.iter().map(PortalUserDto::from).collect())
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PortalInvitation {
    pub user: PortalUserDto,
    /// The one-time code to pass on; only a team server makes codes (a workspace on
    /// this computer alone has no portal).
    pub code: Option<String>,
}

/// Invites one of a partner's people to the portal.
#[tauri::command(async)]
#[specta::specta]
pub fn invite_portal_user(
    state: State<'_, AppState>,
    partner_id: Int,
    email: String,
    name: Option<String>,
) -> Result<PortalInvitation, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let change = Change::PortalInvite { partner: PartnerId(partner_id.0), email: email.clone(), name };
    let applied = crate::team::submit(&mut ws, actor, change)?;
    let user = listed(&ws, actor, &email)?;
    Ok(PortalInvitation { user: PortalUserDto::from(&user), code: applied.invitation.map(|i| i.code) })
}

/// A portal user as the caught-up copy lists them.
fn listed(
    ws: &keel::services::Workspace,
    actor: keel::services::policy::Principal,
    email: &str,
) -> Result<PartnerUser, ApiError> {
    Ok(portal::users(ws, actor, None)?
        .into_iter()
        .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
        .ok_or_else(|| keel::KeelError::not_found("portal user", email))?)
}

/// Takes one of a partner's people off the portal.
#[tauri::command(async)]
#[specta::specta]
pub fn remove_portal_user(state: State<'_, AppState>, email: String) -> Result<PortalUserDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    crate::team::submit(&mut ws, actor, Change::PortalRemove { email: email.clone() })?;
    Ok(PortalUserDto::from(&listed(&ws, actor, &email)?))
}

pub(crate) fn activity(desk: &[PortalActivity]) -> Vec<PortalActivityDto> {
    desk.iter().map(PortalActivityDto::from).collect()
}
