//! The forecast for a period: per owner and for the team, the quota, what closed won,
//! and the open deals expected to close in the period by forecast category (commit,
//! best case, pipeline, omitted), in the reporting currency and converted as every other
//! figure is; attainment and the gap to quota; and each member's call with the sales
//! leader's adjustments (kept append-only, so a leader sees how each call moved).

use super::{fact_filter, Counted, Counter, MetricsQuery};
use crate::domain::{DealId, ForecastCategory, TeamMemberId};
use crate::money::{div_round_half_even, Currency, Money};
use crate::services::policy::{self, Capability, Principal};
use crate::services::{fx, pipeline, team, Workspace};
use crate::store::as_of::PastDays;
use crate::store::facts;
use crate::store::forecast::{self as store_forecast, ForecastCall, Quota};
use crate::store::fx::RateTable;
use crate::{KeelError, Result};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A forecast period: a month (`2026-11`) or a quarter (`2026-Q4`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn parse(field: &str, text: &str) -> Result<Period> {
        let text = text.trim();
        let bad =
            || KeelError::invalid(field, format!("'{text}' is not a month (2026-11) or a quarter (2026-Q4)"));
        let (year, rest) = text.split_once('-').ok_or_else(bad)?;
        let year: i32 = year.parse().ok().filter(|y| (2000..=2999).contains(y)).ok_or_else(bad)?;
        let (first_month, months) = match rest.strip_prefix(['Q', 'q']) {
            Some(q) => match q.parse::<u32>() {
                Ok(q @ 1..=4) => ((q - 1) * 3 + 1, 3),
                _ => return Err(bad()),
            },
            None if rest.len() == 2 => match rest.parse::<u32>() {
                Ok(m @ 1..=12) => (m, 1),
                _ => return Err(bad()),
            },
            None => return Err(bad()),
        };
        let from = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
        let next = from.checked_add_months(chrono::Months::new(months)).ok_or_else(bad)?;
        let name = if months == 3 {
            format!("{year}-Q{}", (first_month - 1) / 3 + 1)
        } else {
            format!("{year}-{first_month:02}")
        };
        Ok(Period { name, from, to: next.pred_opt().ok_or_else(bad)? })
    }
}

/// One row of the roll-up: a member, or the team (no member).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastRow {
    pub owner_id: Option<TeamMemberId>,
    pub owner_name: String,
    pub quota_minor: Option<i64>,
    pub closed_won_minor: i64,
    pub commit_minor: i64,
    pub best_case_minor: i64,
    pub pipeline_minor: i64,
    pub omitted_minor: i64,
    /// Closed won ÷ quota, in basis points (half-even), when there is a quota.
    pub attainment_bp: Option<i64>,
    /// Quota − closed won (negative once the quota is passed).
    pub gap_minor: Option<i64>,
    /// The member's latest call, and the latest adjustment made after it.
    pub call_minor: Option<i64>,
    pub adjusted_minor: Option<i64>,
    pub open_deals: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    pub period: Period,
    pub currency: Currency,
    pub owners: Vec<ForecastRow>,
    pub team: ForecastRow,
    /// Every call and adjustment of the period, oldest first (for the people shown).
    pub calls: Vec<ForecastCall>,
    /// Deals counted without their money: a currency with no rate.
    pub unconverted_count: u64,
}

#[derive(Debug, Clone, Default)]
struct Sums {
    closed_won: i128,
    by_category: [i128; 5],
    open: u64,
}

fn category_index(c: ForecastCategory) -> usize {
    match c {
        ForecastCategory::Commit => 0,
        ForecastCategory::BestCase => 1,
        ForecastCategory::Pipeline => 2,
        ForecastCategory::Omitted => 3,
        ForecastCategory::Closed => 4,
    }
}

fn minor(field: &str, value: i128) -> Result<i64> {
    i64::try_from(value).map_err(|_| KeelError::invalid(field, "is beyond what Keel can report"))
}

/// Who the caller may see: a sales leader everyone (or the owner asked for); anyone
/// else only themselves.
fn scope(ws: &Workspace, actor: TeamMemberId, owner: Option<TeamMemberId>) -> Result<Option<TeamMemberId>> {
    let me = policy::active_member(ws.conn(), actor)?;
    if policy::allows(me.role, Capability::LeadSales) {
        return Ok(owner);
    }
    match owner {
        Some(other) if other != actor => Err(KeelError::Forbidden(format!(
            "only a sales leader may see another member's forecast ({} is {})",
            me.name,
            me.role.as_str().replace('-', " ")
        ))),
        _ => Ok(Some(actor)),
    }
}

