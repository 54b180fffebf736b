//! Import batches and their changes, and export rows.

pub mod exports;
pub mod imports;
