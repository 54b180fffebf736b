//! `keel metrics`: win rate, pipeline, cycle length, deal size, partner-sourced
//! revenue, the stage funnel and progress against targets, for a period and filters.
//!
//! One ordered scan of `deal_facts` (open deals, then deals closed since the period's
//! start) feeds every figure; money converts into the reporting currency as it is read
//! (closed deals at their frozen rate, open deals at the latest rate).

mod as_of;
mod board;
pub mod changes;
mod drill;
pub mod forecast;
mod funnel;
mod progress;
mod tally;

pub use as_of::{board_as_of, board_as_of_with_cards, BoardThen};
pub use board::{board, Board, BoardColumn, BoardQuery};
pub use drill::{drill, drill_as_of, Drill, DrillRow, Figure};
pub use funnel::FunnelStage;
pub use progress::TargetProgress;
pub use tally::Figures;

use crate::domain::DealType;
use crate::domain::{DealSource, Segment};
use crate::money::{Currency, FxRate};
use crate::services::policy::{self, Principal};
use crate::services::{fx, pipeline, team, Workspace};
use crate::store;
use crate::store::as_of::PastDays;
use crate::store::facts::{self, day_date, unpack_history, FactFilter, FactRef};
use crate::store::fx::RateTable;
use crate::store::stages::Stage;
use crate::{KeelError, Result};
use chrono::Datelike;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tally::{Tally, Won};

#[derive(Debug, Clone, Default)]
pub struct MetricsQuery {
    /// First close date of the period (inclusive); all time before when None.
    pub from: Option<NaiveDate>,
    /// Last close date of the period (inclusive).
    pub to: Option<NaiveDate>,
    /// Only this member's deals (an id, as every filter of deals takes it).
    pub owner: Option<crate::domain::TeamMemberId>,
    pub segment: Option<Segment>,
    pub source: Option<DealSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub currency: Currency,
    #[serde(flatten)]
    pub figures: Figures,
    pub by_owner: Vec<Group>,
    pub by_source: Vec<Group>,
    pub by_segment: Vec<Group>,
    pub by_month: Vec<Group>,
    pub funnel: Vec<FunnelStage>,
    pub targets: Vec<TargetProgress>,
    pub unconverted: Vec<Unconverted>,
}

/// The figures of one owner, source, segment or month (exactly one key is set).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// `YYYY-MM`: closed deals by close month, open deals by expected close month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A deal left out of money figures because its currency has no rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unconverted {
    pub deal_id: i64,
    pub currency: String,
    pub amount_minor: i64,
    /// `open` or `won`.
    pub status: &'static str,
}

/// What a report needs of each stage, by stage id.
#[derive(Clone, Copy, Default)]
struct StageFacts {
    closed: bool,
    won: bool,
    probability_bp: i64,
}

/// A known currency and the rate its open deals convert at (None: no rate).
type Convertible = (Currency, Option<FxRate>);

/// The currencies met so far, with the rate an open deal converts at.
struct Currencies<'r> {
    reporting: Currency,
    rates: &'r RateTable,
    /// Open deals convert at the rates in force on this day (`YYYY-MM-DD`); the latest when None.
    open_on: Option<String>,
    seen: Vec<(String, Option<Convertible>)>,
}

impl Currencies<'_> {
    fn lookup(&mut self, code: &str) -> Option<Convertible> {
        if let Some((_, found)) = self.seen.iter().find(|(c, _)| c == code) {
            return *found;
        }
        let found = Currency::parse("currency", code).ok().map(|currency| {
            let rate = if currency == self.reporting {
                Some(FxRate::IDENTITY)
            } else {
                match &self.open_on {
                    Some(day) => self.rates.on(code, day).map(|(_, rate)| rate),
                    None => self.rates.latest(code),
                }
            };
            (currency, rate)
        });
        self.seen.push((code.to_string(), found));
        found
    }

    fn open_value(&mut self, fact: &FactRef<'_>) -> Option<i128> {
        let (currency, rate) = self.lookup(fact.currency)?;
        let amount = fact.amount_minor?;
        rate.map(|rate| rate.convert(amount, currency, self.reporting))
    }

    fn closed_value(&mut self, fact: &FactRef<'_>) -> Option<i128> {
        let (currency, _) = self.lookup(fact.currency)?;
        let amount = fact.amount_minor?;
        fact.closed_rate_e9.map(|rate| FxRate(rate).convert(amount, currency, self.reporting))
    }
}