/// The open deals behind the roll-up's category columns: one member's (the caller's
/// unless a sales leader asks for another's), expected to close in the period, in
/// expected-close order, `limit` from `offset`; with how many there are in all.
pub fn deals_in_period(
    ws: &Workspace,
    who: Principal,
    period: &str,
    owner: Option<TeamMemberId>,
    category: Option<ForecastCategory>,
    offset: u32,
    limit: u32,
) -> Result<PeriodDeals> {
    let period = Period::parse("period", period)?;
    let owner = scope(ws, who.member(), owner)?;
    let query = crate::services::deals::DealQuery {
        owner_id: owner,
        status: crate::store::deals::DealStatus::Open,
        close_from: Some(period.from),
        close_to: Some(period.to),
        offset: Some(offset),
        limit: Some(limit.min(500)),
        ..Default::default()
    };
    let mut by_category = Vec::new();
    for c in ForecastCategory::ALL {
        let n = crate::services::deals::count(
            ws,
            who,
            &crate::services::deals::DealQuery { forecast: Some(*c), ..query.clone() },
        )?;
        if n > 0 {
            by_category.push((*c, n));
        }
    }
    let query = crate::services::deals::DealQuery { forecast: category, ..query };
    Ok(PeriodDeals {
        deals: crate::services::deals::list(ws, who, &query)?,
        total: crate::services::deals::count(ws, who, &query)?,
        by_category,
    })
}

/// A page of the deals behind the category columns.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodDeals {
    pub deals: Vec<crate::store::deals::Deal>,
    /// How many match (the category asked for, or all).
    pub total: u64,
    /// How many open deals of the period each category holds (those with any).
    pub by_category: Vec<(ForecastCategory, u64)>,
}

/// The roll-up for a period, for everyone the caller may see (see [`scope`]).
pub fn forecast(
    ws: &Workspace,
    who: Principal,
    period: &str,
    owner: Option<TeamMemberId>,
) -> Result<Forecast> {
    forecast_as_of(ws, who, period, owner, None)
}

