use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

const REPORTING_CURRENCY: &str = "reporting_currency";

/// The currency every report converts into; USD until someone picks another.
pub fn reporting_currency(conn: &Connection) -> Result<String> {
    Ok(get(conn, REPORTING_CURRENCY)?.unwrap_or_else(|| "USD".to_string()))
}

pub fn set_reporting_currency(conn: &Connection, code: &str) -> Result<()> {
    set(conn, REPORTING_CURRENCY, code)
}
