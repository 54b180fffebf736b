//! Data in and out: imports of other systems' exports, and Keel's own export.

pub mod export;
pub mod import;
