use crate::domain::{
    optional_text, required_text, AccountId, DealId, DealSource, DealType, ForecastCategory, Segment,
    StageId, TeamMemberId, TextKind,
};
use crate::money::{BasisPoints, Currency, Money};
use crate::services::policy::{self, Capability, Principal};
use crate::services::{pipeline, stage_rules, Workspace};
use crate::store::activities::{Activity, ActivityFilter};
use crate::store::deals::{Deal, DealFields, DealFilter, DealSort, DealStatus, StageChange};
use crate::store::qualification::{BantEntry, ChecklistEntry, ProofOfConcept};
use crate::store::stages::Stage;
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct DealInput {
    pub name: String,
    pub account_id: AccountId,
    /// Defaults to the acting user.
    pub owner_id: Option<TeamMemberId>,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close_date: NaiveDate,
    pub source: DealSource,
    pub deal_type: DealType,
    /// Stage name; defaults to the pipeline's first stage.
    pub stage: Option<String>,
    pub probability_override_bp: Option<i64>,
    pub forecast_override: Option<ForecastCategory>,
    pub expands_deal_id: Option<DealId>,
}

/// A new deal as people type it (the CLI's flags, the desktop's form). It is read here,
/// once, so every front door refuses the same mistake naming the same field.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealForm {
    pub name: String,
    pub account_id: AccountId,
    pub owner_id: Option<TeamMemberId>,
    /// A decimal amount as typed ("120,000.50").
    pub amount: String,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub expected_close_date: String,
    pub source: String,
    pub deal_type: String,
    pub stage: Option<String>,
    /// A percentage as typed ("35", "35%").
    pub probability: Option<String>,
    pub forecast: Option<String>,
    pub expands_deal_id: Option<DealId>,
}

impl DealForm {
    /// The typed input, or the first field that cannot be read (in the form's order).
    pub fn read(self) -> Result<DealInput> {
        let currency = Currency::parse("currency", &self.currency)?;
        Ok(DealInput {
            amount_minor: Money::parse("amount", &self.amount, currency)?.amount_minor,
            currency: currency.code().to_string(),
            expected_close_date: crate::domain::parse_date("expected_close_date", &self.expected_close_date)?,
            source: DealSource::parse("source", &self.source)?,
            deal_type: DealType::parse("deal_type", &self.deal_type)?,
            probability_override_bp: self
                .probability
                .as_deref()
                .map(|p| BasisPoints::parse_percent("probability", p).map(|bp| i64::from(bp.0)))
                .transpose()?,
            forecast_override: self
                .forecast
                .as_deref()
                .map(|f| ForecastCategory::parse("forecast", f))
                .transpose()?,
            name: self.name,
            account_id: self.account_id,
            owner_id: self.owner_id,
            stage: self.stage,
            expands_deal_id: self.expands_deal_id,
        })
    }
}

/// Changes to a deal as people type them (the CLI's `deal update` flags). `None` leaves a
/// field alone; "none" clears the probability or forecast override. An amount typed
/// without a currency is in the deal's own, read inside the write (see [`update_as_typed`]).
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct DealUpdateForm {
    pub name: Option<String>,
    pub account_id: Option<AccountId>,
    pub owner_id: Option<TeamMemberId>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_close_date: Option<String>,
    pub source: Option<String>,
    pub deal_type: Option<String>,
    pub probability: Option<String>,
    pub forecast: Option<String>,
}

