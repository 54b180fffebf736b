use crate::domain::{
    AccountId, DealId, DealSource, DealType, ForecastCategory, PipelineId, Segment, StageId, TeamMemberId,
};
use crate::money::{BasisPoints, Currency, Money};
use crate::store::{day_text, found, get_currency, get_instant, get_opt_day, get_opt_instant, instant_text};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

/// A deal as shown: its own columns plus the names and effective values a reader needs.
#[derive(Debug, Clone, Serialize)]
pub struct Deal {
    pub id: DealId,
    pub name: String,
    /// None for a deal imported without a company, until one is attached.
    pub account_id: Option<AccountId>,
    pub account_name: Option<String>,
    pub segment: Option<Segment>,
    pub owner_id: TeamMemberId,
    pub owner_name: String,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub stage_name: String,
    pub is_closed: bool,
    pub is_won: bool,
    /// None while the amount is not known (an imported deal without one). Such a deal
    /// counts in deal counts and win rates and is left out of every money figure.
    pub amount: Option<Money>,
    /// The deal's currency, known even when its amount is not.
    pub currency: Currency,
    /// None when the source system had no expected close date for an open deal.
    pub expected_close_date: Option<NaiveDate>,
    pub source: DealSource,
    /// The lead source as the source system called it, when it said more than the category.
    pub lead_source: Option<String>,
    pub deal_type: DealType,
    pub probability_override: Option<BasisPoints>,
    /// The override if set, else the stage's default probability.
    pub probability: BasisPoints,
    pub forecast_override: Option<ForecastCategory>,
    /// The override if set, else the stage's forecast category.
    pub forecast_category: ForecastCategory,
    pub loss_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub expands_deal_id: Option<DealId>,
    pub created_at: DateTime<Utc>,
    pub stage_entered_at: DateTime<Utc>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Open, and no activity for longer than its stage allows (as of the query's clock).
    pub stalled: bool,
}

/// Columns a service may set on create or update, already validated.
pub struct DealFields<'a> {
    pub name: &'a str,
    pub account_id: Option<AccountId>,
    pub owner_id: TeamMemberId,
    pub amount: Option<Money>,
    pub currency: Currency,
    pub expected_close_date: Option<NaiveDate>,
    pub source: DealSource,
    pub lead_source: Option<&'a str>,
    pub deal_type: DealType,
    pub probability_override: Option<BasisPoints>,
    pub forecast_override: Option<ForecastCategory>,
    pub expands_deal_id: Option<DealId>,
}

const SELECT: &str = "
SELECT d.id, d.name, d.account_id, a.name AS account_name, a.segment, d.owner_id, t.name AS owner_name,
       d.pipeline_id, d.stage_id, s.name AS stage_name, s.is_closed, s.is_won,
       d.amount_minor, d.currency, d.expected_close_date, d.source, d.lead_source, d.deal_type,
       d.probability_override_bp, coalesce(d.probability_override_bp, s.default_probability_bp) AS probability_bp,
       d.forecast_override, coalesce(d.forecast_override, s.forecast_category) AS forecast_category,
       d.loss_reason, d.closed_on, d.expands_deal_id, d.created_at, d.stage_entered_at, d.last_activity_at,
       d.updated_at,
       (s.is_closed = 0 AND s.stall_after_days IS NOT NULL
        AND julianday(:now) - julianday(max(coalesce(d.last_activity_at, d.created_at), d.stage_entered_at))
            > s.stall_after_days) AS stalled
FROM deals d
LEFT JOIN accounts a ON a.id = d.account_id
JOIN team_members t ON t.id = d.owner_id
JOIN stages s ON s.id = d.stage_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Deal> {
    Ok(Deal {
        id: row.get("id")?,
        name: row.get("name")?,
        account_id: row.get("account_id")?,
        account_name: row.get("account_name")?,
        segment: row.get("segment")?,
        owner_id: row.get("owner_id")?,
        owner_name: row.get("owner_name")?,
        pipeline_id: row.get("pipeline_id")?,
        stage_id: row.get("stage_id")?,
        stage_name: row.get("stage_name")?,
        is_closed: row.get("is_closed")?,
        is_won: row.get("is_won")?,
        amount: row
            .get::<_, Option<i64>>("amount_minor")?
            .map(|amount_minor| {
                get_currency(row, "currency").map(|currency| Money { amount_minor, currency })
            })
            .transpose()?,
        currency: get_currency(row, "currency")?,
        expected_close_date: get_opt_day(row, "expected_close_date")?,
        source: row.get("source")?,
        lead_source: row.get("lead_source")?,
        deal_type: row.get("deal_type")?,
        probability_override: row.get::<_, Option<u32>>("probability_override_bp")?.map(BasisPoints),
        probability: BasisPoints(row.get("probability_bp")?),
        forecast_override: row.get("forecast_override")?,
        forecast_category: row.get("forecast_category")?,
        loss_reason: row.get("loss_reason")?,
        closed_on: get_opt_day(row, "closed_on")?,
        expands_deal_id: row.get("expands_deal_id")?,
        created_at: get_instant(row, "created_at")?,
        stage_entered_at: get_instant(row, "stage_entered_at")?,
        last_activity_at: get_opt_instant(row, "last_activity_at")?,
        updated_at: get_instant(row, "updated_at")?,
        stalled: row.get("stalled")?,
    })
}