/// How one deal counts in a report: the one place that decides, shared by the
/// report and its drill-down so a figure and the deals behind it cannot disagree.
enum Counted {
    /// Open now; `month_day` is its expected close day when that falls in the period.
    Open {
        value: Option<i128>,
        probability_bp: i64,
        month_day: Option<i32>,
    },
    Won {
        won: Won,
        in_period: bool,
    },
    Lost {
        in_period: bool,
    },
}

/// Classifies facts for one report: stage facts by id, currencies, the period.
struct Counter<'r> {
    stage_facts: Vec<StageFacts>,
    currencies: Currencies<'r>,
    from_day: i32,
    to_day: i32,
    partner: Option<usize>,
}

impl<'r> Counter<'r> {
    fn new(stages: &[Stage], reporting: Currency, rates: &'r RateTable, query: &MetricsQuery) -> Counter<'r> {
        let mut stage_facts = Vec::new();
        for stage in stages {
            let id = stage.id.0 as usize;
            if stage_facts.len() <= id {
                stage_facts.resize(id + 1, StageFacts::default());
            }
            stage_facts[id] = StageFacts {
                closed: stage.is_closed,
                won: stage.is_won,
                probability_bp: i64::from(stage.default_probability.0),
            };
        }
        Counter {
            stage_facts,
            currencies: Currencies { reporting, rates, open_on: None, seen: Vec::new() },
            from_day: query.from.map_or(i32::MIN, |d| d.num_days_from_ce()),
            to_day: query.to.map_or(i32::MAX, |d| d.num_days_from_ce()),
            partner: DealSource::ALL.iter().position(|s| *s == DealSource::Partner),
        }
    }

    /// Values open deals as they were valued at the end of `day` (an as-of report).
    fn valuing_open_on(mut self, day: NaiveDate) -> Self {
        self.currencies.open_on = Some(day.to_string());
        self
    }

    fn in_period(&self, day: i32) -> bool {
        day >= self.from_day && day <= self.to_day
    }

    /// None when the deal's stage is not in the pipeline (a schema problem).
    fn count(&mut self, fact: &FactRef<'_>) -> Option<Counted> {
        let stage = self.stage_facts.get(fact.stage_id as usize).copied()?;
        Some(if fact.closed_day == 0 {
            Counted::Open {
                value: self.currencies.open_value(fact),
                probability_bp: fact.probability_override_bp.unwrap_or(stage.probability_bp),
                month_day: self.in_period(fact.expected_close_day).then_some(fact.expected_close_day),
            }
        } else if stage.won {
            Counted::Won {
                won: Won {
                    value: self.currencies.closed_value(fact),
                    // An imported deal may close before its recorded creation: a day-0 cycle.
                    cycle_days: (fact.closed_day - fact.created_day).max(0),
                    from_registration: fact.from_registration,
                    partner_source: Some(fact.source) == self.partner,
                },
                in_period: self.in_period(fact.closed_day),
            }
        } else {
            Counted::Lost { in_period: stage.closed && self.in_period(fact.closed_day) }
        })
    }
}

/// Tallies for every grouping of the report.
struct Groups {
    total: Tally,
    by_owner: HashMap<i64, Tally>,
    /// By position in `DealSource::ALL` and `Segment::ALL`.
    by_source: Vec<Tally>,
    by_segment: Vec<Tally>,
    /// By year × 12 + month − 1.
    by_month: BTreeMap<i32, Tally>,
}

impl Groups {
    fn new() -> Groups {
        Groups {
            total: Tally::default(),
            by_owner: HashMap::new(),
            by_source: vec![Tally::default(); DealSource::ALL.len()],
            by_segment: vec![Tally::default(); Segment::ALL.len()],
            by_month: BTreeMap::new(),
        }
    }

