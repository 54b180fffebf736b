//! What leadership reads: metrics and the board, exchange rates, targets, search.

pub mod fx;
pub mod metrics;
pub mod search;
pub mod targets;
