//! Accounts, contacts and onboarding.

pub mod accounts;
pub mod contacts;
pub mod onboarding;
