//! The team, settings and the audit log.

pub mod audit;
pub mod settings;
pub mod team;
