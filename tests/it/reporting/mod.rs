//! The report, the board and their drill-downs.

pub mod as_of;
pub mod board;
pub mod changes;
pub mod forecast;
pub mod metrics;
