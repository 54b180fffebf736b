//! Integrations' tokens for the HTTP API (`/api/v1`): each acts as the sales leader who
//! created it, within its scopes, until revoked or until that leader leaves the team or
//! stops leading. Kept as a SHA-256 of the token (256 random bits: nothing to stretch),
//! in the server's own tables, which never travel to a copy.

use crate::secrets::{instant, random_text, sha256};
use chrono::{DateTime, Utc};
use keel::domain::TeamMemberId;
use keel::remote::protocol::{CreatedToken, Scope, Token};
use keel::{KeelError, Result};
use rusqlite::{params, Connection, OptionalExtension};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    member_id    INTEGER NOT NULL REFERENCES team_members(id),
    scopes       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   INTEGER REFERENCES team_members(id)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS server_tokens_name_in_use
    ON server_tokens (lower(name)) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS server_token_requests (
    token_id        INTEGER NOT NULL REFERENCES server_tokens(id),
    idempotency_key TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
) STRICT;
";

/// What every token starts with, so a leaked one is recognisable (secret scanners, logs).
const PREFIX: &str = "keel_";

/// A token's holder, as a request presents it.
#[derive(Debug, Clone)]
pub(crate) struct Bearer {
    pub(crate) id: i64,
    pub(crate) member: TeamMemberId,
    pub(crate) member_name: String,
    pub(crate) role: String,
    pub(crate) scopes: Vec<Scope>,
}

impl Bearer {
    /// The id its changes are numbered under, never a machine's (machines' ids are hex).
    pub(crate) fn client_id(&self) -> String {
        format!("token-{}", self.id)
    }
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn scopes_of(text: &str) -> Vec<Scope> {
    Scope::parse_list(text).unwrap_or_default()
}

/// A new token for `member`, shown once. The name says what it is for and is unique among
/// the tokens in use.
pub(crate) fn create(
    conn: &Connection,
    member: TeamMemberId,
    name: &str,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> Result<CreatedToken> {
    let name = name.trim();
    if name.is_empty() {
        return Err(KeelError::invalid("name", "name what the token is for (billing, chat, …)"));
    }
    if name.chars().count() > 80 {
        return Err(KeelError::invalid("name", "a token's name is at most 80 characters"));
    }
    if scopes.is_empty() {
        return Err(KeelError::invalid("scopes", "give read, write or both"));
    }
    let in_use: Option<i64> = conn
        .query_row(
            "SELECT id FROM server_tokens WHERE lower(name) = lower(?1) AND revoked_at IS NULL",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(existing) = in_use {
        return Err(KeelError::Duplicate {
            field: "name",
            value: name.to_string(),
            entity: "token",
            existing: format!("{existing}: revoke it first, or pick another name"),
        });
    }
    let token = format!("{PREFIX}{}", random_text(32));
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    conn.execute(
        "INSERT INTO server_tokens (name, member_id, scopes, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, member.0, scopes_text(&scopes), sha256(&token), instant(now)],
    )?;
    let id = conn.last_insert_rowid();
    Ok(CreatedToken { token, listed: get(conn, id)?.ok_or_else(|| KeelError::not_found("token", id))? })
}

const LISTED: &str =
    "SELECT t.id, t.name, t.scopes, t.member_id, m.name, t.created_at, t.last_used_at, t.revoked_at
                        FROM server_tokens t JOIN team_members m ON m.id = t.member_id";

fn listed(r: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        name: r.get(1)?,
        scopes: scopes_of(&r.get::<_, String>(2)?),
        member_id: r.get(3)?,
        member_name: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

fn get(conn: &Connection, id: i64) -> Result<Option<Token>> {
    Ok(conn.query_row(&format!("{LISTED} WHERE t.id = ?1"), [id], listed).optional()?)
}

/// Every token, in use first, newest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Token>> {
    let mut stmt = conn.prepare(&format!("{LISTED} ORDER BY t.revoked_at IS NOT NULL, t.id DESC"))?;
    let rows = stmt.query_map([], listed)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes a token: its next request is refused. Revoking it again changes nothing.
pub(crate) fn revoke(conn: &Connection, id: i64, by: TeamMemberId, now: DateTime<Utc>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE server_tokens SET revoked_at = coalesce(revoked_at, ?2), revoked_by = coalesce(revoked_by, ?3)
          WHERE id = ?1",
        params![id, instant(now), by.0],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("token", id));
    }
    Ok(())
}

/// Whether `text` has a token's form (an unknown one is a guess).
pub(crate) fn looks_like_one(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// The token's holder, if it is in use and the member it acts as is still on the team; its
/// use is noted (to the minute, so reads do not write on every request).
pub(crate) fn bearer(conn: &Connection, token: &str, now: DateTime<Utc>) -> Result<Option<Bearer>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let found = conn
        .query_row(
            "SELECT t.id, t.member_id, m.name, m.role, t.scopes, t.last_used_at
               FROM server_tokens t JOIN team_members m ON m.id = t.member_id
              WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND m.deactivated_at IS NULL",
            [sha256(token)],
            |r| {
                Ok((
                    Bearer {
                        id: r.get(0)?,
                        member: TeamMemberId(r.get(1)?),
                        member_name: r.get(2)?,
                        role: r.get(3)?,
                        scopes: scopes_of(&r.get::<_, String>(4)?),
                    },
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((bearer, last_used)) = found else { return Ok(None) };
    let minute = instant(now)[..16].to_string();
    if last_used.as_deref().and_then(|at| at.get(..16)) != Some(minute.as_str()) {
        conn.execute(
            "UPDATE server_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![bearer.id, instant(now)],
        )?;
    }
    Ok(Some(bearer))
}

/// The change number a request's idempotency key stands for: the one it was given the
/// first time, or the next of this token's (so a retry is answered, never made twice).
pub(crate) fn number_for(conn: &mut Connection, token: i64, key: Option<&str>) -> Result<i64> {
    if key.is_some_and(|key| key.is_empty() || key.len() > 200) {
        return Err(KeelError::invalid("Idempotency-Key", "give 1 to 200 characters"));
    }
    // One request at a time takes a number: two sent at once with one key get the same.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(key) = key {
        let given = tx
            .query_row(
                "SELECT seq FROM server_token_requests WHERE token_id = ?1 AND idempotency_key = ?2",
                params![token, format!("k:{key}")],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(seq) = given {
            return Ok(seq);
        }
    }
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM server_token_requests WHERE token_id = ?1",
        [token],
        |r| r.get(0),
    )?;
    // Every number is noted, keyed or not, so the next one is never one given before.
    let key = key.map_or_else(|| format!("n:{seq}"), |key| format!("k:{key}"));
    tx.execute(
        "INSERT INTO server_token_requests (token_id, idempotency_key, seq) VALUES (?1, ?2, ?3)",
        params![token, key, seq],
    )?;
    tx.commit()?;
    Ok(seq)
}
