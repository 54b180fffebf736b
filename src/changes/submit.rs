//! Where a change made on this machine goes: applied here on a solo workspace; on a team
//! copy, sent to the team server (or kept in the outbox while it cannot be reached).

use super::{Applied, Change};
use crate::services::policy::Principal;
use crate::services::Workspace;
use crate::Result;

/// What became of a submitted change.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Submitted {
    pub applied: Applied,
    /// True when the team server could not be reached: the change is made here and
    /// waits in the outbox to be sent.
    pub queued: bool,
    /// Made by a team server: the records it created, `[table, id]` in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<crate::store::outbox::Created>,
}

/// Makes a change as `who`: on a solo workspace it applies here; on a team copy it goes
/// to the server, which applies it as the member signed in from this machine (`who` is
/// that member there), and the copy catches up before this returns.
pub fn submit(ws: &mut Workspace, who: Principal, change: Change) -> Result<Submitted> {
    submit_with_progress(ws, who, change, &mut |_, _| {})
}

/// [`submit`], telling `progress` (done, total) how far a long change (an import) has come,
/// here or as the team server runs it.
pub fn submit_with_progress(
    ws: &mut Workspace,
    who: Principal,
    change: Change,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Submitted> {
    if ws.is_replica() {
        return crate::remote::typed::send(ws, change, progress);
    }
    Ok(Submitted {
        applied: super::apply_with_progress(ws, who, change, progress)?,
        queued: false,
        created: Vec::new(),
    })
}
