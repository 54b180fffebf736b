//! Who may reach the team server: invitation codes, each machine's credential (stored as
//! an argon2id hash) and sessions (stored as a SHA-256 of the token). These tables live
//! in the server's workspace file under `server_`, and never travel in a snapshot or the
//! change feed.

use crate::secrets::{hash_secret, instant, random_text, sha256, verify_secret};
use chrono::{DateTime, Duration, Utc};
use keel::domain::TeamMemberId;
use keel::{KeelError, Result};
use rusqlite::{params, Connection, OptionalExtension};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_invites (
    member_id  INTEGER PRIMARY KEY REFERENCES team_members(id),
    code_hash  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS server_clients (
    client_id       TEXT PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES team_members(id),
    credential_hash TEXT NOT NULL,
    joined_at       TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS server_meta (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS server_sessions (
    token_hash TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES server_clients(client_id),
    member_id  INTEGER NOT NULL REFERENCES team_members(id),
    expires_at TEXT NOT NULL
) STRICT;
";

/// The server file's epoch: a random id made the first time the file is served or
/// initialized, and made anew by `keel-server restore`. Copies send the epoch they follow;
/// another one means the file they followed is gone (restored from a backup).
pub fn epoch(conn: &Connection) -> Result<String> {
    conn.execute("INSERT OR IGNORE INTO server_meta (id, epoch) VALUES (1, ?1)", [random_text(16)])?;
    Ok(conn.query_row("SELECT epoch FROM server_meta WHERE id = 1", [], |r| r.get(0))?)
}

/// A new epoch, after the file was put back from a backup: every copy must join again.
pub fn renew_epoch(conn: &Connection) -> Result<String> {
    let epoch = random_text(16);
    conn.execute("INSERT OR REPLACE INTO server_meta (id, epoch) VALUES (1, ?1)", [&epoch])?;
    Ok(epoch)
}

/// How long an invitation code may wait to be used.
pub const INVITE_DAYS: i64 = 7;

/// Opens the server file for the server's own tables.
/// The partner portal's people's own tables (their codes, passwords and sessions; see
/// `portal_accounts`), opened with the rest of the server's.
pub const PORTAL_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_portal_invites (
    partner_user_id INTEGER PRIMARY KEY REFERENCES partner_users(id),
    code_hash       TEXT NOT NULL,
    expires_at      TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS server_portal_credentials (
    partner_user_id INTEGER PRIMARY KEY REFERENCES partner_users(id),
    password_hash   TEXT NOT NULL,
    set_at          TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS server_portal_sessions (
    token_hash      TEXT PRIMARY KEY,
    partner_user_id INTEGER NOT NULL REFERENCES partner_users(id),
    expires_at      TEXT NOT NULL
) STRICT;
";

pub fn open(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(PORTAL_SCHEMA)?;
    conn.execute_batch(crate::tokens::SCHEMA)?;
    // Revocation came after the table: a server file from before gains its columns.
    let revocable: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('server_clients') WHERE name = 'revoked_at'",
        [],
        |r| r.get(0),
    )?;
    if !revocable {
        conn.execute_batch(
            "ALTER TABLE server_clients ADD COLUMN revoked_at TEXT;
             ALTER TABLE server_clients ADD COLUMN revoked_by INTEGER REFERENCES team_members(id);",
        )?;
    }
    Ok(conn)
}

pub use keel::remote::protocol::Machine;

/// The machines of one member, or of everyone (`None`), newest first.
pub fn machines(conn: &Connection, member: Option<TeamMemberId>, now: DateTime<Utc>) -> Result<Vec<Machine>> {
    let mut stmt = conn.prepare(
        "SELECT c.client_id, c.member_id, m.name, c.joined_at, c.revoked_at,
                (SELECT count(*) FROM server_sessions s WHERE s.client_id = c.client_id AND s.expires_at > ?2)
           FROM server_clients c JOIN team_members m ON m.id = c.member_id
          WHERE ?1 IS NULL OR c.member_id = ?1
          ORDER BY c.joined_at DESC, c.client_id",
    )?;
    let rows = stmt.query_map(params![member.map(|m| m.0), instant(now)], |r| {
        Ok(Machine {
            machine: r.get(0)?,
            member_id: r.get(1)?,
            member_name: r.get(2)?,
            joined_at: r.get(3)?,
            revoked_at: r.get(4)?,
            open_sessions: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whose machine `machine` is, if it exists.
pub fn machine_owner(conn: &Connection, machine: &str) -> Result<Option<TeamMemberId>> {
    Ok(conn
        .query_row("SELECT member_id FROM server_clients WHERE client_id = ?1", [machine], |r| r.get(0))
        .optional()?
        .map(TeamMemberId))
}

/// Revokes a machine's access: its credential signs in no more and its sessions end now.
pub fn revoke(conn: &mut Connection, machine: &str, by: TeamMemberId, now: DateTime<Utc>) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE server_clients SET revoked_at = coalesce(revoked_at, ?2), revoked_by = coalesce(revoked_by, ?3)
          WHERE client_id = ?1",
        params![machine, instant(now), by.0],
    )?;
    tx.execute("DELETE FROM server_sessions WHERE client_id = ?1", [machine])?;
    tx.commit()?;
    Ok(())
}

/// Ends one session (signing out): the machine signs in again before its next change.
pub fn sign_out(conn: &Connection, token: &str) -> Result<()> {
    conn.execute("DELETE FROM server_sessions WHERE token_hash = ?1", [sha256(token)])?;
    Ok(())
}

/// A new one-time code for a member (replacing any earlier one): `MEMBER-SECRET`.
pub fn invite(conn: &Connection, member: TeamMemberId, now: DateTime<Utc>) -> Result<String> {
    let secret = random_text(12);
    conn.execute(
        "INSERT OR REPLACE INTO server_invites (member_id, code_hash, expires_at) VALUES (?1, ?2, ?3)",
        params![member.0, hash_secret(&secret)?, instant(now + Duration::days(INVITE_DAYS))],
    )?;
    Ok(format!("{}-{secret}", member.0))
}

/// Why a sign-in failed, for the rate limiter: which member or machine it aimed at.
pub struct Refused {
    pub key: String,
}

/// A member signed in from one machine.
#[derive(Debug, Clone)]
pub struct Session {
    pub member: TeamMemberId,
    pub member_name: String,
    pub role: String,
    pub client_id: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

fn active_member(conn: &Connection, member: i64) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row(
            "SELECT name, role FROM team_members WHERE id = ?1 AND deactivated_at IS NULL",
            [member],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn new_session(
    conn: &Connection,
    member: i64,
    client_id: &str,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<Session> {
    let (member_name, role) = active_member(conn, member)?
        .ok_or_else(|| KeelError::Forbidden("this member has left the team".into()))?;
    let token = random_text(32);
    let expires_at = now + Duration::hours(hours);
    conn.execute("DELETE FROM server_sessions WHERE expires_at <= ?1", [instant(now)])?;
    conn.execute(
        "INSERT INTO server_sessions (token_hash, client_id, member_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![sha256(&token), client_id, member, instant(expires_at)],
    )?;
    Ok(Session {
        member: TeamMemberId(member),
        member_name,
        role,
        client_id: client_id.to_string(),
        token,
        expires_at,
    })
}

/// Redeems an invitation code: the machine gets its own credential and a session.
pub fn join(
    conn: &mut Connection,
    code: &str,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<std::result::Result<(Session, String), Refused>> {
    let Some((member, secret)) = code.split_once('-').and_then(|(m, s)| Some((m.parse::<i64>().ok()?, s)))
    else {
        return Ok(Err(Refused { key: "code:malformed".into() }));
    };
    let refused = Refused { key: format!("member:{member}") };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored: Option<(String, String)> = tx
        .query_row("SELECT code_hash, expires_at FROM server_invites WHERE member_id = ?1", [member], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((hash, expires_at)) = stored else { return Ok(Err(refused)) };
    if expires_at <= instant(now) || !verify_secret(secret, &hash) || active_member(&tx, member)?.is_none() {
        return Ok(Err(refused));
    }
    tx.execute("DELETE FROM server_invites WHERE member_id = ?1", [member])?;
    let client_id = random_text(16);
    let credential_secret = random_text(32);
    tx.execute(
        "INSERT INTO server_clients (client_id, member_id, credential_hash, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![client_id, member, hash_secret(&credential_secret)?, instant(now)],
    )?;
    let session = new_session(&tx, member, &client_id, now, hours)?;
    tx.commit()?;
    Ok(Ok((session, format!("{client_id}.{credential_secret}"))))
}

/// Whether a credential names a machine this server knows and has not revoked (by its
/// public part, before any password hashing).
pub fn is_known_machine(conn: &Connection, credential: &str) -> Result<bool> {
    let Some((client_id, _)) = credential.split_once('.') else { return Ok(false) };
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM server_clients WHERE client_id = ?1 AND revoked_at IS NULL",
        [client_id],
        |r| r.get(0),
    )?)
}

/// Signs a machine in with the credential it received on joining.
pub fn sign_in(
    conn: &Connection,
    credential: &str,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<std::result::Result<Session, Refused>> {
    let Some((client_id, secret)) = credential.split_once('.') else {
        return Ok(Err(Refused { key: "credential:malformed".into() }));
    };
    let refused = Refused { key: format!("client:{client_id}") };
    let stored: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT member_id, credential_hash, revoked_at FROM server_clients WHERE client_id = ?1",
            [client_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((member, hash, revoked_at)) = stored else { return Ok(Err(refused)) };
    if !verify_secret(secret, &hash) {
        return Ok(Err(refused));
    }
    if let Some(at) = revoked_at {
        return Err(KeelError::Forbidden(format!(
            "this machine's access to the team was revoked on {}: ask a sales leader for a new invitation code \
             and join again",
            at.get(..10).unwrap_or(&at)
        )));
    }
    if active_member(conn, member)?.is_none() {
        return Err(KeelError::Forbidden("this member has left the team".into()));
    }
    Ok(Ok(new_session(conn, member, client_id, now, hours)?))
}

/// The session a bearer token stands for, if it is current and its member still on
/// the team (so a deactivation ends every session at once).
pub fn session(conn: &Connection, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
    Ok(conn
        .query_row(
            "SELECT s.member_id, m.name, m.role, s.client_id, s.expires_at
               FROM server_sessions s JOIN team_members m ON m.id = s.member_id
               JOIN server_clients c ON c.client_id = s.client_id
              WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND m.deactivated_at IS NULL
                AND c.revoked_at IS NULL",
            params![sha256(token), instant(now)],
            |r| {
                let expires: String = r.get(4)?;
                Ok(Session {
                    member: TeamMemberId(r.get(0)?),
                    member_name: r.get(1)?,
                    role: r.get(2)?,
                    client_id: r.get(3)?,
                    token: token.to_string(),
                    expires_at: DateTime::parse_from_rfc3339(&expires)
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(now),
                })
            },
        )
        .optional()?)
}