impl DealUpdateForm {
    /// The typed changes, or the first field that cannot be read; `current` is the deal's
    /// currency, for an amount typed without one.
    fn read(self, current: Currency) -> Result<DealChanges> {
        let currency = self.currency.as_deref().map(|c| Currency::parse("currency", c)).transpose()?;
        let clearable = |text: Option<&str>| -> Option<Option<String>> {
            text.map(str::trim).map(|t| (!t.eq_ignore_ascii_case("none")).then(|| t.to_string()))
        };
        Ok(DealChanges {
            amount_minor: self
                .amount
                .as_deref()
                .map(|a| Money::parse("amount", a, currency.unwrap_or(current)).map(|m| m.amount_minor))
                .transpose()?,
            currency: currency.map(|c| c.code().to_string()),
            expected_close_date: self
                .expected_close_date
                .as_deref()
                .map(|d| crate::domain::parse_date("expected_close_date", d.trim()))
                .transpose()?,
            source: self.source.as_deref().map(|s| DealSource::parse("source", s)).transpose()?,
            deal_type: self.deal_type.as_deref().map(|t| DealType::parse("deal_type", t)).transpose()?,
            probability_override_bp: clearable(self.probability.as_deref())
                .map(|p| {
                    p.map(|p| BasisPoints::parse_percent("probability", &p).map(|bp| i64::from(bp.0)))
                        .transpose()
                })
                .transpose()?,
            forecast_override: clearable(self.forecast.as_deref())
                .map(|f| f.map(|f| ForecastCategory::parse("forecast", &f)).transpose())
                .transpose()?,
            name: self.name,
            account_id: self.account_id,
            owner_id: self.owner_id,
            expands_deal_id: None,
        })
    }
}

/// Changes to a deal. `None` leaves a field alone. The stage changes only by a move.
#[derive(Debug, Clone, Default)]
pub struct DealChanges {
    pub name: Option<String>,
    pub account_id: Option<AccountId>,
    pub owner_id: Option<TeamMemberId>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub expected_close_date: Option<NaiveDate>,
    pub source: Option<DealSource>,
    pub deal_type: Option<DealType>,
    /// `Some(None)` clears the override.
    pub probability_override_bp: Option<Option<i64>>,
    pub forecast_override: Option<Option<ForecastCategory>>,
    pub expands_deal_id: Option<Option<DealId>>,
}

struct ValidDeal {
    name: String,
    account_id: Option<AccountId>,
    owner_id: TeamMemberId,
    amount: Option<Money>,
    currency: Currency,
    expected_close_date: Option<NaiveDate>,
    source: DealSource,
    lead_source: Option<String>,
    deal_type: DealType,
    probability_override: Option<BasisPoints>,
    forecast_override: Option<ForecastCategory>,
    expands_deal_id: Option<DealId>,
}

impl ValidDeal {
    fn fields(&self) -> DealFields<'_> {
        DealFields {
            name: &self.name,
            account_id: self.account_id,
            owner_id: self.owner_id,
            amount: self.amount,
            currency: self.currency,
            expected_close_date: self.expected_close_date,
            source: self.source,
            lead_source: self.lead_source.as_deref(),
            deal_type: self.deal_type,
            probability_override: self.probability_override,
            forecast_override: self.forecast_override,
            expands_deal_id: self.expands_deal_id,
        }
    }
}

/// A deal's fields as a service checks them: a new deal gives them all; an imported
/// one may lack an account, an amount or an expected close date, and keeps them unknown
/// through later edits until someone fills them in.
struct Draft {
    name: String,
    account_id: Option<AccountId>,
    owner_id: Option<TeamMemberId>,
    amount_minor: Option<i64>,
    currency: String,
    expected_close_date: Option<NaiveDate>,
    source: DealSource,
    lead_source: Option<String>,
    deal_type: DealType,
    probability_override_bp: Option<i64>,
    forecast_override: Option<ForecastCategory>,
    expands_deal_id: Option<DealId>,
}

impl From<&DealInput> for Draft {
    fn from(input: &DealInput) -> Draft {
        Draft {
            name: input.name.clone(),
            account_id: Some(input.account_id),
            owner_id: input.owner_id,
            amount_minor: Some(input.amount_minor),
            currency: input.currency.clone(),
            expected_close_date: Some(input.expected_close_date),
            source: input.source,
            lead_source: None,
            deal_type: input.deal_type,
            probability_override_bp: input.probability_override_bp,
            forecast_override: input.forecast_override,
            expands_deal_id: input.expands_deal_id,
        }
    }
}

