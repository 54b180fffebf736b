//! Who may do what.

pub mod offline;
pub mod policy;
