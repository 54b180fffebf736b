//! Who may do what.

pub mod policy;
