//! The report, the board and their drill-downs.

pub mod board;
pub mod metrics;