/// Checks a deal's fields against each other and the workspace (the account is
/// checked by the caller: a conversion creates it in the same transaction).
/// `close_not_before` is the deal's creation date when its expected close date is being
/// set: a date people enter may not come before it (an imported one is kept as it was).
fn validate(
    conn: &rusqlite::Connection,
    now: DateTime<Utc>,
    input: &Draft,
    close_not_before: Option<NaiveDate>,
    this: Option<DealId>,
) -> Result<ValidDeal> {
    let name = required_text("name", &input.name, TextKind::Line)?;
    let currency = Currency::parse("currency", &input.currency)?;
    let amount =
        input.amount_minor.map(|minor| Money::non_negative("amount", minor, currency)).transpose()?;
    if let Some(close) = input.expected_close_date {
        crate::domain::check_date_range("expected_close_date", close)?;
        if let Some(created_on) = close_not_before.filter(|created| close < *created) {
            return Err(KeelError::invalid(
                "expected_close_date",
                format!("{close} is before the deal was created ({created_on})"),
            ));
        }
    }
    let probability_override =
        input.probability_override_bp.map(|bp| BasisPoints::checked("probability", bp)).transpose()?;
    let owner_id = input.owner_id.ok_or_else(|| KeelError::invalid("owner", "is required"))?;
    store::team::get(conn, owner_id)?;
    if let Some(parent) = input.expands_deal_id {
        if input.deal_type != DealType::Expansion {
            return Err(KeelError::invalid("expands_deal", "only an expansion deal expands another deal"));
        }
        if Some(parent) == this {
            return Err(KeelError::invalid("expands_deal", "a deal cannot expand itself"));
        }
        let parent_deal = store::deals::get(conn, parent, now)?;
        if parent_deal.account_id != input.account_id || input.account_id.is_none() || !parent_deal.is_won {
            return Err(KeelError::invalid(
                "expands_deal",
                format!("deal {parent} is not a won deal of the same account"),
            ));
        }
    }
    Ok(ValidDeal {
        name,
        account_id: input.account_id,
        owner_id,
        amount,
        currency,
        expected_close_date: input.expected_close_date,
        source: input.source,
        lead_source: input.lead_source.clone(),
        deal_type: input.deal_type,
        probability_override,
        forecast_override: input.forecast_override,
        expands_deal_id: input.expands_deal_id,
    })
}

/// A deal checked and placed, ready to insert inside some transaction.
pub(crate) struct PreparedDeal {
    valid: ValidDeal,
    stage: Stage,
}

impl PreparedDeal {
    pub(crate) fn set_account(&mut self, account: AccountId) {
        self.valid.account_id = Some(account);
    }
}

/// Validates a new deal and picks its stage: one a new deal may start in, reachable
/// from the first stage without owing any exit or entry criteria (Lead or Qualification).
/// Runs inside the write that inserts it, so what it checked still holds when it writes.
pub(crate) fn prepare(
    tx: &rusqlite::Connection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: TeamMemberId,
    mut input: DealInput,
) -> Result<PreparedDeal> {
    input.owner_id = input.owner_id.or(Some(actor));
    let valid = validate(tx, now, &Draft::from(&input), Some(today), None)?;
    let stages = store::stages::list(tx, store::stages::default_pipeline(tx)?.id)?;
    let first = stages.first().ok_or_else(|| KeelError::NotAllowed("the pipeline has no stages".into()))?;
    let stage = match input.stage.as_deref() {
        Some(name) => pipeline::find_stage(&stages, name)?.clone(),
        None => first.clone(),
    };
    let starts_here = !stage.is_closed && stage_rules::rules_for_move(&stages, first, &stage).is_empty();
    if !starts_here {
        let allowed: Vec<&str> = stages
            .iter()
            .filter(|s| !s.is_closed && stage_rules::rules_for_move(&stages, first, s).is_empty())
            .map(|s| s.name.as_str())
            .collect();
        return Err(KeelError::invalid(
            "stage",
            format!("a new deal starts in {}; move it on to record its criteria", allowed.join(" or ")),
        ));
    }
    Ok(PreparedDeal { valid, stage })
}

