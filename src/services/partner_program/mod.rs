//! The partner program: partners and plans, registrations, commission, payouts, statements.

pub mod partners;
pub mod payouts;
pub mod portal;
pub mod registrations;
pub mod revenue;
pub(crate) mod statement_export;