/// Where a new deal stands: its stage and the instants that history gives it. A
/// deal created now has every instant `now`; demo and imported deals carry the past.
pub struct Placement<'a> {
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub created_at: DateTime<Utc>,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_on: Option<NaiveDate>,
    pub loss_reason: Option<&'a str>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &Connection,
    fields: &DealFields<'_>,
    placement: &Placement<'_>,
    by: Option<TeamMemberId>,
) -> Result<DealId> {
    conn.prepare_cached(
        "INSERT INTO deals (name, account_id, owner_id, pipeline_id, stage_id, amount_minor, currency,
                            expected_close_date, source, deal_type, probability_override_bp, forecast_override,
                            expands_deal_id, created_at, created_by, stage_entered_at, updated_at, closed_on,
                            loss_reason, last_activity_at, lead_source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18, ?19, ?20)",
    )?
    .execute(params![
        fields.name,
        fields.account_id,
        fields.owner_id,
        placement.pipeline,
        placement.stage,
        fields.amount.map(|m| m.amount_minor),
        fields.currency.code(),
        fields.expected_close_date.map(day_text),
        fields.source,
        fields.deal_type,
        fields.probability_override.map(|p| p.0),
        fields.forecast_override,
        fields.expands_deal_id,
        instant_text(placement.created_at),
        by,
        instant_text(placement.stage_entered_at),
        placement.closed_on.map(day_text),
        placement.loss_reason,
        placement.last_activity_at.map(instant_text),
        fields.lead_source,
    ])?;
    Ok(DealId(conn.last_insert_rowid()))
}

/// Changes a deal's fields; the tracked ones (amount, currency, close date, forecast
/// category, owner) are recorded in its append-only change history, by `by`.
pub fn update(
    conn: &Connection,
    id: DealId,
    fields: &DealFields<'_>,
    at: DateTime<Utc>,
    by: Option<TeamMemberId>,
) -> Result<()> {
    let before = super::deal_changes::tracked(conn, id)?;
    let changed = conn.execute(
        "UPDATE deals SET name = ?2, account_id = ?3, owner_id = ?4, amount_minor = ?5, currency = ?6,
                          expected_close_date = ?7, source = ?8, deal_type = ?9, probability_override_bp = ?10,
                          forecast_override = ?11, expands_deal_id = ?12, updated_at = ?13, lead_source = ?14
         WHERE id = ?1",
        params![
            id,
            fields.name,
            fields.account_id,
            fields.owner_id,
            fields.amount.map(|m| m.amount_minor),
            fields.currency.code(),
            fields.expected_close_date.map(day_text),
            fields.source,
            fields.deal_type,
            fields.probability_override.map(|p| p.0),
            fields.forecast_override,
            fields.expands_deal_id,
            instant_text(at),
            fields.lead_source,
        ],
    )?;
    if changed == 0 {
        return Err(KeelError::not_found("deal", id));
    }
    if let Some(before) = before {
        super::deal_changes::record(conn, id, &before, at, by)?;
    }
    Ok(())
}

/// Puts a deal in a stage. `closed_on` and `loss_reason` are set for closed stages
/// and cleared when a deal is reopened.
pub fn set_stage(
    conn: &Connection,
    id: DealId,
    stage: StageId,
    at: DateTime<Utc>,
    closed_on: Option<NaiveDate>,
    loss_reason: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE deals SET stage_id = ?2, stage_entered_at = ?3, updated_at = ?3, closed_on = ?4, loss_reason = ?5
         WHERE id = ?1",
        params![id, stage, instant_text(at), closed_on.map(day_text), loss_reason],
    )?;
    Ok(())
}

