//! Deal registrations and the lookups their conflict rules need.

use crate::domain::{
    CommissionPlanId, DealId, PartnerId, RegistrationId, RegistrationStatus, TeamMemberId, UseCase,
};
use crate::money::{BasisPoints, Money};
use crate::store::{
    day_text, found, get_currency, get_day, get_instant, get_opt_day, get_opt_instant, instant_text,
};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Registration {
    pub id: RegistrationId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub company_name: String,
    pub domain: String,
    pub registrable_domain: String,
    pub country: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: Money,
    pub expected_close_date: NaiveDate,
    pub use_case: Option<UseCase>,
    pub notes: Option<String>,
    pub status: RegistrationStatus,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Option<TeamMemberId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<TeamMemberId>,
    pub decision_reason: Option<String>,
    pub override_reason: Option<String>,
    pub plan_id: Option<CommissionPlanId>,
    /// The revenue-share rate locked at approval.
    pub rate: Option<BasisPoints>,
    pub protected_until: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    pub deal_id: Option<DealId>,
}

pub struct NewRegistration<'a> {
    pub partner_id: PartnerId,
    pub company_name: &'a str,
    pub domain: &'a str,
    pub registrable_domain: &'a str,
    pub country: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub estimated_value: Money,
    pub expected_close_date: NaiveDate,
    pub use_case: Option<UseCase>,
    pub notes: Option<&'a str>,
}

const SELECT: &str =
    "SELECT r.*, p.name AS partner_name FROM registrations r JOIN partners p ON p.id = r.partner_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Registration> {
    Ok(Registration {
        id: row.get("id")?,
        partner_id: row.get("partner_id")?,
        partner_name: row.get("partner_name")?,
        company_name: row.get("company_name")?,
        domain: row.get("domain")?,
        registrable_domain: row.get("registrable_domain")?,
        country: row.get("country")?,
        contact_name: row.get("contact_name")?,
        contact_email: row.get("contact_email")?,
        estimated_value: Money {
            amount_minor: row.get("estimated_value_minor")?,
            currency: get_currency(row, "currency")?,
        },
        expected_close_date: get_day(row, "expected_close_date")?,
        use_case: row.get("use_case")?,
        notes: row.get("notes")?,
        status: row.get("status")?,
        submitted_at: get_instant(row, "submitted_at")?,
        submitted_by: row.get("submitted_by")?,
        reviewed_at: get_opt_instant(row, "reviewed_at")?,
        reviewed_by: row.get("reviewed_by")?,
        decision_reason: row.get("decision_reason")?,
        override_reason: row.get("override_reason")?,
        plan_id: row.get("plan_id")?,
        rate: row.get::<_, Option<u32>>("rate_bp")?.map(BasisPoints),
        protected_until: get_opt_day(row, "protected_until")?,
        extension_reason: row.get("extension_reason")?,
        deal_id: row.get("deal_id")?,
    })
}

pub fn insert(
    conn: &Connection,
    r: &NewRegistration<'_>,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<RegistrationId> {
    conn.execute(
        "INSERT INTO registrations (partner_id, company_name, domain, registrable_domain, country, contact_name,
                                    contact_email, estimated_value_minor, currency, expected_close_date, use_case,
                                    notes, status, submitted_at, submitted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'submitted', ?13, ?14)",
        rusqlite::params_from_iter(with_details(&r.partner_id, r, &DetailTexts::of(r, at), Some(&by))),
    )?;
    Ok(RegistrationId(conn.last_insert_rowid()))
}

/// Text forms of a registration's dates and currency, owned so they can be bound.
struct DetailTexts {
    currency: &'static str,
    close_date: String,
    submitted_at: String,
}

impl DetailTexts {
    fn of(r: &NewRegistration<'_>, at: DateTime<Utc>) -> DetailTexts {
        DetailTexts {
            currency: r.estimated_value.currency.code(),
            close_date: day_text(r.expected_close_date),
            submitted_at: instant_text(at),
        }
    }
}

/// `?1` then the submitted details as `?2`..`?13`, the order `insert` and `resubmit`
/// share; `insert` also binds the submitter as `?14`.
fn with_details<'a>(
    first: &'a dyn rusqlite::ToSql,
    r: &'a NewRegistration<'_>,
    texts: &'a DetailTexts,
    submitted_by: Option<&'a Option<TeamMemberId>>,
) -> Vec<&'a dyn rusqlite::ToSql> {
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![
        first,
        &r.company_name,
        &r.domain,
        &r.registrable_domain,
        &r.country,
        &r.contact_name,
        &r.contact_email,
        &r.estimated_value.amount_minor,
        &texts.currency,
        &texts.close_date,
        &r.use_case,
        &r.notes,
        &texts.submitted_at,
    ];
    if let Some(by) = submitted_by {
        values.push(by);
    }
    values
}

pub fn get(conn: &Connection, id: RegistrationId) -> Result<Registration> {
    found(conn.query_row(&format!("{SELECT} WHERE r.id = ?1"), [id], from_row), "registration", id)
}