/// The roll-up as it stood at the end of `as_of` (today's when None): the deals as they
/// stood then (from their histories), closed won by then at the rate of each closing
/// day, open ones at that day's rates, and the quotas and calls made by then.
pub fn forecast_as_of(
    ws: &Workspace,
    who: Principal,
    period: &str,
    owner: Option<TeamMemberId>,
    as_of: Option<NaiveDate>,
) -> Result<Forecast> {
    let period = Period::parse("period", period)?;
    let owner = scope(ws, who.member(), owner)?;
    let conn = ws.conn();
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(conn, reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let (sums, unconverted, until) = match as_of {
        None => {
            let (sums, unconverted) = sums_today(ws, &period, owner, &stages, reporting, &rates)?;
            (sums, unconverted, None)
        }
        Some(day) => {
            super::as_of::check_past(ws, "as_of", day)?;
            let (sums, unconverted) = sums_then(ws, &period, owner, &stages, reporting, &rates, day)?;
            (sums, unconverted, Some(crate::store::as_of::end_of_day(day)))
        }
    };
    assemble(ws, period, owner, reporting, sums, unconverted, until.as_deref())
}

/// Per owner: closed won and open deals by category, from the report projection.
fn sums_today(
    ws: &Workspace,
    period: &Period,
    owner: Option<TeamMemberId>,
    stages: &[crate::store::stages::Stage],
    reporting: Currency,
    rates: &RateTable,
) -> Result<(BTreeMap<i64, Sums>, u64)> {
    let conn = ws.conn();
    let query =
        MetricsQuery { owner, from: Some(period.from), to: Some(period.to), ..MetricsQuery::default() };
    let filter = fact_filter(ws, &query)?;
    let categories: HashMap<DealId, ForecastCategory> =
        store_forecast::open_categories(conn, period.from, period.to)?;
    let mut counter = Counter::new(stages, reporting, rates, &query);
    let mut sums = OwnerSums::default();
    facts::scan(conn, &facts::scan_sql(&filter), |fact| {
        let category = categories.get(&DealId(fact.deal_id)).copied();
        sums.add(&mut counter, fact, category);
    })?;
    sums.finish()
}

/// Per owner, as the deals stood at the end of `day`, valued at that day's rates.
fn sums_then(
    ws: &Workspace,
    period: &Period,
    owner: Option<TeamMemberId>,
    stages: &[crate::store::stages::Stage],
    reporting: Currency,
    rates: &RateTable,
    day: NaiveDate,
) -> Result<(BTreeMap<i64, Sums>, u64)> {
    let query =
        MetricsQuery { owner, from: Some(period.from), to: Some(period.to), ..MetricsQuery::default() };
    let mut counter = Counter::new(stages, reporting, rates, &query).valuing_open_on(day);
    let mut sums = OwnerSums::default();
    let past = PastDays::new([day], stages, rates, reporting.code()).with_categories();
    past.scan(ws.conn(), |[then]| {
        let Some(then) = then else { return };
        if owner.is_some_and(|o| o.0 != then.fact.owner_id) {
            return;
        }
        // The owner's category then, or the stage's.
        let category = then
            .forecast_override
            .and_then(|c| ForecastCategory::parse("forecast", c).ok())
            .or_else(|| stages.iter().find(|s| s.id.0 == then.fact.stage_id).map(|s| s.forecast_category));
        sums.add(&mut counter, &then.fact, category);
    })?;
    sums.finish()
}

/// The roll-up's sums per owner while a scan runs.
#[derive(Default)]
struct OwnerSums {
    sums: BTreeMap<i64, Sums>,
    unconverted: u64,
    /// A deal in a stage outside the pipeline (a schema problem).
    failure: Option<i64>,
}

impl OwnerSums {
    /// Counts one deal: open and expected in the period under its category, or won in it.
    fn add(
        &mut self,
        counter: &mut Counter<'_>,
        fact: &facts::FactRef<'_>,
        category: Option<ForecastCategory>,
    ) {
        let Some(counted) = counter.count(fact) else {
            self.failure.get_or_insert(fact.deal_id);
            return;
        };
        match counted {
            Counted::Open { value, month_day: Some(_), .. } => {
                let Some(category) = category else { return };
                if value.is_none() && fact.amount_minor.is_some() {
                    self.unconverted += 1;
                }
                let s = self.sums.entry(fact.owner_id).or_default();
                s.open += 1;
                s.by_category[category_index(category)] += value.unwrap_or(0);
            }
            Counted::Won { won, in_period: true } => {
                if won.value.is_none() && fact.amount_minor.is_some() {
                    self.unconverted += 1;
                }
                self.sums.entry(fact.owner_id).or_default().closed_won += won.value.unwrap_or(0);
            }
            _ => {}
        }
    }

    fn finish(self) -> Result<(BTreeMap<i64, Sums>, u64)> {
        if let Some(deal) = self.failure {
            return Err(KeelError::Schema(format!("deal {deal} is in a stage outside the default pipeline")));
        }
        Ok((self.sums, self.unconverted))
    }
}

/// The rows from the sums, with the quotas and calls in force (by `until`, when given).
fn assemble(
    ws: &Workspace,
    period: Period,
    owner: Option<TeamMemberId>,
    reporting: Currency,
    sums: BTreeMap<i64, Sums>,
    unconverted: u64,
    until: Option<&str>,
) -> Result<Forecast> {
    let conn = ws.conn();
    let quotas: HashMap<i64, Quota> = store_forecast::quotas_until(conn, Some(&period.name), until)?
        .into_iter()
        .filter(|q| owner.is_none_or(|o| o == q.member_id))
        .map(|q| (q.member_id.0, q))
        .collect();
    let calls: Vec<ForecastCall> = store_forecast::calls(conn, &period.name)?
        .into_iter()
        .filter(|c| owner.is_none_or(|o| o == c.member_id))
        .filter(|c| until.is_none_or(|u| crate::store::instant_text(c.at).as_str() <= u))
        .collect();
    // Everyone who carries deals is on the roll-up, and anyone with a quota or deals in it.
    let mut people: BTreeMap<i64, String> = BTreeMap::new();
    for member in team::list(ws)? {
        let carries = member.is_active() && policy::allows(member.role, Capability::OwnDeals);
        let involved = sums.contains_key(&member.id.0) || quotas.contains_key(&member.id.0);
        if owner.is_none_or(|o| o == member.id) && (carries || involved) {
            people.insert(member.id.0, member.name);
        }
    }
    let mut owners = Vec::new();
    let mut team_sums = Sums::default();
    let mut team_quota: Option<i128> = None;
    for (id, name) in &people {
        let s = sums.get(id).cloned().unwrap_or_default();
        let quota = quotas.get(id).map(|q| q.amount.amount_minor);
        if let Some(q) = quota {
            *team_quota.get_or_insert(0) += i128::from(q);
        }
        team_sums.closed_won += s.closed_won;
        team_sums.open += s.open;
        for i in 0..5 {
            team_sums.by_category[i] += s.by_category[i];
        }
        let member_calls: Vec<&ForecastCall> = calls.iter().filter(|c| c.member_id.0 == *id).collect();
        let last_call = member_calls.iter().rposition(|c| c.kind == "call");
        let call_minor = last_call.map(|i| member_calls[i].amount.amount_minor);
        let adjusted_minor = member_calls
            .iter()
            .enumerate()
            .rfind(|(i, c)| c.kind == "adjustment" && last_call.is_none_or(|l| *i > l))
            .map(|(_, c)| c.amount.amount_minor);
        owners.push(row(
            Some(TeamMemberId(*id)),
            name.clone(),
            quota.map(i128::from),
            &s,
            call_minor,
            adjusted_minor,
        )?);
    }
    // The team's quota is its members' only when every one of them has one: attainment
    // against part of the team would overstate it.
    let everyone_has_one = owners.iter().all(|r| r.quota_minor.is_some());
    let team_row = row(None, "Team".into(), team_quota.filter(|_| everyone_has_one), &team_sums, None, None)?;
    Ok(Forecast {
        period,
        currency: reporting,
        owners,
        team: team_row,
        calls,
        unconverted_count: unconverted,
    })
}

fn row(
    owner_id: Option<TeamMemberId>,
    owner_name: String,
    quota: Option<i128>,
    s: &Sums,
    call_minor: Option<i64>,
    adjusted_minor: Option<i64>,
) -> Result<ForecastRow> {
    let attainment = quota.filter(|q| *q > 0).map(|q| div_round_half_even(s.closed_won * 10_000, q));
    Ok(ForecastRow {
        owner_id,
        owner_name,
        quota_minor: quota.map(|q| minor("quota", q)).transpose()?,
        closed_won_minor: minor("closed_won", s.closed_won)?,
        // An open deal its owner already calls closed counts as committed.
        commit_minor: minor("commit", s.by_category[0] + s.by_category[4])?,
        best_case_minor: minor("best_case", s.by_category[1])?,
        pipeline_minor: minor("pipeline", s.by_category[2])?,
        omitted_minor: minor("omitted", s.by_category[3])?,
        attainment_bp: attainment.map(|a| minor("attainment", a)).transpose()?,
        gap_minor: quota.map(|q| minor("gap", q - s.closed_won)).transpose()?,
        call_minor,
        adjusted_minor,
        open_deals: s.open,
    })
}

/// An amount as typed, in the reporting currency as it is inside the write that keeps it.
fn reporting_amount(
    tx: &rusqlite::Connection,
    field: &str,
    amount: &str,
    currency: Option<&str>,
) -> Result<Money> {
    let reporting = Currency::parse("reporting_currency", &crate::store::settings::reporting_currency(tx)?)?;
    if let Some(code) = currency {
        let given = Currency::parse("currency", code.trim())?;
        if given != reporting {
            return Err(KeelError::invalid(
                "currency",
                format!(
                    "forecasts are kept in the reporting currency, {}; {} was given",
                    reporting.code(),
                    given.code()
                ),
            ));
        }
    }
    Money::parse(field, amount, reporting)
}

/// Sets a member's quota for a period (a sales leader; the earlier one stays on record).
pub fn set_quota(
    ws: &mut Workspace,
    who: Principal,
    member: TeamMemberId,
    period: &str,
    amount: &str,
    currency: Option<&str>,
) -> Result<Quota> {
    let period = Period::parse("period", period)?;
    ws.write_as(who, |tx, now| {
        let amount = reporting_amount(tx, "amount", amount, currency)?;
        policy::require(tx, who, Capability::LeadSales, "set quotas")?;
        let holder = policy::active_member(tx, member)?;
        if !policy::allows(holder.role, Capability::OwnDeals) {
            return Err(KeelError::NotAllowed(format!(
                "{} does not carry deals ({}): quotas are for those who do",
                holder.name,
                holder.role.as_str().replace('-', " ")
            )));
        }
        store_forecast::insert_quota(tx, member, &period.name, amount, who.member(), now)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "quota.set",
            "team_member",
            member.0,
            serde_json::json!({"after": {"period": period.name, "amount_minor": amount.amount_minor, "currency": amount.currency}}),
        )
    })?;
    quotas(ws, who, Some(&period.name))?
        .into_iter()
        .find(|q| q.member_id == member)
        .ok_or_else(|| KeelError::not_found("quota", member.0))
}