/// Inserts a prepared deal with its first stage-history entry and audit record.
pub(crate) fn insert_prepared(
    tx: &rusqlite::Connection,
    now: DateTime<Utc>,
    actor: TeamMemberId,
    prepared: &PreparedDeal,
) -> Result<DealId> {
    let (deal, stage) = (&prepared.valid, &prepared.stage);
    let placement = store::deals::Placement {
        pipeline: stage.pipeline_id,
        stage: stage.id,
        created_at: now,
        stage_entered_at: now,
        closed_on: None,
        loss_reason: None,
        last_activity_at: None,
    };
    let id = store::deals::insert(tx, &deal.fields(), &placement, Some(actor))?;
    store::deals::append_history(
        tx,
        &store::deals::NewStageChange {
            deal_id: id,
            from_stage: None,
            to_stage: stage.id,
            changed_at: now,
            changed_by: Some(actor),
            amount: deal.amount,
            currency: deal.currency,
            probability: deal.probability_override.unwrap_or(stage.default_probability),
            override_reason: None,
        },
    )?;
    crate::services::record(
        tx,
        now,
        Some(actor),
        "deal.create",
        "deal",
        id.0,
        serde_json::json!({
            "name": deal.name, "amount_minor": deal.amount.map(|m| m.amount_minor), "currency": deal.currency,
            "stage": stage.name, "source": deal.source.as_str(),
        }),
    )?;
    Ok(id)
}

/// Creates a deal (see [`prepare`] for where it may start).
pub fn create(ws: &mut Workspace, who: Principal, input: DealInput) -> Result<Deal> {
    let today = ws.today();
    let id = ws.write_as(who, |tx, now| {
        store::accounts::get(tx, input.account_id)?;
        let prepared = prepare(tx, now, today, who.member(), input)?;
        insert_prepared(tx, now, who.member(), &prepared)
    })?;
    get(ws, who, id)
}

pub fn update(ws: &mut Workspace, who: Principal, id: DealId, changes: DealChanges) -> Result<Deal> {
    // Read, checked and written in one transaction: the checks decide on the deal as
    // it is when the write happens.
    ws.write_as(who, |tx, now| update_in(tx, now, who.member(), id, changes))?;
    get(ws, who, id)
}

/// [`update`] from what people typed: read, checked and written in one transaction.
pub fn update_as_typed(ws: &mut Workspace, who: Principal, id: DealId, form: DealUpdateForm) -> Result<Deal> {
    ws.write_as(who, |tx, now| {
        let current = store::deals::get(tx, id, now)?.currency;
        update_in(tx, now, who.member(), id, form.read(current)?)
    })?;
    get(ws, who, id)
}

/// Whether `actor` may change the deal's forecast category (screens ask before offering it).
pub fn may_call_forecast(ws: &Workspace, who: Principal, deal: &Deal) -> Result<()> {
    check_forecast_caller(ws.conn(), who.member(), deal)
}

/// A deal's forecast category is its owner's call, which a sales leader may also make.
fn check_forecast_caller(tx: &rusqlite::Connection, actor: TeamMemberId, deal: &Deal) -> Result<()> {
    let member = crate::services::policy::active_member(tx, actor)?;
    if actor == deal.owner_id || crate::services::policy::allows(member.role, Capability::LeadSales) {
        return Ok(());
    }
    Err(KeelError::Forbidden(format!(
        "only the deal's owner ({}) or a sales leader may change its forecast category",
        deal.owner_name
    )))
}

