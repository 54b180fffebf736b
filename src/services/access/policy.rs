//! Who may do what: every role set Keel has, in one place, and who is asking.
//!
//! A front door authenticates its caller (the local user of a solo workspace, the member
//! who joined a team copy, the server's session) and turns them into a [`Principal`]
//! with [`authenticate`]. Every service call, reads included, takes that principal.
//! Services ask `require` before they act (and before they show money that belongs to
//! the partner program); screens ask `allows` what to offer. Nothing else holds a role set.

use crate::domain::{Role, TeamMemberId};
use crate::store::team::TeamMember;
use crate::{KeelError, Result};
use rusqlite::Connection;
use serde::Serialize;

/// Something only some roles may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Add team members (and so decide who holds which role).
    ManageTeam,
    /// Run the partner program: its settings, partners and rates, reviewing
    /// registrations, payout runs, approvals and payments, ledger reversals.
    RunPartnerProgram,
    /// See payout statements and partners' commission balances.
    ReadStatements,
    /// Lead the sales team: targets, the reporting currency and exchange rates.
    LeadSales,
    /// Carry deals: the owners a deal is handed to (a converted registration) and
    /// offered in the owner filters of the board and the dashboard.
    OwnDeals,
}

impl Capability {
    pub const ALL: [Capability; 5] = [
        Capability::ManageTeam,
        Capability::RunPartnerProgram,
        Capability::ReadStatements,
        Capability::LeadSales,
        Capability::OwnDeals,
    ];

    /// The roles that hold this capability.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Capability::ManageTeam | Capability::LeadSales => &[Role::SalesLeader],
            Capability::RunPartnerProgram | Capability::ReadStatements => {
                &[Role::PartnerManager, Role::SalesLeader]
            }
            // A leader may be a player-coach with deals of their own.
            Capability::OwnDeals => &[Role::AccountExecutive, Role::SalesLeader],
        }
    }
}

/// Who a service call acts for: an active team member and the role they held when their
/// front door authenticated them. Only [`authenticate`] makes one, so a service cannot be
/// reached with a bare member id. Writes re-read the member inside their transaction
/// (`require`), so a role changed since still decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    member: TeamMemberId,
    role: Role,
}

impl Principal {
    pub fn member(&self) -> TeamMemberId {
        self.member
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the principal's role holds `capability` (for what a read shows or offers).
    pub fn may(&self, capability: Capability) -> bool {
        allows(self.role, capability)
    }
}

/// The principal for a member a front door has authenticated; refused when the member
/// has left the team.
pub fn authenticate(conn: &Connection, member: TeamMemberId) -> Result<Principal> {
    let member = active_member(conn, member)?;
    Ok(Principal { member: member.id, role: member.role })
}

/// A read on behalf of `who`: refused once they have left the team, like any act.
pub fn reading(conn: &Connection, who: Principal) -> Result<()> {
    active_member(conn, who.member).map(|_| ())
}

/// Whether a role holds a capability.
pub fn allows(role: Role, capability: Capability) -> bool {
    capability.roles().contains(&role)
}

/// The acting member, if their role holds `capability`; otherwise a refusal that says
/// who they are and who may (`action` completes "only a ... may").
pub fn require(
    conn: &Connection,
    who: Principal,
    capability: Capability,
    action: &str,
) -> Result<TeamMember> {
    require_of(conn, who.member, capability, action)
}

/// Like [`require`] for a member who is not the one acting: someone a deal is handed to.
pub fn require_of(
    conn: &Connection,
    member: TeamMemberId,
    capability: Capability,
    action: &str,
) -> Result<TeamMember> {
    let member = active_member(conn, member)?;
    if allows(member.role, capability) {
        return Ok(member);
    }
    let with_article = |role: &Role| {
        let name = role.as_str().replace('-', " ");
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {name}")
    };
    let allowed: Vec<String> = capability.roles().iter().map(with_article).collect();
    Err(KeelError::Forbidden(format!(
        "only {} may {action} ({} is {})",
        allowed.join(" or "),
        member.name,
        member.role.as_str().replace('-', " ")
    )))
}

/// The acting member, if they are still on the team: a deactivated member keeps their
/// history and acts no more, whatever their role was.
pub fn active_member(conn: &Connection, actor: TeamMemberId) -> Result<TeamMember> {
    let member = crate::store::team::get(conn, actor)?;
    if !member.is_active() {
        return Err(KeelError::Forbidden(format!("{} has left the team and can no longer act", member.name)));
    }
    Ok(member)
}
