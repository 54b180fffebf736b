//! Accounts, contacts and the team around them.

pub mod accounts;
