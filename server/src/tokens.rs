//! Integrations' tokens for the HTTP API (`/api/v1`): each acts as the sales leader who
//! created it, within its scopes, until revoked or until that leader leaves the team or
//! stops leading. Kept as a SHA-256 of the token (256 random bits: nothing to stretch),
//! in the server's own tables, which never travel to a copy.

use crate::secrets::{instant, random_text, sha256};
use chrono::{DateTime, Utc};
use keel::domain::{required_text, TeamMemberId, TextKind};
use keel::remote::protocol::{CreatedToken, Scope, Token};
use keel::services::policy::{self, Capability};
use keel::{KeelError, Result};
use rusqlite::{params, Connection, OptionalExtension};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    -- The name as compared: lower-cased by Rust, so every script's cases count as one.
    name_key     TEXT NOT NULL,
    member_id    INTEGER NOT NULL REFERENCES team_members(id),
    scopes       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   INTEGER REFERENCES team_members(id),
    -- The last change number given to a request without an idempotency key.
    last_seq     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS server_tokens_name_in_use
    ON server_tokens (name_key) WHERE revoked_at IS NULL;
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
    let name = required_text("name", name, TextKind::Line)?;
    if name.chars().count() > 80 {
        return Err(KeelError::invalid("name", "a token's name is at most 80 characters"));
    }
    if scopes.is_empty() {
        return Err(KeelError::invalid("scopes", "give read, write or both"));
    }
    let name_key = name.to_lowercase();
    let duplicate = |existing: i64| KeelError::Duplicate {
        field: "name",
        value: name.clone(),
        entity: "token",
        existing: format!("{existing}: revoke it first, or pick another name"),
    };
    let in_use = |conn: &Connection| -> Result<Option<i64>> {
        Ok(conn
            .query_row(
                "SELECT id FROM server_tokens WHERE name_key = ?1 AND revoked_at IS NULL",
                [&name_key],
                |r| r.get(0),
            )
            .optional()?)
    };
    if let Some(existing) = in_use(conn)? {
        return Err(duplicate(existing));
    }
    let token = format!("{PREFIX}{}", random_text(32));
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let inserted = conn.execute(
        "INSERT INTO server_tokens (name, name_key, member_id, scopes, token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, name_key, member.0, scopes_text(&scopes), sha256(&token), instant(now)],
    );
    // Two made at once under one name: the second is the duplicate it is.
    if let Err(rusqlite::Error::SqliteFailure(e, _)) = &inserted {
        if e.code == rusqlite::ErrorCode::ConstraintViolation {
            return Err(duplicate(in_use(conn)?.unwrap_or_default()));
        }
    }
    inserted?;
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

/// The token's holder, if it is in use and the member it acts as is still on the team, with
/// when it was last used.
pub(crate) fn bearer(conn: &Connection, token: &str) -> Result<Option<(Bearer, Option<String>)>> {
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
    Ok(found)
}

/// Notes that a token was used (to the minute, so reads do not write on every request).
pub(crate) fn used(conn: &Connection, token: i64, last_used: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let minute = instant(now)[..16].to_string();
    if last_used.and_then(|at| at.get(..16)) != Some(minute.as_str()) {
        conn.execute(
            "UPDATE server_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![token, instant(now)],
        )?;
    }
    Ok(())
}

/// Whether `member` still leads sales, so their tokens may act (the core's rule for who
/// manages the team).
pub(crate) fn still_leads(conn: &Connection, member: TeamMemberId) -> Result<bool> {
    match policy::authenticate(conn, member) {
        Ok(who) => Ok(policy::allows(who.role(), Capability::ManageTeam)),
        Err(KeelError::Forbidden(_)) | Err(KeelError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Revokes, for good, the tokens whose leaders left the team or stopped leading: leading
/// again later does not bring them back.
pub(crate) fn retire_unled(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    let mut stmt = conn.prepare("SELECT id, member_id FROM server_tokens WHERE revoked_at IS NULL")?;
    let active: Vec<(i64, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    for (id, member) in active {
        if !still_leads(conn, TeamMemberId(member))? {
            revoke(conn, id, TeamMemberId(member), now)?;
        }
    }
    Ok(())
}

/// The change number a request's idempotency key stands for: the one it was given the
/// first time, or the next of this token's (so a retry is answered, never made twice).
pub(crate) fn number_for(conn: &mut Connection, token: i64, key: Option<&str>) -> Result<i64> {
    if key.is_some_and(|key| {
        key.is_empty() || key.len() > 200 || !key.bytes().all(|b| (0x20..0x7f).contains(&b))
    }) {
        return Err(KeelError::invalid("Idempotency-Key", "give 1 to 200 printable ASCII characters"));
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
    // One counter for keyed and unkeyed requests, so no number is given twice; only a key
    // is kept (what a retry with it is answered by).
    let seq: i64 = tx.query_row(
        "UPDATE server_tokens SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq",
        [token],
        |r| r.get(0),
    )?;
    if let Some(key) = key {
        tx.execute(
            "INSERT INTO server_token_requests (token_id, idempotency_key, seq) VALUES (?1, ?2, ?3)",
            params![token, format!("k:{key}"), seq],
        )?;
    }
    tx.commit()?;
    Ok(seq)
}
