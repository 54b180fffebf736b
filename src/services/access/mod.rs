//! Who works in the workspace and what each may do.

pub mod policy;
pub mod team;
pub(crate) mod workspace;