/// Quotas in force: a sales leader sees everyone's, anyone else their own.
pub fn quotas(ws: &Workspace, who: Principal, period: Option<&str>) -> Result<Vec<Quota>> {
    let period = period.map(|p| Period::parse("period", p)).transpose()?;
    let mine = scope(ws, who.member(), None)?;
    Ok(store_forecast::quotas(ws.conn(), period.as_ref().map(|p| p.name.as_str()))?
        .into_iter()
        .filter(|q| mine.is_none_or(|m| m == q.member_id))
        .collect())
}

/// A member calls their number for a period, with a note (those who carry deals).
pub fn submit_call(
    ws: &mut Workspace,
    who: Principal,
    period: &str,
    amount: &str,
    note: &str,
) -> Result<ForecastCall> {
    let period = Period::parse("period", period)?;
    let note = note.trim();
    ws.write_as(who, |tx, now| {
        let amount = reporting_amount(tx, "amount", amount, None)?;
        if note.is_empty() {
            return Err(KeelError::invalid("note", "say what the number rests on"));
        }
        policy::require(tx, who, Capability::OwnDeals, "call a forecast")?;
        store_forecast::insert_call(
            tx,
            &store_forecast::NewCall {
                member: who.member(),
                period: &period.name,
                kind: "call",
                amount,
                note,
                by: who.member(),
            },
            now,
        )?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "forecast.call",
            "team_member",
            who.member().0,
            serde_json::json!({
                "after": {"period": period.name, "amount_minor": amount.amount_minor, "note": note}
            }),
        )
    })?;
    latest_call(ws, &period.name, who.member())
}