fn update_in(
    tx: &rusqlite::Connection,
    now: DateTime<Utc>,
    actor: TeamMemberId,
    id: DealId,
    changes: DealChanges,
) -> Result<()> {
    let current = store::deals::get(tx, id, now)?;
    // The stored minor units mean nothing in another currency (USD 1,234.56 is not
    // KWD 123.456): a new currency comes with its amount (unless none is known yet).
    if let (Some(code), None, Some(_)) = (&changes.currency, changes.amount_minor, current.amount) {
        if Currency::parse("currency", code)? != current.currency {
            return Err(KeelError::invalid(
                "currency",
                format!(
                    "changing the currency from {} to {} needs the amount in {}",
                    current.currency,
                    code.trim().to_ascii_uppercase(),
                    code.trim().to_ascii_uppercase()
                ),
            ));
        }
    }
    let close_changed = changes.expected_close_date.is_some_and(|d| Some(d) != current.expected_close_date);
    if changes.forecast_override.is_some_and(|f| f != current.forecast_override) {
        check_forecast_caller(tx, actor, &current)?;
    }
    let merged = Draft {
        name: changes.name.unwrap_or(current.name.clone()),
        account_id: changes.account_id.or(current.account_id),
        owner_id: Some(changes.owner_id.unwrap_or(current.owner_id)),
        amount_minor: changes.amount_minor.or(current.amount.map(|m| m.amount_minor)),
        currency: changes.currency.unwrap_or(current.currency.code().to_string()),
        expected_close_date: changes.expected_close_date.or(current.expected_close_date),
        source: changes.source.unwrap_or(current.source),
        lead_source: current.lead_source.clone(),
        deal_type: changes.deal_type.unwrap_or(current.deal_type),
        probability_override_bp: changes
            .probability_override_bp
            .unwrap_or(current.probability_override.map(|p| i64::from(p.0))),
        forecast_override: changes.forecast_override.unwrap_or(current.forecast_override),
        expands_deal_id: changes.expands_deal_id.unwrap_or(current.expands_deal_id),
    };
    if let Some(account) = merged.account_id {
        store::accounts::get(tx, account)?;
    }
    let created_on = current.created_at.date_naive();
    let deal = validate(tx, now, &merged, close_changed.then_some(created_on), Some(id))?;
    store::deals::update(tx, id, &deal.fields(), now, Some(actor))?;
    crate::services::record(
        tx,
        now,
        Some(actor),
        "deal.update",
        "deal",
        id.0,
        serde_json::json!({
            "before": {"amount_minor": current.amount.map(|m| m.amount_minor), "currency": current.currency,
                       "expected_close_date": current.expected_close_date, "owner_id": current.owner_id,
                       "probability_override_bp": current.probability_override, "account_id": current.account_id},
            "after": {"amount_minor": deal.amount.map(|m| m.amount_minor), "currency": deal.currency,
                      "expected_close_date": deal.expected_close_date, "owner_id": deal.owner_id,
                      "probability_override_bp": deal.probability_override, "account_id": deal.account_id},
        }),
    )
}

pub fn get(ws: &Workspace, who: Principal, id: DealId) -> Result<Deal> {
    policy::reading(ws.conn(), who)?;
    store::deals::get(ws.conn(), id, ws.now())
}

#[derive(Debug, Clone, Default)]
pub struct DealQuery {
    /// Stage name.
    pub stage: Option<String>,
    pub owner_id: Option<TeamMemberId>,
    pub account_id: Option<AccountId>,
    pub segment: Option<Segment>,
    pub source: Option<DealSource>,
    pub status: DealStatus,
    pub stalled_only: bool,
    /// Expected close date bounds (inclusive).
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    /// Text the deal's or its account's name contains.
    pub search: Option<String>,
    /// Forecast category: the owner's call, else the stage's.
    pub forecast: Option<ForecastCategory>,
    pub sort: DealSort,
    pub descending: bool,
    /// Continue after this deal (the last one of the previous page; default order only).
    pub after: Option<DealId>,
    /// Rows to skip instead (any order).
    pub offset: Option<u32>,
    pub limit: Option<u32>,
}

/// A page of deals (expected-close order by default); pass the last id as `after`
/// for the next, or page by `offset`.
pub fn list(ws: &Workspace, who: Principal, query: &DealQuery) -> Result<Vec<Deal>> {
    policy::reading(ws.conn(), who)?;
    let filter = filter(ws, who, query)?;
    store::deals::list(ws.conn(), &filter, ws.now())
}

/// How many deals match the query's filters: the length of the list it pages through.
pub fn count(ws: &Workspace, who: Principal, query: &DealQuery) -> Result<u64> {
    policy::reading(ws.conn(), who)?;
    let filter = filter(ws, who, query)?;
    store::deals::count_matching(ws.conn(), &filter, ws.now())
}

