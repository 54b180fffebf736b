//! Partners, registrations, commission, payouts, and the money rules.

pub mod money_properties;
pub mod money_rules;
pub mod partners;
pub mod payouts;
pub mod portal;
