use crate::domain::{AccountId, Segment, TeamMemberId};
use crate::store::{found, get_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub domain: Option<String>,
    pub segment: Segment,
    pub vertical: Option<String>,
    pub region: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The editable columns of an account, already validated by the service.
pub struct AccountFields<'a> {
    pub name: &'a str,
    pub domain: Option<&'a str>,
    pub segment: Segment,
    pub vertical: Option<&'a str>,
    pub region: Option<&'a str>,
}

const COLUMNS: &str = "id, name, domain, segment, vertical, region, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get("id")?,
        name: row.get("name")?,
        domain: row.get("domain")?,
        segment: row.get("segment")?,
        vertical: row.get("vertical")?,
        region: row.get("region")?,
        created_at: get_instant(row, "created_at")?,
    })
}

fn refuse_taken_domain(conn: &Connection, domain: Option<&str>, except: Option<AccountId>) -> Result<()> {
    if let Some(domain) = domain {
        if let Some(existing) = find_by_domain(conn, domain)?.filter(|a| Some(a.id) != except) {
            return Err(KeelError::Duplicate {
                field: "domain",
                value: domain.to_string(),
                entity: "account",
                existing: format!("{} ({})", existing.id, existing.name),
            });
        }
    }
    Ok(())
}

pub fn insert(
    conn: &Connection,
    fields: &AccountFields<'_>,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<AccountId> {
    refuse_taken_domain(conn, fields.domain, None)?;
    conn.execute(
        "INSERT INTO accounts (name, domain, segment, vertical, region, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            fields.name,
            fields.domain,
            fields.segment,
            fields.vertical,
            fields.region,
            instant_text(at),
            by
        ],
    )?;
    Ok(AccountId(conn.last_insert_rowid()))
}

pub fn update(conn: &Connection, id: AccountId, fields: &AccountFields<'_>) -> Result<()> {
    refuse_taken_domain(conn, fields.domain, Some(id))?;
    let changed = conn.execute(
        "UPDATE accounts SET name = ?2, domain = ?3, segment = ?4, vertical = ?5, region = ?6 WHERE id = ?1",
        params![id, fields.name, fields.domain, fields.segment, fields.vertical, fields.region],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("account", id));
    }
    Ok(())
}

pub fn get(conn: &Connection, id: AccountId) -> Result<Account> {
    found(
        conn.query_row(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"), [id], from_row),
        "account",
        id,
    )
}

pub fn find_by_domain(conn: &Connection, domain: &str) -> Result<Option<Account>> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM accounts WHERE domain = ?1"), [domain], from_row)
        .optional()?)
}

pub struct AccountFilter<'a> {
    pub segment: Option<Segment>,
    /// Matches a name or domain containing this text, case-insensitively.
    pub search: Option<&'a str>,
    pub limit: u32,
    pub offset: u32,
}

pub fn list(conn: &Connection, filter: &AccountFilter<'_>) -> Result<Vec<Account>> {
    let pattern = filter.search.map(crate::store::like_pattern);
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM accounts
         WHERE (?1 IS NULL OR segment = ?1)
           AND (?2 IS NULL OR name LIKE ?2 ESCAPE '\\' OR domain LIKE ?2 ESCAPE '\\')
         ORDER BY name COLLATE NOCASE, id LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(params![filter.segment, pattern, filter.limit, filter.offset], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many accounts the filter's segment and search match (its page is ignored).
pub fn count_matching(conn: &Connection, filter: &AccountFilter<'_>) -> Result<i64> {
    let pattern = filter.search.map(crate::store::like_pattern);
    Ok(conn.query_row(
        "SELECT count(*) FROM accounts
         WHERE (?1 IS NULL OR segment = ?1)
           AND (?2 IS NULL OR name LIKE ?2 ESCAPE '\\' OR domain LIKE ?2 ESCAPE '\\')",
        params![filter.segment, pattern],
        |r| r.get(0),
    )?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)
}

/// Every account's id, name and domain: what import matching and duplicate
/// detection hold in memory (a few MB even for 100,000 accounts).
pub fn name_index(conn: &Connection) -> Result<Vec<(AccountId, String, Option<String>)>> {
    let mut stmt = conn.prepare("SELECT id, name, domain FROM accounts ORDER BY id")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many records an account merge moved, per kind.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct MovedRecords {
    pub contacts: u64,
    pub deals: u64,
    pub activities: u64,
    pub onboarding_plans: u64,
    pub qbrs: u64,
    /// Registrations follow their deals; counted here, not rewritten.
    pub registrations: u64,
}

/// Moves every record of account `from` to account `to`.
pub fn move_dependents(conn: &Connection, from: AccountId, to: AccountId) -> Result<MovedRecords> {
    let registrations: i64 = conn.query_row(
        "SELECT count(*) FROM registrations WHERE deal_id IN (SELECT id FROM deals WHERE account_id = ?1)",
        [from],
        |r| r.get(0),
    )?;
    let moved = |table: &str| -> Result<u64> {
        Ok(conn.execute(
            &format!("UPDATE {table} SET account_id = ?2 WHERE account_id = ?1"),
            params![from, to],
        )? as u64)
    };
    Ok(MovedRecords {
        contacts: moved("contacts")?,
        deals: moved("deals")?,
        activities: moved("activities")?,
        onboarding_plans: moved("onboarding_plans")?,
        qbrs: moved("qbrs")?,
        registrations: registrations as u64,
    })
}

pub fn delete(conn: &Connection, id: AccountId) -> Result<()> {
    conn.execute("DELETE FROM accounts WHERE id = ?1", [id])?;
    Ok(())
}

pub struct NewMerge<'a> {
    pub kept: AccountId,
    pub merged: &'a Account,
    pub moved: &'a MovedRecords,
    pub at: DateTime<Utc>,
    pub by: TeamMemberId,
}

pub fn record_merge(conn: &Connection, merge: &NewMerge<'_>) -> Result<crate::domain::AccountMergeId> {
    let moved = serde_json::to_string(merge.moved).unwrap_or_else(|_| "{}".into());
    conn.execute(
        "INSERT INTO account_merges (kept_id, merged_id, merged_name, merged_domain, moved, merged_at, merged_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            merge.kept,
            merge.merged.id,
            merge.merged.name,
            merge.merged.domain,
            moved,
            instant_text(merge.at),
            merge.by
        ],
    )?;
    Ok(crate::domain::AccountMergeId(conn.last_insert_rowid()))
}

/// Counts of what hangs off an account (for the duplicates list).
pub fn usage(conn: &Connection, id: AccountId) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM deals WHERE account_id = ?1), (SELECT count(*) FROM contacts WHERE account_id = ?1)",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
