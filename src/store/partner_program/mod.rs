//! Partners and plans, registrations, revenue and the ledger, payout statements.

pub mod partner_users;
pub mod partners;
pub mod payouts;
pub mod registrations;
pub mod revenue;
