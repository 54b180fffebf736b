//! The report projection, exchange rates, targets and search.

pub mod as_of;
pub mod facts;
pub mod forecast;
pub mod fx;
pub mod search;
pub mod targets;
