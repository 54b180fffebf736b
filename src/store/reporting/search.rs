//! Global search: accounts, deals and contacts whose names (or domain, or email)
//! contain the words typed, a few of each kind.

use crate::Result;
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// `account`, `deal` or `contact`.
    pub kind: &'static str,
    pub id: i64,
    pub title: String,
    /// What tells two hits of one name apart: the domain, the account, the stage.
    pub detail: String,
    /// The account a deal or contact belongs to (None for an account).
    pub account_id: Option<i64>,
}

const QUERIES: [(&str, &str); 3] = [
    (
        "account",
        "SELECT id, name, coalesce(domain, segment), NULL FROM accounts
         WHERE name LIKE ?1 ESCAPE '\\' OR domain LIKE ?1 ESCAPE '\\'
         ORDER BY (name LIKE ?2 ESCAPE '\\') DESC, name COLLATE NOCASE, id LIMIT ?3",
    ),
    (
        "deal",
        "SELECT d.id, d.name, coalesce(a.name, 'no account yet') || ' · ' || s.name, d.account_id FROM deals d
         LEFT JOIN accounts a ON a.id = d.account_id JOIN stages s ON s.id = d.stage_id
         WHERE d.name LIKE ?1 ESCAPE '\\'
         ORDER BY (d.name LIKE ?2 ESCAPE '\\') DESC, s.is_closed, d.id DESC LIMIT ?3",
    ),
    (
        "contact",
        "SELECT c.id, c.name, c.email || ' · ' || a.name, c.account_id FROM contacts c
         JOIN accounts a ON a.id = c.account_id
         WHERE c.name LIKE ?1 ESCAPE '\\' OR c.email LIKE ?1 ESCAPE '\\'
         ORDER BY (c.name LIKE ?2 ESCAPE '\\') DESC, c.name COLLATE NOCASE, c.id LIMIT ?3",
    ),
];

/// Up to `per_kind` hits of each kind; names starting with the text come first.
pub fn find(conn: &Connection, text: &str, per_kind: u32) -> Result<Vec<SearchHit>> {
    let contains = crate::store::like_pattern(text);
    let starts = format!("{}%", &contains[1..]);
    let mut hits = Vec::new();
    for (kind, sql) in QUERIES {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![contains, starts, per_kind], |r| {
            Ok(SearchHit { kind, id: r.get(0)?, title: r.get(1)?, detail: r.get(2)?, account_id: r.get(3)? })
        })?;
        for row in rows {
            hits.push(row?);
        }
    }
    Ok(hits)
}
