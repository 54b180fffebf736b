//! Validation of free text and of the identifiers people type: domains, e-mails, dates.

use crate::{KeelError, Result};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: names, titles, subjects. At most 200 characters.
    Line,
    /// Several lines: notes, scope, success criteria. At most 10,000 characters.
    Note,
}

impl TextKind {
    fn max_chars(self) -> usize {
        match self {
            TextKind::Line => 200,
            TextKind::Note => 10_000,
        }
    }
}

/// Trims and checks a required text field.
pub fn required_text(field: &str, value: &str, kind: TextKind) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(KeelError::invalid(field, "is required"));
    }
    check_text(field, trimmed, kind)?;
    Ok(trimmed.to_string())
}

/// Trims an optional text field; empty becomes `None`.
pub fn optional_text(field: &str, value: Option<&str>, kind: TextKind) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_text(field, text, kind)?;
            Ok(Some(text.to_string()))
        }
    }
}

fn check_text(field: &str, text: &str, kind: TextKind) -> Result<()> {
    let count = text.chars().count();
    if count > kind.max_chars() {
        return Err(KeelError::invalid(
            field,
            format!("is too long ({count} characters, at most {})", kind.max_chars()),
        ));
    }
    let allowed_control = |c: char| kind == TextKind::Note && (c == '\n' || c == '\t');
    if let Some(bad) = text.chars().find(|c| c.is_control() && !allowed_control(*c)) {
        return Err(KeelError::invalid(
            field,
            format!("contains a control character (U+{:04X})", bad as u32),
        ));
    }
    Ok(())
}

/// Normalizes a web domain: lower-case, no scheme, no `www.`, no path, port or
/// trailing dot. "https://WWW.Example.com/pricing" becomes "example.com".
pub fn normalize_domain(field: &str, value: &str) -> Result<String> {
    let mut text = value.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            text = rest.to_string();
        }
    }
    let host_end = text.find(['/', '?', '#', ':']).unwrap_or(text.len());
    text.truncate(host_end);
    let mut host = text.trim_end_matches('.');
    if let Some(rest) = host.strip_prefix("www.") {
        host = rest;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.is_empty() || host.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(KeelError::invalid(
            field,
            format!("'{}' is not a web domain (like example.com)", value.trim()),
        ));
    }
    Ok(host.to_string())
}

/// Lower-cases and checks an e-mail address: one `@`, a local part, a domain with a dot.
pub fn normalize_email(field: &str, value: &str) -> Result<String> {
    let email = value.trim().to_ascii_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && normalize_domain(field, domain).is_ok_and(|d| d == domain || domain.starts_with("www."))
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !valid || email.len() > 254 {
        return Err(KeelError::invalid(field, format!("'{}' is not an e-mail address", value.trim())));
    }
    Ok(email)
}

/// Parses a calendar date written as YYYY-MM-DD, within years 1900–2200.
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate> {
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        KeelError::invalid(field, format!("'{}' is not a date (write it as YYYY-MM-DD)", value.trim()))
    })?;
    check_date_range(field, date)?;
    Ok(date)
}

/// Keeps calendar dates to years 1900–2200, where every rule and report is meaningful.
pub fn check_date_range(field: &str, date: NaiveDate) -> Result<()> {
    let year = chrono::Datelike::year(&date);
    if !(1900..=2200).contains(&year) {
        return Err(KeelError::invalid(field, format!("{date} is out of range (years 1900 to 2200)")));
    }
    Ok(())
}

/// Legal-form words that do not tell two companies apart.
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "plc",
    "pty",
    "srl",
    "spa",
    "oy",
    "ab",
    "kk",
    "lp",
    "llp",
    "the",
];

/// A company name reduced to what identifies it: "The ACME, Inc." and "Acme" both give
/// "acme". Import matches accounts on it, and duplicate detection groups by it.
pub fn account_name_key(name: &str) -> String {
    let lowered = name.to_lowercase().replace('&', " and ");
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
        .collect();
    if words.is_empty() {
        lowered.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_name_keys_ignore_case_punctuation_and_legal_forms() {
        assert_eq!(account_name_key("The ACME, Inc."), "acme");
        assert_eq!(account_name_key("Acme"), "acme");
        assert_eq!(account_name_key("Smith & Sons GmbH"), "smith and sons");
        assert_eq!(account_name_key("Nova Labs Ltd"), account_name_key("nova-labs"));
        assert_ne!(account_name_key("Nova Labs"), account_name_key("Nova Games"));
    }

    #[test]
    fn domains_are_normalized() {
        assert_eq!(normalize_domain("d", "https://WWW.Acme.io/pricing?x=1").ok().as_deref(), Some("acme.io"));
        assert_eq!(normalize_domain("d", "eu.acme.io:443").ok().as_deref(), Some("eu.acme.io"));
        assert_eq!(normalize_domain("d", "acme.io.").ok().as_deref(), Some("acme.io"));
        assert!(normalize_domain("d", "localhost").is_err(), "needs a dot");
        assert!(normalize_domain("d", "acme .io").is_err());
        assert!(normalize_domain("d", "").is_err());
    }

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(normalize_email("e", " Ana@Acme.IO ").ok().as_deref(), Some("ana@acme.io"));
        assert!(normalize_email("e", "ana@").is_err());
        assert!(normalize_email("e", "ana acme.io").is_err());
        assert!(normalize_email("e", "a@b@c.io").is_err());
    }

    #[test]
    fn text_refuses_control_characters_and_oversize() {
        assert!(required_text("name", "a\u{7}b", TextKind::Line).is_err());
        assert!(required_text("notes", "a\nb", TextKind::Note).is_ok());
        assert!(required_text("name", &"x".repeat(201), TextKind::Line).is_err());
        assert!(required_text("name", "   ", TextKind::Line).is_err());
    }
}