    /// Applies `add` to the total and to each group the deal belongs to; `day` picks the month.
    fn each(&mut self, fact: &FactRef<'_>, day: Option<i32>, add: impl Fn(&mut Tally)) {
        add(&mut self.total);
        add(self.by_owner.entry(fact.owner_id).or_default());
        if let Some(t) = self.by_source.get_mut(fact.source) {
            add(t);
        }
        if let Some(t) = self.by_segment.get_mut(fact.segment) {
            add(t);
        }
        if let Some(date) = day.and_then(day_date) {
            add(self.by_month.entry(date.year() * 12 + date.month0() as i32).or_default());
        }
    }
}

/// Computes the report. Every figure is defined in the README ("Sales metrics").
pub fn compute(ws: &Workspace, who: Principal, query: &MetricsQuery) -> Result<Metrics> {
    policy::reading(ws.conn(), who)?;
    compute_at(ws, query, None)
}

/// The report as it stood at the end of a past day: the deals as they stood then (stage,
/// amount, currency, close date, owner), open deals valued at that day's rates, and
/// targets measured up to that day; for today, today's report.
pub fn compute_as_of(
    ws: &Workspace,
    who: Principal,
    query: &MetricsQuery,
    day: NaiveDate,
) -> Result<Metrics> {
    policy::reading(ws.conn(), who)?;
    as_of::check_past(ws, "as_of", day)?;
    compute_at(ws, query, Some(day))
}

/// What one report scan accumulates.
struct Scan<'r> {
    counter: Counter<'r>,
    groups: Groups,
    funnel: funnel::Funnel<'r>,
    unconverted: Vec<Unconverted>,
    won_for_targets: Vec<progress::WonForTargets>,
    /// Whether the scan sees every won deal, so targets need no second scan.
    targets_from_scan: bool,
    /// A deal in a stage outside the pipeline (a schema problem).
    failure: Option<i64>,
}

impl Scan<'_> {
    /// Counts a deal the report covers: open, or closed within the period's reach.
    fn visit(&mut self, fact: &FactRef<'_>) {
        let Some(counted) = self.counter.count(fact) else {
            self.failure.get_or_insert(fact.deal_id);
            return;
        };
        let groups = &mut self.groups;
        match counted {
            Counted::Open { value, probability_bp, month_day } => {
                // A deal whose amount is not known counts, and is counted apart; one whose
                // currency has no rate is listed as unconverted.
                match (value, fact.amount_minor) {
                    (None, Some(_)) => self.unconverted.push(unconverted_deal(fact, "open")),
                    (_, None) => groups.each(fact, month_day, Tally::add_without_amount),
                    _ => {}
                }
                groups.each(fact, month_day, |t| t.add_open(value, probability_bp));
            }
            Counted::Won { won, in_period } => {
                if in_period {
                    match (won.value, fact.amount_minor) {
                        (None, Some(_)) => self.unconverted.push(unconverted_deal(fact, "won")),
                        (_, None) => groups.each(fact, Some(fact.closed_day), Tally::add_without_amount),
                        _ => {}
                    }
                    groups.each(fact, Some(fact.closed_day), |t| t.add_won(&won));
                }
                if self.targets_from_scan {
                    self.won_for_targets.push(won_for_target(fact, won.value));
                }
            }
            Counted::Lost { in_period: true } => {
                if fact.amount_minor.is_none() {
                    groups.each(fact, Some(fact.closed_day), Tally::add_without_amount);
                }
                groups.each(fact, Some(fact.closed_day), Tally::add_lost)
            }
            Counted::Lost { in_period: false } => {}
        }
        self.funnel.add(unpack_history(fact.history), self.counter.from_day, self.counter.to_day);
    }

    /// A deal closed before the period: it only counts towards targets, when won.
    fn won_before(&mut self, fact: &FactRef<'_>) {
        if let Some(Counted::Won { won, .. }) = self.counter.count(fact) {
            self.won_for_targets.push(won_for_target(fact, won.value));
        }
    }
}

