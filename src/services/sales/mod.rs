//! The pipeline: stages and their rules, moves, deals, qualification, activities.

pub mod activities;
pub mod deals;
pub mod moves;
pub mod pipeline;
pub mod qualification;
pub mod stage_rules;
