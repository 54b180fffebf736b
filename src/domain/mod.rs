//! The sales vocabulary: identifiers, closed sets of values, and the validation of
//! free text, web domains and e-mail addresses. No storage, no I/O.

mod ids;
mod text;
mod vocabulary;

pub use ids::*;
pub use text::{
    account_name_key, check_date_range, normalize_domain, normalize_email, optional_text, parse_date,
    required_text, TextKind,
};
pub use vocabulary::*;