fn compute_at(ws: &Workspace, query: &MetricsQuery, as_of: Option<NaiveDate>) -> Result<Metrics> {
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if to < from {
            return Err(KeelError::invalid("to", format!("must not be before from ({from})")));
        }
    }
    let filter = fact_filter(ws, query)?;
    let conn = ws.conn();
    let reporting = fx::reporting_currency(ws)?;
    let rates = RateTable::load(conn, reporting.code())?;
    let stages = pipeline::stages(ws)?;
    let today = as_of.unwrap_or_else(|| ws.today());
    let targets = targets_in_period(ws, query, today)?;
    let latest_as_of = targets.iter().map(|t| t.1).max();

    let mut counter = Counter::new(&stages, reporting, &rates, query);
    if let Some(day) = as_of {
        counter = counter.valuing_open_on(day);
    }
    let mut scan = Scan {
        counter,
        groups: Groups::new(),
        funnel: funnel::Funnel::new(&stages),
        unconverted: Vec::new(),
        won_for_targets: Vec::new(),
        // The scan sees every won deal when the period is open at the start, and a past
        // day's scan reads every deal.
        targets_from_scan: query.from.is_none() || as_of.is_some(),
        failure: None,
    };
    match as_of {
        None => facts::scan(conn, &facts::scan_sql(&filter), |fact| scan.visit(fact))?,
        Some(day) => PastDays::new([day], &stages, &rates, reporting.code()).scan(conn, |[then]| {
            let Some(fact) = then.as_ref().map(|t| &t.fact).filter(|f| filter.matches_dimensions(f)) else {
                return;
            };
            if fact.closed_day > 0 && filter.closed_since.is_some_and(|since| fact.closed_day < since) {
                scan.won_before(fact);
            } else {
                scan.visit(fact);
            }
        })?,
    }
    if let Some(deal) = scan.failure {
        return Err(KeelError::Schema(format!("deal {deal} is in a stage outside the default pipeline")));
    }
    if let (false, Some(until)) = (scan.targets_from_scan, latest_as_of) {
        facts::scan(conn, &facts::closed_until_sql(&filter, until), |fact| scan.won_before(fact))?;
    }
    let Scan { groups, funnel, mut unconverted, mut won_for_targets, .. } = scan;
    won_for_targets.sort_by_key(|w| w.day);
    unconverted.sort_by_key(|u: &Unconverted| u.deal_id);

    let names: HashMap<i64, String> =
        store::team::list(conn)?.into_iter().map(|m| (m.id.0, m.name)).collect();
    let Groups { total, by_owner, by_source, by_segment, by_month } = groups;
    let mut owners: Vec<(String, Tally)> = by_owner
        .into_iter()
        .map(|(id, t)| (names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")), t))
        .collect();
    owners.sort_by_key(|o| o.0.to_lowercase());
    let keyed = |by: GroupedBy, tallies: Vec<(String, Tally)>| -> Result<Vec<Group>> {
        tallies
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(name, t)| Ok(Group::new(by, name, t.figures()?)))
            .collect()
    };
    Ok(Metrics {
        currency: reporting,
        figures: total.figures()?,
        by_owner: keyed(GroupedBy::Owner, owners)?,
        by_source: keyed(GroupedBy::Source, named(DealSource::ALL, DealSource::as_str, by_source))?,
        by_segment: keyed(GroupedBy::Segment, named(Segment::ALL, Segment::as_str, by_segment))?,
        by_month: keyed(
            GroupedBy::Month,
            by_month
                .into_iter()
                .map(|(m, t)| (format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1), t))
                .collect(),
        )?,
        funnel: funnel.finish(),
        targets: progress::progress(&won_for_targets, &targets, reporting, &rates),
        unconverted,
    })
}

