//! Accounts, contacts, merges and onboarding.

pub mod accounts;
pub mod contacts;
pub mod duplicates;
pub mod onboarding;
