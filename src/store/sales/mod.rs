//! The pipeline: stages, deals, qualification (BANT, PoC, checklist), activities.

pub mod activities;
pub mod deal_changes;
pub mod deals;
pub mod qualification;
pub mod stages;