/// The filter of the report's scans, names resolved and checked.
fn fact_filter(ws: &Workspace, query: &MetricsQuery) -> Result<FactFilter> {
    Ok(FactFilter {
        closed_since: query.from.map(|d| d.num_days_from_ce()),
        owner_id: query.owner.map(|id| team::get(ws, id)).transpose()?.map(|m| m.id.0),
        segment: query.segment,
        source: query.source,
    })
}

/// SQLite's plan for each query [`compute`] runs for `query` (the plan tests read these).
pub fn query_plans(ws: &Workspace, query: &MetricsQuery) -> Result<Vec<Vec<String>>> {
    let filter = fact_filter(ws, query)?;
    let mut plans = vec![facts::plan(ws.conn(), &facts::scan_sql(&filter))?];
    let today = ws.today();
    if let (Some(_), Some(until)) =
        (query.from, targets_in_period(ws, query, today)?.iter().map(|t| t.1).max())
    {
        plans.push(facts::plan(ws.conn(), &facts::closed_until_sql(&filter, until))?);
    }
    Ok(plans)
}

/// Tallies by vocabulary position, named and in alphabetical order.
fn named<T: Copy>(all: &[T], name: fn(T) -> &'static str, tallies: Vec<Tally>) -> Vec<(String, Tally)> {
    let mut named: Vec<(String, Tally)> =
        all.iter().zip(tallies).map(|(v, t)| (name(*v).to_string(), t)).collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

#[derive(Clone, Copy)]
enum GroupedBy {
    Owner,
    Source,
    Segment,
    Month,
}

impl Group {
    fn new(by: GroupedBy, name: String, figures: Figures) -> Group {
        let mut group = Group { owner: None, source: None, segment: None, month: None, figures };
        let key = match by {
            GroupedBy::Owner => &mut group.owner,
            GroupedBy::Source => &mut group.source,
            GroupedBy::Segment => &mut group.segment,
            GroupedBy::Month => &mut group.month,
        };
        *key = Some(name);
        group
    }
}

fn unconverted_deal(fact: &FactRef<'_>, status: &'static str) -> Unconverted {
    Unconverted {
        deal_id: fact.deal_id,
        currency: fact.currency.to_string(),
        amount_minor: fact.amount_minor.unwrap_or(0),
        status,
    }
}

fn won_for_target(fact: &FactRef<'_>, value: Option<i128>) -> progress::WonForTargets {
    progress::WonForTargets {
        day: fact.closed_day,
        account_id: fact.account_id,
        enterprise: Segment::ALL.get(fact.segment) == Some(&Segment::Enterprise),
        arr_value: value.filter(|_| DealType::ALL.get(fact.deal_type) != Some(&DealType::Renewal)),
    }
}

/// Targets whose period overlaps the report's, with their as-of date (the earliest of
/// the period's end, the report's end and today) as a day number and a date.
fn targets_in_period(
    ws: &Workspace,
    query: &MetricsQuery,
    today: NaiveDate,
) -> Result<Vec<(store::targets::Target, i32, NaiveDate)>> {
    Ok(store::targets::list(ws.conn())?
        .into_iter()
        .filter(|t| {
            query.from.is_none_or(|from| t.ends_on >= from) && query.to.is_none_or(|to| t.starts_on <= to)
        })
        .map(|t| {
            let as_of = [Some(t.ends_on), query.to, Some(today)].into_iter().flatten().min().unwrap_or(today);
            (t, as_of.num_days_from_ce(), as_of)
        })
        .collect())
}
