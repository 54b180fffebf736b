use crate::domain::{required_text, AeSegment, Role, TeamMemberId, TextKind};
use crate::services::policy::{self, Capability, Principal};
use crate::services::Workspace;
use crate::store::{self, team::TeamMember};
use crate::{KeelError, Result};

pub struct NewTeamMember {
    pub name: String,
    pub role: Role,
    /// Only for account executives: enterprise or mid-market.
    pub ae_segment: Option<AeSegment>,
}

/// Adds a team member. The first member of a workspace may be added by nobody (it
/// bootstraps the team) and becomes the current user; later ones are added by a sales
/// leader.
pub fn add(ws: &mut Workspace, who: Option<Principal>, input: NewTeamMember) -> Result<TeamMember> {
    let name = required_text("name", &input.name, TextKind::Line)?;
    if input.ae_segment.is_some() && input.role != Role::AccountExecutive {
        return Err(KeelError::invalid("segment", "applies only to account executives"));
    }
    let id = ws.write(|tx, now| {
        // Checked inside the write: two first members cannot both bootstrap.
        let bootstrap = store::team::count(tx)? == 0;
        match who {
            None if !bootstrap => {
                return Err(KeelError::NotAllowed(
                    "no acting user: only the first member joins by themselves".into(),
                ))
            }
            // Adding a member decides who holds which role, so it is the leader's call.
            Some(who) if !bootstrap => {
                policy::require(tx, who, Capability::ManageTeam, "add team members")?;
            }
            _ => {}
        }
        let id = store::team::insert(tx, &name, input.role, input.ae_segment, now)?;
        if bootstrap {
            Workspace::set_setting(tx, "current_user_id", &id.to_string())?;
        }
        crate::services::record(
            tx,
            now,
            who.map(|w| w.member()).or(Some(id)),
            "team.add",
            "team_member",
            id.0,
            serde_json::json!({
                "name": name, "role": input.role.as_str(),
            }),
        )?;
        Ok(id)
    })?;
    store::team::get(ws.conn(), id)
}

pub fn list(ws: &Workspace) -> Result<Vec<TeamMember>> {
    store::team::list(ws.conn())
}

pub fn find(ws: &Workspace, name: &str) -> Result<TeamMember> {
    store::team::find_by_name(ws.conn(), name.trim())?
        .ok_or_else(|| KeelError::not_found("team member", name.trim()))
}

pub fn get(ws: &Workspace, id: TeamMemberId) -> Result<TeamMember> {
    store::team::get(ws.conn(), id)
}

/// Gives a member another role. Roles decide what each member may do, so only a sales
/// leader changes them, and the team always keeps one active sales leader.
pub fn set_role(
    ws: &mut Workspace,
    who: Principal,
    member: TeamMemberId,
    role: Role,
    ae_segment: Option<AeSegment>,
) -> Result<TeamMember> {
    if ae_segment.is_some() && role != Role::AccountExecutive {
        return Err(KeelError::invalid("segment", "applies only to account executives"));
    }
    ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::ManageTeam, "change roles")?;
        let before = store::team::get(tx, member)?;
        if policy::allows(before.role, Capability::ManageTeam)
            && !policy::allows(role, Capability::ManageTeam)
        {
            keep_a_leader(tx, &before)?;
        }
        store::team::set_role(tx, member, role, ae_segment)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "team.role",
            "team_member",
            member.0,
            serde_json::json!({"before": before.role.as_str(), "after": role.as_str()}),
        )
    })?;
    store::team::get(ws.conn(), member)
}

/// Takes a member off the team: they can no longer act or sign in; everything they did
/// stays theirs in the history.
pub fn deactivate(ws: &mut Workspace, who: Principal, member: TeamMemberId) -> Result<TeamMember> {
    ws.write_as(who, |tx, now| {
        policy::require(tx, who, Capability::ManageTeam, "deactivate team members")?;
        let before = store::team::get(tx, member)?;
        if !before.is_active() {
            return Err(KeelError::NotAllowed(format!("{} has already left the team", before.name)));
        }
        if policy::allows(before.role, Capability::ManageTeam) {
            keep_a_leader(tx, &before)?;
        }
        store::team::deactivate(tx, member, now)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "team.deactivate",
            "team_member",
            member.0,
            serde_json::json!({"name": before.name}),
        )
    })?;
    store::team::get(ws.conn(), member)
}

/// The team always keeps an active member who may manage it (the policy's roles for it).
fn keep_a_leader(tx: &rusqlite::Connection, leaving: &TeamMember) -> Result<()> {
    let mut managers = 0;
    for role in Capability::ManageTeam.roles() {
        managers += store::team::count_active_with_role(tx, *role)?;
    }
    if managers <= 1 {
        return Err(KeelError::NotAllowed(format!(
            "{} is the team's only sales leader: make someone else a sales leader first",
            leaving.name
        )));
    }
    Ok(())
}
