//! The pipeline: deals, moves, activities.

pub mod activities;
pub mod changes;
pub mod deals;
pub mod moves;
