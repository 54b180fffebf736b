//! Imports of other systems' exports, real files, incomplete records.

pub mod import;
pub mod incomplete;
pub mod real_exports;
