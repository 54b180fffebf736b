//! Who may reach the partner portal: a partner's people, invited by the partner program
//! (`keel partner invite`). Their one-time codes, password hashes (argon2id) and
//! sessions (a SHA-256 of the token) live in the server's own `server_portal_` tables,
//! never in a copy. A person taken off the portal loses every session at once.

use crate::accounts::Refused;
use crate::secrets::{hash_secret, instant, random_text, sha256, verify_or_spend_the_same, verify_secret};
use chrono::{DateTime, Duration, Utc};
use keel::domain::PartnerUserId;
use keel::{KeelError, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// The shortest password the portal accepts.
pub const MIN_PASSWORD: usize = 12;

/// A new one-time code for a partner's person (replacing any earlier one): `P<ID>-SECRET`.
pub fn invite(conn: &Connection, user: PartnerUserId, now: DateTime<Utc>) -> Result<String> {
    let secret = random_text(12);
    conn.execute(
        "INSERT OR REPLACE INTO server_portal_invites (partner_user_id, code_hash, expires_at) VALUES (?1, ?2, ?3)",
        params![user.0, hash_secret(&secret)?, instant(now + Duration::days(crate::accounts::INVITE_DAYS))],
    )?;
    Ok(format!("P{}-{secret}", user.0))
}

/// A partner's person signed in to the portal.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub user: PartnerUserId,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The person behind an e-mail address, if they are still on the portal.
fn active_user(conn: &Connection, email: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM partner_users WHERE email = ?1 AND removed_at IS NULL",
            [email.trim()],
            |r| r.get(0),
        )
        .optional()?)
}

fn new_session(conn: &Connection, user: i64, now: DateTime<Utc>, hours: i64) -> Result<PortalSession> {
    let token = random_text(32);
    let expires_at = now + Duration::hours(hours);
    conn.execute("DELETE FROM server_portal_sessions WHERE expires_at <= ?1", [instant(now)])?;
    conn.execute(
        "INSERT INTO server_portal_sessions (token_hash, partner_user_id, expires_at) VALUES (?1, ?2, ?3)",
        params![sha256(&token), user, instant(expires_at)],
    )?;
    Ok(PortalSession { user: PartnerUserId(user), token, expires_at })
}

/// First sign-in: the invitation code, the invited address and a new password.
pub fn accept(
    conn: &mut Connection,
    code: &str,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<std::result::Result<PortalSession, Refused>> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(KeelError::invalid("password", format!("must be at least {MIN_PASSWORD} characters")));
    }
    let parsed = code.trim().strip_prefix('P').and_then(|c| c.split_once('-'));
    let Some((user, secret)) = parsed.and_then(|(u, s)| Some((u.parse::<i64>().ok()?, s))) else {
        return Ok(Err(Refused { key: "portal-code:malformed".into() }));
    };
    let refused = Refused { key: format!("portal-user:{user}") };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored: Option<(String, String)> = tx
        .query_row(
            "SELECT code_hash, expires_at FROM server_portal_invites WHERE partner_user_id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((hash, expires_at)) = stored else { return Ok(Err(refused)) };
    if expires_at <= instant(now) || !verify_secret(secret, &hash) || active_user(&tx, email)? != Some(user) {
        return Ok(Err(refused));
    }
    tx.execute("DELETE FROM server_portal_invites WHERE partner_user_id = ?1", [user])?;
    tx.execute(
        "INSERT OR REPLACE INTO server_portal_credentials (partner_user_id, password_hash, set_at) VALUES (?1, ?2, ?3)",
        params![user, hash_secret(password)?, instant(now)],
    )?;
    let session = new_session(&tx, user, now, hours)?;
    tx.commit()?;
    Ok(Ok(session))
}

/// Signs a partner's person in with their address and password.
pub fn sign_in(
    conn: &Connection,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<std::result::Result<PortalSession, Refused>> {
    let refused = Refused { key: format!("portal-email:{}", email.trim().to_lowercase()) };
    let user = active_user(conn, email)?;
    let stored: Option<String> = match user {
        Some(user) => conn
            .query_row(
                "SELECT password_hash FROM server_portal_credentials WHERE partner_user_id = ?1",
                [user],
                |r| r.get(0),
            )
            .optional()?,
        None => None,
    };
    // An unknown address spends the same hashing work as a wrong password.
    let verified = verify_or_spend_the_same(password, stored.as_deref());
    match user.filter(|_| verified) {
        Some(user) => Ok(Ok(new_session(conn, user, now, hours)?)),
        None => Ok(Err(refused)),
    }
}

/// The person a session token stands for, if it is current and they are still on the
/// portal (so a removal ends every session at once).
pub fn session(conn: &Connection, token: &str, now: DateTime<Utc>) -> Result<Option<PartnerUserId>> {
    Ok(conn
        .query_row(
            "SELECT s.partner_user_id FROM server_portal_sessions s JOIN partner_users u ON u.id = s.partner_user_id
              WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.removed_at IS NULL",
            params![sha256(token), instant(now)],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(PartnerUserId))
}

pub fn sign_out(conn: &Connection, token: &str) -> Result<()> {
    conn.execute("DELETE FROM server_portal_sessions WHERE token_hash = ?1", [sha256(token)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::VERIFICATIONS;
    use std::sync::atomic::Ordering;

    fn portal_db() -> Connection {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(
            "CREATE TABLE partner_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, removed_at TEXT);
             INSERT INTO partner_users (id, email) VALUES (1, 'known@reseller.example');",
        )
        .expect("people");
        conn.execute_batch(crate::accounts::PORTAL_SCHEMA).expect("portal tables");
        conn.execute(
            "INSERT INTO server_portal_credentials (partner_user_id, password_hash, set_at) VALUES (1, ?1, 'x')",
            [hash_secret("correct horse battery").expect("hash")],
        )
        .expect("password");
        conn
    }

    #[test]
    fn an_unknown_address_costs_one_password_check_like_a_wrong_password() {
        let conn = portal_db();
        let now = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").expect("now").with_timezone(&Utc);
        let checks = |email: &str, password: &str| {
            let before = VERIFICATIONS.load(Ordering::SeqCst);
            let signed_in = sign_in(&conn, email, password, now, 8).expect("sign in").is_ok();
            (signed_in, VERIFICATIONS.load(Ordering::SeqCst) - before)
        };
        assert_eq!(checks("known@reseller.example", "wrong password!!"), (false, 1));
        assert_eq!(
            checks("nobody@reseller.example", "wrong password!!"),
            (false, 1),
            "the same work, refused"
        );
        assert_eq!(checks("known@reseller.example", "correct horse battery"), (true, 1));
    }
}
