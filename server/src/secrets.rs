//! Secrets the server makes and keeps: random tokens and codes, argon2id hashes of
//! credentials and passwords, SHA-256 of session tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use keel::{KeelError, Result};
use sha2::{Digest, Sha256};

pub(crate) fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The operating system's generator; without it no secret can be made at all.
    getrandom::fill(&mut buf).expect("the operating system's random generator");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn hash_secret(secret: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random generator");
    let salt = SaltString::encode_b64(&salt).map_err(|e| KeelError::Schema(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| KeelError::Schema(format!("hashing: {e}")))?
        .to_string())
}

pub(crate) fn verify_secret(secret: &str, stored: &str) -> bool {
    VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(secret.as_bytes(), &hash).is_ok())
}

/// How many secrets were checked against a hash since the process started (tests read
/// it to show an unknown address costs the same work as a known one).
pub(crate) static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Checks `secret` against `stored`, or, when there is nothing stored (no such person,
/// no password yet), against a hash made once for the purpose, so the answer takes as
/// long either way and its time does not tell which addresses exist. Always false then.
pub(crate) fn verify_or_spend_the_same(secret: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match stored {
        Some(hash) => verify_secret(secret, hash),
        None => {
            let decoy = DECOY.get_or_init(|| hash_secret(&random_text(16)).unwrap_or_default());
            let _ = verify_secret(secret, decoy);
            false
        }
    }
}

pub(crate) fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