/// A sales leader adjusts a member's call, with a reason.
pub fn adjust_call(
    ws: &mut Workspace,
    who: Principal,
    member: TeamMemberId,
    period: &str,
    amount: &str,
    reason: &str,
) -> Result<ForecastCall> {
    let period = Period::parse("period", period)?;
    let reason = reason.trim();
    ws.write_as(who, |tx, now| {
        let amount = reporting_amount(tx, "amount", amount, None)?;
        if reason.is_empty() {
            return Err(KeelError::invalid("reason", "an adjustment says why"));
        }
        policy::require(tx, who, Capability::LeadSales, "adjust forecast calls")?;
        let called = store_forecast::calls(tx, &period.name)?
            .iter()
            .any(|c| c.member_id == member && c.kind == "call");
        if !called {
            let name = policy::active_member(tx, member)?.name;
            return Err(KeelError::NotAllowed(format!(
                "{name} has not called {} yet: there is nothing to adjust",
                period.name
            )));
        }
        store_forecast::insert_call(
            tx,
            &store_forecast::NewCall {
                member,
                period: &period.name,
                kind: "adjustment",
                amount,
                note: reason,
                by: who.member(),
            },
            now,
        )?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "forecast.adjust",
            "team_member",
            member.0,
            serde_json::json!({
                "after": {"period": period.name, "amount_minor": amount.amount_minor, "reason": reason}
            }),
        )
    })?;
    latest_call(ws, &period.name, member)
}

fn latest_call(ws: &Workspace, period: &str, member: TeamMemberId) -> Result<ForecastCall> {
    store_forecast::calls(ws.conn(), period)?
        .into_iter()
        .rev()
        .find(|c| c.member_id == member)
        .ok_or_else(|| KeelError::not_found("forecast call", member.0))
}

/// The first and last day of a date's month (for the CLI's "this quarter" default).
pub fn current_quarter(today: NaiveDate) -> String {
    format!("{}-Q{}", today.year(), today.month0() / 3 + 1)
}