pub fn touch_activity(conn: &Connection, id: DealId, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deals SET last_activity_at = max(coalesce(last_activity_at, ''), ?2) WHERE id = ?1",
    )?
    .execute(params![id, instant_text(at)])?;
    Ok(())
}

pub fn get(conn: &Connection, id: DealId, now: DateTime<Utc>) -> Result<Deal> {
    found(
        conn.query_row(
            &format!("{SELECT} WHERE d.id = :id"),
            rusqlite::named_params! { ":id": id, ":now": instant_text(now) },
            from_row,
        ),
        "deal",
        id,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DealStatus {
    #[default]
    Any,
    Open,
    Won,
    Lost,
}

impl DealStatus {
    /// `open`, `won`, `lost` or `all`, as a front door's `status` field gives it.
    pub fn parse(text: &str) -> crate::Result<DealStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(DealStatus::Any),
            "open" => Ok(DealStatus::Open),
            "won" => Ok(DealStatus::Won),
            "lost" => Ok(DealStatus::Lost),
            other => Err(crate::KeelError::invalid(
                "status",
                format!("'{other}' is not one of: open, won, lost, all"),
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub stage: Option<StageId>,
    pub owner: Option<TeamMemberId>,
    pub account: Option<AccountId>,
    pub segment: Option<Segment>,
    pub source: Option<DealSource>,
    pub status: DealStatus,
    pub stalled_only: bool,
    /// Expected close date bounds (inclusive).
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    /// Words the deal's or its account's name contains (case-insensitive).
    pub search: Option<String>,
    /// Forecast category: the owner's call, else the stage's.
    pub forecast: Option<ForecastCategory>,
    pub sort: DealSort,
    pub descending: bool,
    /// Keyset cursor: rows after this (expected close date, id) in list order
    /// (only with the default sort, ascending).
    pub after: Option<(Option<NaiveDate>, DealId)>,
    /// Rows to skip: the table and the board jump to any row of a long list.
    pub offset: u32,
    pub limit: u32,
}

/// The orders a deal list can take; ties always fall back to the deal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DealSort {
    #[default]
    CloseDate,
    Amount,
    Name,
    Account,
    Stage,
    Owner,
    Updated,
}

impl DealSort {
    pub const ALL: [DealSort; 7] = [
        DealSort::CloseDate,
        DealSort::Amount,
        DealSort::Name,
        DealSort::Account,
        DealSort::Stage,
        DealSort::Owner,
        DealSort::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealSort::CloseDate => "close_date",
            DealSort::Amount => "amount",
            DealSort::Name => "name",
            DealSort::Account => "account",
            DealSort::Stage => "stage",
            DealSort::Owner => "owner",
            DealSort::Updated => "updated",
        }
    }

    pub fn parse(text: &str) -> Result<DealSort> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        DealSort::ALL.into_iter().find(|s| s.as_str() == wanted).ok_or_else(|| {
            let names: Vec<&str> = DealSort::ALL.iter().map(|s| s.as_str()).collect();
            KeelError::invalid("sort", format!("'{text}' is not one of: {}", names.join(", ")))
        })
    }

    fn column(self) -> &'static str {
        match self {
            DealSort::CloseDate => "d.expected_close_date",
            DealSort::Amount => "d.amount_minor",
            DealSort::Name => "d.name COLLATE NOCASE",
            DealSort::Account => "a.name COLLATE NOCASE",
            DealSort::Stage => "s.position",
            DealSort::Owner => "t.name COLLATE NOCASE",
            DealSort::Updated => "d.updated_at",
        }
    }
}

