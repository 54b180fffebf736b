//! Who may do what: every role set Keel has, in one place. Services ask `require`
//! before they act (and before they show money that belongs to the partner program);
//! the front doors ask `allows` to decide what to offer. Nothing else holds a role set.

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
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::ManageTeam,
        Capability::RunPartnerProgram,
        Capability::ReadStatements,
        Capability::LeadSales,
    ];

    /// The roles that hold this capability.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Capability::ManageTeam | Capability::LeadSales => &[Role::SalesLeader],
            Capability::RunPartnerProgram | Capability::ReadStatements => {
                &[Role::PartnerManager, Role::SalesLeader]
            }
        }
    }
}

/// Whether a role holds a capability.
pub fn allows(role: Role, capability: Capability) -> bool {
    capability.roles().contains(&role)
}

/// The acting member, if their role holds `capability`; otherwise a refusal that says
/// who they are and who may (`action` completes "only a ... may").
pub fn require(
    conn: &Connection,
    actor: TeamMemberId,
    capability: Capability,
    action: &str,
) -> Result<TeamMember> {
    let member = crate::store::team::get(conn, actor)?;
    if allows(member.role, capability) {
        return Ok(member);
    }
    let allowed: Vec<String> = capability.roles().iter().map(|r| r.as_str().replace('-', " ")).collect();
    Err(KeelError::Forbidden(format!(
        "only a {} may {action} ({} is {})",
        allowed.join(" or a "),
        member.name,
        member.role.as_str().replace('-', " ")
    )))
}
