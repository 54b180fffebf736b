//! What a team copy says about a change it cannot make while its server cannot be reached.

use crate::KeelError;

/// The words a refused offline change is told in.
pub(crate) fn refusal(what: &str, why: &str) -> KeelError {
    KeelError::Offline(format!(
        "{what}: only with the team server, which cannot be reached ({why}). Money and partner-program actions, \
         plans, rates, targets and team changes are never made offline, so nothing was kept to send later"
    ))
}