type NamedValues = Vec<(&'static str, Box<dyn rusqlite::ToSql>)>;

/// The WHERE clause of a filter and its named values. Only the filters present go
/// in, so SQLite can walk `deals_by_stage` (or `deals_by_close`) in order.
fn conditions(filter: &DealFilter, now: DateTime<Utc>) -> (String, NamedValues) {
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: NamedValues = vec![(":now", Box::new(instant_text(now)))];
    if let Some(stage) = filter.stage {
        conditions.push("d.stage_id = :stage");
        values.push((":stage", Box::new(stage)));
    }
    if let Some(owner) = filter.owner {
        conditions.push("d.owner_id = :owner");
        values.push((":owner", Box::new(owner)));
    }
    if let Some(account) = filter.account {
        conditions.push("d.account_id = :account");
        values.push((":account", Box::new(account)));
    }
    if let Some(segment) = filter.segment {
        conditions.push("a.segment = :segment");
        values.push((":segment", Box::new(segment)));
    }
    if let Some(source) = filter.source {
        conditions.push("d.source = :source");
        values.push((":source", Box::new(source)));
    }
    match filter.status {
        DealStatus::Any => {}
        DealStatus::Open => conditions.push("s.is_closed = 0"),
        DealStatus::Won => conditions.push("s.is_won = 1"),
        DealStatus::Lost => conditions.push("s.is_closed = 1 AND s.is_won = 0"),
    }
    if let Some(from) = filter.close_from {
        conditions.push("d.expected_close_date >= :close_from");
        values.push((":close_from", Box::new(day_text(from))));
    }
    if let Some(to) = filter.close_to {
        conditions.push("d.expected_close_date <= :close_to");
        values.push((":close_to", Box::new(day_text(to))));
    }
    if let Some(category) = filter.forecast {
        conditions.push("coalesce(d.forecast_override, s.forecast_category) = :forecast");
        values.push((":forecast", Box::new(category)));
    }
    if let Some(words) = filter.search.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        conditions.push("(d.name LIKE :search ESCAPE '\\' OR a.name LIKE :search ESCAPE '\\')");
        values.push((":search", Box::new(crate::store::like_pattern(words))));
    }
    // Deals with no expected close date sort first (SQLite orders NULL first).
    if let Some((date, id)) = filter.after {
        match date {
            Some(date) => {
                conditions.push("(d.expected_close_date, d.id) > (:after_date, :after_id)");
                values.push((":after_date", Box::new(day_text(date))));
            }
            None => conditions.push("(d.expected_close_date IS NOT NULL OR d.id > :after_id)"),
        }
        values.push((":after_id", Box::new(id)));
    }
    if filter.stalled_only {
        conditions.push("stalled");
    }
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    (where_clause, values)
}

/// One page of deals in the filter's order (expected close date, then id, by default).
pub fn list(conn: &Connection, filter: &DealFilter, now: DateTime<Utc>) -> Result<Vec<Deal>> {
    let (where_clause, mut values) = conditions(filter, now);
    values.push((":limit", Box::new(filter.limit)));
    values.push((":offset", Box::new(filter.offset)));
    let direction = if filter.descending { "DESC" } else { "ASC" };
    let order = match filter.sort {
        DealSort::CloseDate => format!("d.expected_close_date {direction}, d.id {direction}"),
        other => format!("{} {direction}, d.id {direction}", other.column()),
    };
    let sql = format!("{SELECT} {where_clause} ORDER BY {order} LIMIT :limit OFFSET :offset");
    let params: Vec<(&str, &dyn rusqlite::ToSql)> = values.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many deals match the filter (its sort, cursor and page are ignored).
pub fn count_matching(conn: &Connection, filter: &DealFilter, now: DateTime<Utc>) -> Result<u64> {
    let filter = DealFilter { after: None, ..filter.clone() };
    let (where_clause, values) = conditions(&filter, now);
    let needs_stall = filter.stalled_only;
    let sql = if needs_stall {
        format!("SELECT count(*) FROM ({SELECT} {where_clause})")
    } else {
        format!(
            "SELECT count(*) FROM deals d LEFT JOIN accounts a ON a.id = d.account_id
             JOIN team_members t ON t.id = d.owner_id JOIN stages s ON s.id = d.stage_id {where_clause}"
        )
    };
    let params: Vec<(&str, &dyn rusqlite::ToSql)> =
        values.iter().filter(|(k, _)| needs_stall || *k != ":now").map(|(k, v)| (*k, v.as_ref())).collect();
    let count: i64 = conn.prepare_cached(&sql)?.query_row(params.as_slice(), |r| r.get(0))?;
    Ok(count as u64)
}

/// The first `limit` partner-sourced deals, by id (the demo's partner program).
pub fn partner_sourced(conn: &Connection, limit: u32, now: DateTime<Utc>) -> Result<Vec<Deal>> {
    let mut stmt =
        conn.prepare(&format!("{SELECT} WHERE d.source = 'partner' ORDER BY d.id LIMIT :limit"))?;
    let rows = stmt
        .query_map(rusqlite::named_params! {":limit": limit, ":now": instant_text(now)}, from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM deals", [], |r| r.get(0))?)
}

/// An entry of a deal's append-only stage history.
#[derive(Debug, Clone, Serialize)]
pub struct StageChange {
    pub id: i64,
    pub deal_id: DealId,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<String>,
    /// The amount when the change was made; None while it was not known.
    pub amount: Option<Money>,
    pub currency: Currency,
    pub probability: BasisPoints,
    pub override_reason: Option<String>,
}

pub struct NewStageChange<'a> {
    pub deal_id: DealId,
    pub from_stage: Option<StageId>,
    pub to_stage: StageId,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<TeamMemberId>,
    pub amount: Option<Money>,
    pub currency: Currency,
    pub probability: BasisPoints,
    pub override_reason: Option<&'a str>,
}

pub fn append_history(conn: &Connection, change: &NewStageChange<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by, amount_minor,
                                    currency, probability_bp, override_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        change.deal_id,
        change.from_stage,
        change.to_stage,
        instant_text(change.changed_at),
        change.changed_by,
        change.amount.map(|m| m.amount_minor),
        change.currency.code(),
        change.probability.0,
        change.override_reason,
    ])?;
    Ok(())
}