pub fn list(
    conn: &Connection,
    status: Option<RegistrationStatus>,
    partner: Option<PartnerId>,
) -> Result<Vec<Registration>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR r.status = ?1) AND (?2 IS NULL OR r.partner_id = ?2) ORDER BY r.submitted_at, r.id"
    ))?;
    let rows = stmt.query_map(params![status, partner], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Registrations of other partners on the same registrable domain that are still
/// live (submitted, returned, approved or converted), oldest first.
pub fn live_on_domain(
    conn: &Connection,
    registrable_domain: &str,
    except: Option<RegistrationId>,
) -> Result<Vec<Registration>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE r.registrable_domain = ?1 AND r.status IN ('submitted','returned','approved','converted')
                    AND (?2 IS NULL OR r.id <> ?2)
         ORDER BY r.submitted_at, r.id"
    ))?;
    let rows =
        stmt.query_map(params![registrable_domain, except], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The decision fields a review writes. Status moves are checked by the service.
pub struct Review<'a> {
    pub status: RegistrationStatus,
    pub at: DateTime<Utc>,
    pub by: TeamMemberId,
    pub decision_reason: Option<&'a str>,
    pub override_reason: Option<&'a str>,
    pub plan_id: Option<CommissionPlanId>,
    /// The rate locked by an approval.
    pub rate: Option<BasisPoints>,
    pub protected_until: Option<NaiveDate>,
}

pub fn review(conn: &Connection, id: RegistrationId, review: &Review<'_>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE registrations SET status = ?2, reviewed_at = ?3, reviewed_by = ?4, decision_reason = ?5,
                override_reason = coalesce(?6, override_reason), plan_id = coalesce(?7, plan_id),
                rate_bp = coalesce(?8, rate_bp), protected_until = coalesce(?9, protected_until)
         WHERE id = ?1",
        params![
            id,
            review.status,
            instant_text(review.at),
            review.by,
            review.decision_reason,
            review.override_reason,
            review.plan_id,
            review.rate.map(|r| r.0),
            review.protected_until.map(day_text),
        ],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("registration", id));
    }
    Ok(())
}

/// A returned registration goes back to submitted with its corrected fields.
pub fn resubmit(
    conn: &Connection,
    id: RegistrationId,
    r: &NewRegistration<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "UPDATE registrations SET company_name = ?2, domain = ?3, registrable_domain = ?4, country = ?5,
                contact_name = ?6, contact_email = ?7, estimated_value_minor = ?8, currency = ?9,
                expected_close_date = ?10, use_case = ?11, notes = ?12, status = 'submitted', submitted_at = ?13
         WHERE id = ?1",
        rusqlite::params_from_iter(with_details(&id, r, &DetailTexts::of(r, at), None)),
    )?;
    Ok(())
}

pub fn extend(conn: &Connection, id: RegistrationId, until: NaiveDate, reason: &str) -> Result<()> {
    conn.execute(
        "UPDATE registrations SET protected_until = ?2, extension_reason = ?3 WHERE id = ?1",
        params![id, day_text(until), reason],
    )?;
    Ok(())
}

pub fn mark_converted(conn: &Connection, id: RegistrationId, deal: DealId) -> Result<()> {
    conn.execute(
        "UPDATE registrations SET status = 'converted', deal_id = ?2 WHERE id = ?1",
        params![id, deal],
    )?;
    Ok(())
}

/// Approved registrations whose protection ended before `today`, to be expired.
pub fn approved_past_protection(conn: &Connection, today: NaiveDate) -> Result<Vec<RegistrationId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM registrations WHERE status = 'approved' AND protected_until < ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([day_text(today)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn set_status(conn: &Connection, id: RegistrationId, status: RegistrationStatus) -> Result<()> {
    conn.execute("UPDATE registrations SET status = ?2 WHERE id = ?1", params![id, status])?;
    Ok(())
}

/// The registration a deal was converted from, if any.
pub fn for_deal(conn: &Connection, deal: DealId) -> Result<Option<Registration>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row(&format!("{SELECT} WHERE r.deal_id = ?1"), [deal], from_row).optional()?)
}

/// Accounts on a registrable domain (the domain itself or any subdomain of it), with
/// whether each has an open deal and whether it is a customer (has a won deal).
pub fn accounts_on_domain(conn: &Connection, registrable_domain: &str) -> Result<Vec<AccountOnDomain>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.name, a.domain,
                EXISTS (SELECT 1 FROM deals d JOIN stages s ON s.id = d.stage_id
                        WHERE d.account_id = a.id AND s.is_closed = 0) AS has_open_deal,
                EXISTS (SELECT 1 FROM deals d JOIN stages s ON s.id = d.stage_id
                        WHERE d.account_id = a.id AND s.is_won = 1) AS is_customer
         FROM accounts a
         WHERE a.domain = ?1 OR a.domain LIKE '%.' || ?1
         ORDER BY a.id",
    )?;
    let rows = stmt
        .query_map([registrable_domain], |r| {
            Ok(AccountOnDomain {
                id: r.get(0)?,
                name: r.get(1)?,
                domain: r.get(2)?,
                has_open_deal: r.get(3)?,
                is_customer: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[derive(Debug, Clone)]
pub struct AccountOnDomain {
    pub id: crate::domain::AccountId,
    pub name: String,
    pub domain: String,
    pub has_open_deal: bool,
    pub is_customer: bool,
}
