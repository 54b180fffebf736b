//! Partners and their effective-dated commission plans.

use crate::domain::{CommissionPlanId, PartnerCategory, PartnerId, PartnerStatus, PartnerTier, TeamMemberId};
use crate::money::BasisPoints;
use crate::store::{day_text, found, get_day, get_instant, get_opt_day, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub domain: String,
    pub category: PartnerCategory,
    pub tier: PartnerTier,
    pub status: PartnerStatus,
    pub certified_on: Option<NaiveDate>,
    pub manager_id: Option<TeamMemberId>,
    pub manager_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct PartnerFields<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub category: PartnerCategory,
    pub tier: PartnerTier,
    pub status: PartnerStatus,
    pub certified_on: Option<NaiveDate>,
    pub manager_id: Option<TeamMemberId>,
}

const SELECT: &str =
    "SELECT p.id, p.name, p.domain, p.category, p.tier, p.status, p.certified_on, p.manager_id,
                             t.name AS manager_name, p.created_at
                      FROM partners p LEFT JOIN team_members t ON t.id = p.manager_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Partner> {
    Ok(Partner {
        id: row.get("id")?,
        name: row.get("name")?,
        domain: row.get("domain")?,
        category: row.get("category")?,
        tier: row.get("tier")?,
        status: row.get("status")?,
        certified_on: get_opt_day(row, "certified_on")?,
        manager_id: row.get("manager_id")?,
        manager_name: row.get("manager_name")?,
        created_at: get_instant(row, "created_at")?,
    })
}

pub fn insert(conn: &Connection, fields: &PartnerFields<'_>, at: DateTime<Utc>) -> Result<PartnerId> {
    if let Some(existing) = find_by_name(conn, fields.name)? {
        return Err(KeelError::Duplicate {
            field: "name",
            value: fields.name.to_string(),
            entity: "partner",
            existing: existing.id.to_string(),
        });
    }
    let taken: Option<(i64, String)> = conn
        .query_row("SELECT id, name FROM partners WHERE domain = ?1", [fields.domain], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((id, name)) = taken {
        return Err(KeelError::Duplicate {
            field: "domain",
            value: fields.domain.to_string(),
            entity: "partner",
            existing: format!("{id} ({name})"),
        });
    }
    conn.execute(
        "INSERT INTO partners (name, domain, category, tier, status, certified_on, manager_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            fields.name,
            fields.domain,
            fields.category,
            fields.tier,
            fields.status,
            fields.certified_on.map(day_text),
            fields.manager_id,
            instant_text(at)
        ],
    )?;
    Ok(PartnerId(conn.last_insert_rowid()))
}

pub fn get(conn: &Connection, id: PartnerId) -> Result<Partner> {
    found(conn.query_row(&format!("{SELECT} WHERE p.id = ?1"), [id], from_row), "partner", id)
}

pub fn find_by_name(conn: &Connection, name: &str) -> Result<Option<Partner>> {
    Ok(conn
        .query_row(&format!("{SELECT} WHERE p.name = ?1 COLLATE NOCASE"), [name.trim()], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<Partner>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY p.name COLLATE NOCASE"))?;
    let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn set_status(
    conn: &Connection,
    id: PartnerId,
    status: PartnerStatus,
    certified_on: Option<NaiveDate>,
) -> Result<()> {
    conn.execute(
        "UPDATE partners SET status = ?2, certified_on = ?3 WHERE id = ?1",
        params![id, status, certified_on.map(day_text)],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CommissionPlan {
    pub id: CommissionPlanId,
    pub partner_id: PartnerId,
    pub rate: BasisPoints,
    pub effective_from: NaiveDate,
    pub created_at: DateTime<Utc>,
}

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<CommissionPlan> {
    Ok(CommissionPlan {
        id: row.get("id")?,
        partner_id: row.get("partner_id")?,
        rate: BasisPoints(row.get("rate_bp")?),
        effective_from: get_day(row, "effective_from")?,
        created_at: get_instant(row, "created_at")?,
    })
}

pub fn insert_plan(
    conn: &Connection,
    partner: PartnerId,
    rate: BasisPoints,
    effective_from: NaiveDate,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<CommissionPlanId> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM commission_plans WHERE partner_id = ?1 AND effective_from = ?2)",
        params![partner, day_text(effective_from)],
        |r| r.get(0),
    )?;
    if exists {
        return Err(KeelError::invalid(
            "from",
            format!("partner {partner} already has a plan effective from {effective_from}; plans are never edited, pick another date"),
        ));
    }
    conn.execute(
        "INSERT INTO commission_plans (partner_id, rate_bp, effective_from, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![partner, rate.0, day_text(effective_from), instant_text(at), by],
    )?;
    Ok(CommissionPlanId(conn.last_insert_rowid()))
}

/// Every plan of a partner, oldest first.
pub fn plans(conn: &Connection, partner: PartnerId) -> Result<Vec<CommissionPlan>> {
    let mut stmt = conn.prepare(
        "SELECT id, partner_id, rate_bp, effective_from, created_at FROM commission_plans
         WHERE partner_id = ?1 ORDER BY effective_from",
    )?;
    let rows = stmt.query_map([partner], plan_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The plan in force on `on`: the latest one effective on or before that date.
pub fn plan_in_force(conn: &Connection, partner: PartnerId, on: NaiveDate) -> Result<Option<CommissionPlan>> {
    Ok(conn
        .query_row(
            "SELECT id, partner_id, rate_bp, effective_from, created_at FROM commission_plans
             WHERE partner_id = ?1 AND effective_from <= ?2 ORDER BY effective_from DESC LIMIT 1",
            params![partner, day_text(on)],
            plan_from_row,
        )
        .optional()?)
}