/// Appends a deal's whole path at once (demo, import): one statement per deal, not per row.
pub fn append_history_batch(conn: &Connection, changes: &[NewStageChange<'_>]) -> Result<()> {
    const COLUMNS: usize = 9;
    const MAX_ROWS: usize = 8;
    for chunk in changes.chunks(MAX_ROWS) {
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = row * COLUMNS + 1;
                let params: Vec<String> = (first..first + COLUMNS).map(|i| format!("?{i}")).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by, amount_minor,
                                        currency, probability_bp, override_reason) VALUES {}",
            placeholders.join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let texts: Vec<String> = chunk.iter().map(|c| instant_text(c.changed_at)).collect();
        let codes: Vec<&str> = chunk.iter().map(|c| c.currency.code()).collect();
        let amounts: Vec<Option<i64>> = chunk.iter().map(|c| c.amount.map(|m| m.amount_minor)).collect();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * COLUMNS);
        for (((change, at), code), amount) in chunk.iter().zip(&texts).zip(&codes).zip(&amounts) {
            values.push(&change.deal_id);
            values.push(&change.from_stage);
            values.push(&change.to_stage);
            values.push(at);
            values.push(&change.changed_by);
            values.push(amount);
            values.push(code);
            values.push(&change.probability.0);
            values.push(&change.override_reason);
        }
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

pub fn history(conn: &Connection, deal: DealId) -> Result<Vec<StageChange>> {
    let mut stmt = conn.prepare(
        "SELECT h.id, h.deal_id, f.name AS from_stage, s.name AS to_stage, h.changed_at, t.name AS changed_by,
                h.amount_minor, h.currency, h.probability_bp, h.override_reason
         FROM stage_history h
         JOIN stages s ON s.id = h.to_stage_id
         LEFT JOIN stages f ON f.id = h.from_stage_id
         LEFT JOIN team_members t ON t.id = h.changed_by
         WHERE h.deal_id = ?1 ORDER BY h.id",
    )?;
    let rows = stmt
        .query_map([deal], |row| {
            Ok(StageChange {
                id: row.get("id")?,
                deal_id: row.get("deal_id")?,
                from_stage: row.get("from_stage")?,
                to_stage: row.get("to_stage")?,
                changed_at: get_instant(row, "changed_at")?,
                changed_by: row.get("changed_by")?,
                amount: row
                    .get::<_, Option<i64>>("amount_minor")?
                    .map(|amount_minor| {
                        get_currency(row, "currency").map(|currency| Money { amount_minor, currency })
                    })
                    .transpose()?,
                currency: get_currency(row, "currency")?,
                probability: BasisPoints(row.get("probability_bp")?),
                override_reason: row.get("override_reason")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A deal of `account` with this name (case-insensitively) and, when given, this
/// creation date: how a re-import without record ids finds what it imported before.
pub fn find_by_natural_key(
    conn: &Connection,
    account: Option<AccountId>,
    name: &str,
    created_on: Option<NaiveDate>,
) -> Result<Option<DealId>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM deals WHERE account_id IS ?1 AND name = ?2 COLLATE NOCASE
                AND (?3 IS NULL OR substr(created_at, 1, 10) = ?3)
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![account, name, created_on.map(day_text)], |r| r.get(0))
        .optional()?)
}

pub fn set_loss_reason(conn: &Connection, id: DealId, reason: Option<&str>, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE deals SET loss_reason = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, reason, instant_text(at)],
    )?;
    Ok(())
}