fn filter(ws: &Workspace, who: Principal, query: &DealQuery) -> Result<DealFilter> {
    let stage: Option<StageId> = match query.stage.as_deref() {
        Some(name) => Some(pipeline::stage_named(ws, name)?.id),
        None => None,
    };
    if let (Some(from), Some(to)) = (query.close_from, query.close_to) {
        if to < from {
            return Err(KeelError::invalid("close_to", format!("must not be before close_from ({from})")));
        }
    }
    let after = match query.after {
        Some(_) if query.sort != DealSort::CloseDate || query.descending => {
            return Err(KeelError::invalid("after", "pages only the default order; use offset"));
        }
        Some(id) => {
            let last = get(ws, who, id)
                .map_err(|_| KeelError::invalid("after", format!("deal {id} does not exist")))?;
            Some((last.expected_close_date, last.id))
        }
        None => None,
    };
    Ok(DealFilter {
        stage,
        owner: query.owner_id,
        account: query.account_id,
        segment: query.segment,
        source: query.source,
        status: query.status,
        stalled_only: query.stalled_only,
        close_from: query.close_from,
        close_to: query.close_to,
        forecast: query.forecast,
        search: query.search.clone(),
        sort: query.sort,
        descending: query.descending,
        after,
        offset: query.offset.unwrap_or(0),
        limit: crate::services::page_size(query.limit),
    })
}

/// Time a deal spent in one stage visit, derived from its stage history.
#[derive(Debug, Clone, Serialize)]
pub struct StageVisit {
    pub stage: String,
    pub entered_at: DateTime<Utc>,
    /// `None` while the deal is still there.
    pub left_at: Option<DateTime<Utc>>,
    pub days: i64,
}

/// The deal page: the deal and everything an account executive works with on it.
#[derive(Debug, Clone, Serialize)]
pub struct DealView {
    pub deal: Deal,
    pub bant: Vec<BantEntry>,
    pub proof_of_concept: Option<ProofOfConcept>,
    pub checklist: Vec<ChecklistEntry>,
    pub history: Vec<StageChange>,
    pub stage_path: Vec<StageVisit>,
    pub next_activity: Option<Activity>,
    pub activities: Vec<Activity>,
}

pub fn view(ws: &Workspace, who: Principal, id: DealId) -> Result<DealView> {
    policy::reading(ws.conn(), who)?;
    let deal = get(ws, who, id)?;
    let conn = ws.conn();
    let history = store::deals::history(conn, id)?;
    let now = ws.now();
    let stage_path = history
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let left_at = history.get(i + 1).map(|next| next.changed_at);
            let until = left_at.unwrap_or(if deal.is_closed { change.changed_at } else { now });
            StageVisit {
                stage: change.to_stage.clone(),
                entered_at: change.changed_at,
                left_at,
                days: (until - change.changed_at).num_days(),
            }
        })
        .collect();
    Ok(DealView {
        bant: store::qualification::bant(conn, id)?,
        proof_of_concept: store::qualification::poc(conn, id)?,
        checklist: store::qualification::checklist(conn, id)?,
        stage_path,
        history,
        next_activity: store::activities::next_for_deal(conn, id)?,
        activities: store::activities::list(
            conn,
            &ActivityFilter { deal: Some(id), limit: 50, ..Default::default() },
        )?,
        deal,
    })
}

pub(crate) fn optional_reason(field: &str, value: Option<&str>) -> Result<Option<String>> {
    optional_text(field, value, TextKind::Note)
}

/// A deal's recorded changes of amount, currency, expected close date, forecast category
/// and owner, oldest first.
pub fn changes(ws: &Workspace, who: Principal, id: DealId) -> Result<Vec<store::deal_changes::DealChange>> {
    policy::reading(ws.conn(), who)?;
    store::deals::get(ws.conn(), id, ws.now())?;
    store::deal_changes::for_deal(ws.conn(), id)
}
