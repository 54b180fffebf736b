//! `keel metrics` against an independent computation: the test keeps its own record of
//! every deal it creates and moves (through the real services), computes each figure
//! from that record with plain code, and expects exactly the service's answer.

use crate::partners::Program;
use crate::CurrentUser;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use keel::domain::{AccountId, AeSegment, DealId, DealSource, DealType, Role, Segment};
use keel::services::accounts::{self as account_svc, AccountInput};
use keel::services::metrics::{self, MetricsQuery};
use keel::services::moves::{move_deal, MoveInput};
use keel::services::{deals, fx, team};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const STAGES: [&str; 7] = [
    "Lead",
    "Qualification",
    "Discovery & Demo",
    "Proof of Concept",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
];
const DEFAULT_BP: [i64; 5] = [500, 1_000, 2_500, 5_000, 7_500];

/// What the test knows about one deal.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    owner: String,
    segment: &'static str,
    source: &'static str,
    account: i64,
    currency: &'static str,
    amount: i64,
    created: NaiveDate,
    expected: NaiveDate,
    override_bp: Option<i64>,
    /// Index in STAGES of each stage entered, with the day.
    history: Vec<(usize, NaiveDate)>,
    registered: bool,
    /// The rate (×10^9) in force on the close date when the deal closed.
    frozen: Option<i64>,
}

impl Known {
    fn stage(&self) -> usize {
        self.history.last().expect("history").0
    }
    fn closed_on(&self) -> Option<NaiveDate> {
        (self.stage() >= 5).then(|| self.history.last().expect("history").1)
    }
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn at(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(10, 0, 0).expect("time"))
}

/// Rates known when the deals were worked: (currency, from, rate ×10^9).
const RATES: [(&str, (i32, u32, u32), i64); 3] = [
    ("EUR", (2026, 1, 1), 1_083_200_000),
    ("EUR", (2026, 5, 1), 1_120_000_000),
    ("GBP", (2026, 1, 1), 1_271_500_000),
];

fn rate_on(rates: &[(&str, NaiveDate, i64)], currency: &str, on: NaiveDate) -> Option<i64> {
    if currency == "USD" {
        return Some(1_000_000_000);
    }
    rates.iter().filter(|r| r.0 == currency && r.1 <= on).max_by_key(|r| r.1).map(|r| r.2)
}

fn latest(rates: &[(&str, NaiveDate, i64)], currency: &str) -> Option<i64> {
    rate_on(rates, currency, day(9999, 12, 31))
}

/// Half-even rounding of n / d (d > 0), written out again so the test does not lean on Keel's.
fn half_even(n: i128, d: i128) -> i128 {
    let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
    if 2 * r > d || (2 * r == d && q % 2 != 0) {
        q + 1
    } else {
        q
    }
}

fn convert(amount: i64, rate: i64) -> i128 {
    half_even(i128::from(amount) * i128::from(rate), 1_000_000_000)
}

struct World {
    p: Program,
    known: Vec<Known>,
    rates: Vec<(&'static str, NaiveDate, i64)>,
}

fn mover(p: &mut Program, actor: keel::services::policy::Principal, id: DealId, stage: usize, on: NaiveDate) {
    p.fx.clock.set(at(on));
    move_deal(
        &mut p.fx.ws,
        actor,
        id,
        MoveInput {
            stage: STAGES[stage].into(),
            override_reason: Some("test data".into()),
            loss_reason: (stage == 6).then(|| "went with a competitor".into()),
        },
    )
    .expect("move");
}

/// Generates deals in every shape: open at each stage, won, lost, lost then reopened
/// (and won or left open), same-day moves (ties), four currencies (JPY has no rate),
/// partner-registered deals and partner-sourced ones without a registration.
fn world() -> World {
    let mut p = Program::new();
    let leader = p.fx.leader;
    let bo = team::add(
        &mut p.fx.ws,
        Some(leader),
        team::NewTeamMember {
            name: "Bo Berg".into(),
            role: Role::AccountExecutive,
            ae_segment: Some(AeSegment::MidMarket),
        },
    )
    .expect("second AE")
    .id;
    let bo = p.fx.ws.authenticate(bo).expect("bo acts");
    let mut rates = Vec::new();
    for (currency, (y, m, d), rate) in RATES {
        let text = format!("{}.{:09}", rate / 1_000_000_000, rate % 1_000_000_000);
        fx::set_rate_as_typed(&mut p.fx.ws, leader, &crate::rate_form(currency, day(y, m, d), &text))
            .expect("rate");
        rates.push((currency, day(y, m, d), rate));
    }
    let segments = [Segment::Enterprise, Segment::SmbMidMarket, Segment::DevelopersStartups];
    let accounts: Vec<(AccountId, &'static str)> = (0..6)
        .map(|i| {
            let segment = segments[i % 3];
            let id = account_svc::create(
                &mut p.fx.ws,
                leader,
                AccountInput {
                    name: format!("Account {i}"),
                    domain: Some(format!("account{i}.example")),
                    segment: Some(segment),
                    vertical: None,
                    region: None,
                },
            )
            .expect("account")
            .id;
            (id, segment.as_str())
        })
        .collect();
    let owners = [(p.fx.ae, "Ana Almeida"), (bo, "Bo Berg")];
    let sources = [DealSource::Inbound, DealSource::Outbound, DealSource::Partner, DealSource::Event];
    let currencies = ["USD", "USD", "EUR", "GBP", "JPY"];
    let mut rng = Lcg(7);
    let mut known = Vec::new();
    for n in 0..90u64 {
        let created = day(2026, 1, 5) + Duration::days(rng.next(150) as i64);
        p.fx.clock.set(at(created));
        let (account, segment) = accounts[rng.next(accounts.len() as u64) as usize];
        let (owner, owner_name) = owners[rng.next(2) as usize];
        let source = sources[rng.next(4) as usize];
        let currency = currencies[rng.next(5) as usize];
        let renewal = rng.next(5) == 0;
        let override_bp = (rng.next(4) == 0).then(|| rng.next(10_001) as i64);
        let amount = 1_000 + rng.next(9_000_000) as i64 * 10 + rng.next(2) as i64 * 5;
        let mut input = p.fx.deal_input(account);
        input.name = format!("Deal {n}");
        input.owner_id = Some(owner.member());
        input.amount_minor = amount;
        input.currency = currency.into();
        input.expected_close_date = created + Duration::days(30 + rng.next(200) as i64);
        input.source = source;
        input.deal_type = if renewal { DealType::Renewal } else { DealType::NewBusiness };
        input.probability_override_bp = override_bp;
        let id = deals::create(&mut p.fx.ws, owner, input.clone()).expect("deal").id;
        let mut k = Known {
            id: id.0,
            owner: owner_name.into(),
            segment,
            source: source.as_str(),
            account: account.0,
            currency,
            amount,
            created,
            expected: input.expected_close_date,
            override_bp,
            history: vec![(0, created)],
            registered: false,
            frozen: None,
        };
        let mut when = created;
        let mut step = |p: &mut Program, k: &mut Known, stage: usize, rng: &mut Lcg| {
            when += Duration::days(rng.next(12) as i64);
            mover(p, owner, id, stage, when);
            k.history.push((stage, when));
        };
        for stage in 1..=rng.next(5) as usize {
            step(&mut p, &mut k, stage, &mut rng);
        }
        match rng.next(6) {
            0 | 1 => {}
            2 => step(&mut p, &mut k, 5, &mut rng),
            3 => step(&mut p, &mut k, 6, &mut rng),
            4 => {
                step(&mut p, &mut k, 6, &mut rng);
                step(&mut p, &mut k, 4, &mut rng);
                step(&mut p, &mut k, 5, &mut rng);
            }
            _ => {
                step(&mut p, &mut k, 6, &mut rng);
                step(&mut p, &mut k, 2, &mut rng);
            }
        }
        k.frozen = k.closed_on().and_then(|on| rate_on(&rates, currency, on));
        known.push(k);
    }
    // Two deals from approved, converted registrations, won.
    for (n, domain) in ["nova.example", "orbit.example"].iter().enumerate() {
        let when = day(2026, 4, 10) + Duration::days(n as i64 * 20);
        p.fx.clock.set(at(when));
        let deal = p.won_partner_deal(domain);
        let d = deals::get(&p.fx.ws, p.fx.ws.me(), deal).expect("deal");
        let registered_segment = d.segment.expect("a segment").as_str();
        known.push(Known {
            id: deal.0,
            owner: "Ana Almeida".into(),
            segment: registered_segment,
            source: "partner",
            account: d.account_id.expect("an account").0,
            currency: "USD",
            amount: 8_000_000,
            created: when,
            expected: d.expected_close_date.expect("a close date"),
            override_bp: None,
            history: vec![(0, when), (5, when)],
            registered: true,
            frozen: Some(1_000_000_000),
        });
    }
    // A rate for an earlier date, set after the fact: closed deals keep the rate they
    // closed at, open deals take the latest one.
    fx::set_rate_as_typed(&mut p.fx.ws, leader, &crate::rate_form("EUR", day(2026, 3, 1), "1.5"))
        .expect("late rate");
    rates.push(("EUR", day(2026, 3, 1), 1_500_000_000));
    p.fx.clock.set(at(day(2026, 9, 1)));
    World { p, known, rates }
}

/// The figures of a group, computed the obvious way.
fn figures(deals: &[&Known], rates: &[(&str, NaiveDate, i64)], from: NaiveDate, to: NaiveDate) -> Value {
    let in_period = |d: NaiveDate| d >= from && d <= to;
    let won: Vec<&&Known> =
        deals.iter().filter(|k| k.stage() == 5 && k.closed_on().is_some_and(in_period)).collect();
    let lost = deals.iter().filter(|k| k.stage() == 6 && k.closed_on().is_some_and(in_period)).count() as i64;
    let open: Vec<&&Known> = deals.iter().filter(|k| k.stage() < 5).collect();
    let won_values: Vec<(i128, &Known)> =
        won.iter().filter_map(|k| k.frozen.map(|r| (convert(k.amount, r), **k))).collect();
    let won_value: i128 = won_values.iter().map(|v| v.0).sum();
    let mut cycles: Vec<i64> =
        won.iter().map(|k| (k.closed_on().expect("closed") - k.created).num_days()).collect();
    cycles.sort();
    let median = match cycles.len() {
        0 => Value::Null,
        n if n % 2 == 1 => json!(cycles[n / 2] as f64),
        n => json!((cycles[n / 2 - 1] + cycles[n / 2]) as f64 / 2.0),
    };
    let cycle_total: i64 = cycles.iter().sum();
    let won_n = won.len() as i64;
    let open_values: Vec<(i128, i64)> = open
        .iter()
        .filter_map(|k| {
            let bp = k.override_bp.unwrap_or(DEFAULT_BP[k.stage()]);
            latest(rates, k.currency).map(|r| (convert(k.amount, r), bp))
        })
        .collect();
    let pipeline: i128 = open_values.iter().map(|v| v.0).sum();
    let weighted = half_even(open_values.iter().map(|(v, bp)| v * i128::from(*bp)).sum(), 10_000);
    let sourced: i128 = won_values.iter().filter(|(_, k)| k.registered).map(|v| v.0).sum();
    let influenced: i128 =
        won_values.iter().filter(|(_, k)| !k.registered && k.source == "partner").map(|v| v.0).sum();
    let converted = won_values.len() as i128;
    let velocity = if converted > 0 && cycle_total > 0 {
        // open × average deal size × win rate / mean cycle, with nothing rounded on the way.
        json!(half_even(
            open.len() as i128 * won_value * i128::from(won_n) * i128::from(won_n),
            converted * i128::from(won_n + lost) * i128::from(cycle_total)
        ) as i64)
    } else {
        Value::Null
    };
    json!({
        "won_count": won_n,
        "lost_count": lost,
        "win_rate": if won_n + lost > 0 { json!(half_even(i128::from(won_n) * 10_000, i128::from(won_n + lost)) as i64) } else { Value::Null },
        "won_value_minor": won_value as i64,
        "avg_deal_size_minor": if converted > 0 { json!(half_even(won_value, converted) as i64) } else { Value::Null },
        "median_cycle_days": median,
        "mean_cycle_days": if won_n > 0 { json!(half_even(i128::from(cycle_total) * 100, i128::from(won_n)) as f64 / 100.0) } else { Value::Null },
        "open_count": open.len(),
        "pipeline_value_minor": pipeline as i64,
        "weighted_pipeline_value_minor": weighted as i64,
        "partner_sourced_revenue_minor": sourced as i64,
        "partner_influenced_revenue_minor": influenced as i64,
        "sales_velocity_minor_per_day": velocity,
        // Every deal of this generator has a known amount; unknown ones have their own test.
        "deals_without_amount": 0,
    })
}

fn with_key(key: &str, name: &str, mut figures: Value) -> Value {
    figures.as_object_mut().expect("object").insert(key.into(), json!(name));
    figures
}

fn funnel(deals: &[&Known], from: NaiveDate, to: NaiveDate) -> Value {
    let mut stages = Vec::new();
    for (s, name) in STAGES.iter().enumerate() {
        let (mut entered, mut advanced, mut days) = (0u64, 0u64, Vec::new());
        for k in deals {
            let Some(first) = k.history.iter().position(|h| h.0 == s) else { continue };
            if k.history[first].1 < from || k.history[first].1 > to {
                continue;
            }
            entered += 1;
            if s >= 5 {
                continue;
            }
            if k.history[first + 1..].iter().any(|h| h.0 > s && h.0 != 6) {
                advanced += 1;
            }
            let visits: Vec<i64> = (0..k.history.len() - 1)
                .filter(|&i| k.history[i].0 == s)
                .map(|i| (k.history[i + 1].1 - k.history[i].1).num_days())
                .collect();
            if !visits.is_empty() {
                days.push(visits.iter().sum::<i64>());
            }
        }
        days.sort();
        let median = match days.len() {
            _ if s >= 5 => Value::Null,
            0 => Value::Null,
            n if n % 2 == 1 => json!(days[n / 2] as f64),
            n => json!((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
        };
        stages.push(json!({
            "stage": name,
            "entered_count": entered,
            "advanced_count": advanced,
            "conversion_rate": if s < 5 && entered > 0 { json!(half_even(i128::from(advanced) * 10_000, i128::from(entered)) as i64) } else { Value::Null },
            "median_days_in_stage": median,
        }));
    }
    Value::Array(stages)
}

/// A member's name: the test's records keep owners by name, filters take ids.
fn name_of(w: &World, id: keel::domain::TeamMemberId) -> String {
    keel::services::team::get(&w.p.fx.ws, id).expect("member").name
}

/// The member the world's second owner is.
fn bo(w: &World) -> keel::domain::TeamMemberId {
    keel::services::team::find(&w.p.fx.ws, "Bo Berg").expect("Bo").id
}

/// The whole report minus targets, from the test's own records.
fn expected(w: &World, q: &MetricsQuery) -> Value {
    let from = q.from.unwrap_or(day(1, 1, 1));
    let to = q.to.unwrap_or(day(9999, 12, 31));
    let deals: Vec<&Known> = w
        .known
        .iter()
        .filter(|k| q.owner.is_none_or(|o| name_of(w, o) == k.owner))
        .filter(|k| q.segment.is_none_or(|s| s.as_str() == k.segment))
        .filter(|k| q.source.is_none_or(|s| s.as_str() == k.source))
        .collect();
    let group_by = |key: &str, of: &dyn Fn(&Known) -> Option<String>| -> Value {
        let mut groups: BTreeMap<String, Vec<&Known>> = BTreeMap::new();
        for k in &deals {
            if let Some(name) = of(k) {
                groups.entry(name).or_default().push(k);
            }
        }
        Value::Array(
            groups
                .into_iter()
                .map(|(name, members)| with_key(key, &name, figures(&members, &w.rates, from, to)))
                .filter(|g| g["won_count"] != 0 || g["lost_count"] != 0 || g["open_count"] != 0)
                .collect(),
        )
    };
    let month = |k: &Known| -> Option<String> {
        let d = k.closed_on().unwrap_or(k.expected);
        (d >= from && d <= to).then(|| d.format("%Y-%m").to_string())
    };
    let in_period = |d: NaiveDate| d >= from && d <= to;
    let unconverted: Vec<Value> = deals
        .iter()
        .filter(|k| {
            (k.stage() < 5 && latest(&w.rates, k.currency).is_none())
                || (k.stage() == 5 && k.closed_on().is_some_and(in_period) && k.frozen.is_none())
        })
        .map(|k| {
            json!({"deal_id": k.id, "currency": k.currency, "amount_minor": k.amount,
                   "status": if k.stage() < 5 { "open" } else { "won" }})
        })
        .collect();
    let mut report = figures(&deals, &w.rates, from, to);
    let object = report.as_object_mut().expect("object");
    object.insert("currency".into(), json!("USD"));
    object.insert("by_owner".into(), group_by("owner", &|k| Some(k.owner.clone())));
    object.insert("by_source".into(), group_by("source", &|k| Some(k.source.to_string())));
    object.insert("by_segment".into(), group_by("segment", &|k| Some(k.segment.to_string())));
    object.insert("by_month".into(), group_by("month", &month));
    object.insert("funnel".into(), funnel(&deals, from, to));
    object.insert("unconverted".into(), Value::Array(unconverted));
    report
}

fn actual(w: &World, q: &MetricsQuery) -> Value {
    let mut report = serde_json::to_value(metrics::compute(&w.p.fx.ws, w.p.fx.ws.me(), q).expect("metrics"))
        .expect("json");
    report.as_object_mut().expect("object").remove("targets");
    report
}

#[test]
fn every_figure_equals_an_independent_computation() {
    let w = world();
    let sanity = &w.known;
    assert!(sanity.iter().any(|k| k.history.iter().filter(|h| h.0 == 6).count() == 1 && k.stage() == 5));
    assert!(sanity.iter().any(|k| k.currency == "JPY" && k.stage() < 5), "an unconverted open deal");
    let queries = [
        MetricsQuery::default(),
        MetricsQuery { from: Some(day(2026, 4, 1)), to: Some(day(2026, 6, 30)), ..Default::default() },
        MetricsQuery { from: Some(day(2030, 1, 1)), to: Some(day(2030, 12, 31)), ..Default::default() },
        MetricsQuery { owner: Some(bo(&w)), ..Default::default() },
        MetricsQuery {
            segment: Some(keel::domain::Segment::SmbMidMarket),
            from: Some(day(2026, 3, 1)),
            ..Default::default()
        },
        MetricsQuery { source: Some(keel::domain::DealSource::Partner), ..Default::default() },
    ];
    for q in &queries {
        let (want, got) = (expected(&w, q), actual(&w, q));
        assert_eq!(got, want, "metrics for {q:?}");
    }
    let all = actual(&w, &MetricsQuery::default());
    assert!(all["partner_sourced_revenue_minor"].as_i64() == Some(16_000_000), "two registered wins");
    assert!(all["unconverted"].as_array().is_some_and(|u| !u.is_empty()));
    let empty = actual(&w, &queries[2]);
    assert_eq!(empty["won_count"], 0);
    assert_eq!(empty["win_rate"], Value::Null, "no closed deals: no win rate");
}

#[test]
fn facts_stay_in_step_with_the_records_they_are_derived_from() {
    let mut w = world();
    // A segment change, a merge and an amount edit after the fact all reach the facts.
    let leader = w.p.fx.leader;
    let first = w.known[0].account;
    account_svc::update(
        &mut w.p.fx.ws,
        leader,
        AccountId(first),
        account_svc::AccountChanges { segment: Some(Segment::DevelopersStartups), ..Default::default() },
    )
    .expect("segment change");
    let kept = w.known[1].account;
    let other = w.known.iter().map(|k| k.account).find(|a| *a != kept && *a != first).expect("other account");
    keel::services::duplicates::merge(&mut w.p.fx.ws, leader, AccountId(kept), AccountId(other))
        .expect("merge");
    let before = facts(&w.p.fx.path);
    let conn = keel::store::open(&w.p.fx.path).expect("open");
    keel::store::facts::rebuild_all(&conn).expect("rebuild");
    assert_eq!(facts(&w.p.fx.path), before, "a full rebuild finds nothing to change");
    drop(conn);
    // The report still agrees with the records after the merge and the segment change.
    let report = metrics::compute(&w.p.fx.ws, w.p.fx.ws.me(), &MetricsQuery::default()).expect("metrics");
    let moved =
        report.by_segment.iter().map(|g| g.figures.open_count + g.figures.won_count + g.figures.lost_count);
    assert_eq!(moved.sum::<u64>(), w.known.len() as u64, "every deal in exactly one segment");
}

#[test]
fn the_demo_writes_the_facts_a_full_rebuild_would() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("demo.db");
    let clock = keel::clock::FixedClock::at(crate::start());
    let mut ws = keel::services::Workspace::open(&path, std::sync::Arc::new(clock)).expect("open");
    let options = keel::services::demo::DemoOptions { deals: 1_200, seed: 9 };
    keel::services::demo::generate(&mut ws, options).expect("demo");
    let written = facts(&path);
    let frozen = written.iter().filter(|row| row.matches('|').count() == 3).count();
    assert!(written.len() > 1_200 && frozen > 0, "every deal has facts and some closed in EUR or GBP");
    let conn = keel::store::open(&path).expect("open");
    keel::store::facts::rebuild_all(&conn).expect("rebuild");
    assert_eq!(facts(&path), written, "the demo's own facts are what a full rebuild derives");
}

fn facts(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn.prepare("SELECT * FROM deal_facts ORDER BY deal_id").expect("select");
    let columns = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            Ok((0..columns)
                .map(|i| format!("{:?}", r.get_ref(i).expect("cell")))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .expect("rows");
    let mut out: Vec<String> = rows.collect::<Result<_, _>>().expect("facts");
    let rates: Vec<String> = conn
        .prepare("SELECT * FROM closed_deal_rates ORDER BY deal_id, quote")
        .expect("rates")
        .query_map([], |r| {
            Ok(format!("{:?}|{:?}|{:?}|{:?}", r.get_ref(0)?, r.get_ref(2)?, r.get_ref(3)?, r.get_ref(4)?))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rates");
    out.extend(rates);
    out
}

#[test]
fn closed_deals_keep_the_rate_of_their_close_date() {
    let mut p = Program::new();
    let leader = p.fx.leader;
    let account = p.fx.account("Euro Co", "euro.example");
    fx::set_rate_as_typed(&mut p.fx.ws, leader, &crate::rate_form("EUR", day(2026, 1, 1), "1.10"))
        .expect("rate");
    let mut input = p.fx.deal_input(account);
    input.currency = "EUR".into();
    input.amount_minor = 1_000_000; // EUR 10,000.00
    let ae = p.fx.ae;
    let won = deals::create(&mut p.fx.ws, ae, input.clone()).expect("deal").id;
    mover(&mut p, ae, won, 5, day(2026, 3, 10));
    deals::create(&mut p.fx.ws, ae, input).expect("an open deal");
    let report =
        |p: &Program| metrics::compute(&p.fx.ws, p.fx.ws.me(), &MetricsQuery::default()).expect("metrics");
    assert_eq!(report(&p).figures.won_value_minor, 1_100_000);
    assert_eq!(report(&p).figures.pipeline_value_minor, 1_100_000);

    fx::set_rate_as_typed(&mut p.fx.ws, leader, &crate::rate_form("EUR", day(2026, 2, 1), "1.25"))
        .expect("rate");
    let after = report(&p);
    assert_eq!(after.figures.won_value_minor, 1_100_000, "frozen at the rate in force when it closed");
    assert_eq!(after.figures.pipeline_value_minor, 1_250_000, "open deals take the latest rate");

    // Reopened and closed again: the rate of the new close date.
    mover(&mut p, ae, won, 4, day(2026, 3, 20));
    mover(&mut p, ae, won, 5, day(2026, 3, 21));
    assert_eq!(report(&p).figures.won_value_minor, 1_250_000);

    // A report in EUR: the EUR deals at face value, nothing unconverted.
    fx::set_reporting_currency(&mut p.fx.ws, leader, "EUR").expect("reporting currency");
    let in_eur = report(&p);
    assert_eq!(in_eur.currency.code(), "EUR");
    assert_eq!(in_eur.figures.won_value_minor, 1_000_000);
    // The partner program's USD deals have no USD→EUR rate yet: listed, never added at face value.
    assert!(in_eur.unconverted.is_empty() || in_eur.unconverted.iter().all(|u| u.currency == "USD"));
}

#[test]
fn bad_rates_targets_and_filters_are_refused_naming_the_field() {
    let mut p = Program::new();
    let (leader, ae) = (p.fx.leader, p.fx.ae);
    p.fx.refuses("rate", |ws| {
        fx::set_rate_as_typed(ws, leader, &crate::rate_form("EUR", day(2026, 1, 1), "-1"))
    });
    p.fx.refuses("rate", |ws| {
        fx::set_rate_as_typed(ws, leader, &crate::rate_form("EUR", day(2026, 1, 1), "1.0000000001"))
    });
    p.fx.refuses("currency", |ws| {
        fx::set_rate_as_typed(ws, leader, &crate::rate_form("EURO", day(2026, 1, 1), "1.1"))
    });
    p.fx.refuses("reporting currency", |ws| {
        fx::set_rate_as_typed(ws, leader, &crate::rate_form("USD", day(2026, 1, 1), "1.1"))
    });
    p.fx.refuses("sales leader", |ws| {
        fx::set_rate_as_typed(ws, ae, &crate::rate_form("EUR", day(2026, 1, 1), "1.1"))
    });
    p.fx.refuses("reporting_currency", |ws| fx::set_reporting_currency(ws, leader, "XXY"));
    let target =
        |name: &str| keel::services::targets::TargetInput { name: name.into(), ..Default::default() };
    p.fx.refuses("starts_on: a new target needs both a start and an end date", |ws| {
        keel::services::targets::set(ws, leader, target("Q9"))
    });
    p.fx.refuses("ends_on: must not be before the start", |ws| {
        keel::services::targets::set(
            ws,
            leader,
            keel::services::targets::TargetInput {
                starts_on: Some(day(2026, 6, 1)),
                ends_on: Some(day(2026, 5, 1)),
                ..target("Q9")
            },
        )
    });
    p.fx.refuses("arr", |ws| {
        keel::services::targets::set(
            ws,
            leader,
            keel::services::targets::TargetInput { arr: Some("12.345".into()), ..target("Foundation") },
        )
    });
    p.fx.refuses("sales leader", |ws| keel::services::targets::set(ws, ae, target("Foundation")));
    p.fx.refuses("to", |ws| {
        metrics::compute(
            ws,
            ws.me(),
            &MetricsQuery { from: Some(day(2026, 2, 1)), to: Some(day(2026, 1, 1)), ..Default::default() },
        )
    });
    p.fx.refuses("team member 999 not found", |ws| {
        metrics::compute(
            ws,
            ws.me(),
            &MetricsQuery { owner: Some(keel::domain::TeamMemberId(999)), ..Default::default() },
        )
    });
    // Segments and sources are typed in the query: a wrong one is refused where it is
    // read (the CLI's flags, the desktop's filter), naming the field.
    let err = keel::domain::Segment::parse("segment", "huge").expect_err("no such segment");
    assert_eq!(err.field(), Some("segment"));
}

#[test]
fn targets_default_to_the_plan_phases_and_report_progress() {
    let mut p = Program::new();
    let leader = p.fx.leader;
    let targets = keel::services::targets::list(&p.fx.ws, p.fx.ws.me()).expect("targets");
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Foundation", "Launch", "Growth", "Scale", "Leadership"]);
    assert_eq!(targets[0].starts_on, day(2026, 3, 1), "month 1 is the month of `keel init`");
    assert_eq!(targets[1].customers, 25);
    assert_eq!(targets[1].arr_minor, 5_000_000, "$50K");
    assert_eq!(targets[2].ends_on, day(2028, 2, 29));

    // Two won deals for one enterprise account, one renewal.
    let account = p.fx.account("Big Co", "big.example");
    let ae = p.fx.ae;
    let mut input = p.fx.deal_input(account);
    input.amount_minor = 3_000_000;
    let first = deals::create(&mut p.fx.ws, ae, input.clone()).expect("deal").id;
    mover(&mut p, ae, first, 5, day(2026, 4, 1));
    input.deal_type = DealType::Renewal;
    let renewal = deals::create(&mut p.fx.ws, ae, input).expect("deal").id;
    mover(&mut p, ae, renewal, 5, day(2026, 4, 2));
    p.fx.clock.set(at(day(2026, 5, 1)));
    keel::services::targets::set(
        &mut p.fx.ws,
        leader,
        keel::services::targets::TargetInput { arr: Some("60000".into()), ..target_named("Foundation") },
    )
    .expect("change the ARR target");
    let report = metrics::compute(&p.fx.ws, p.fx.ws.me(), &MetricsQuery::default()).expect("metrics");
    let foundation = &report.targets[0];
    assert_eq!(foundation.as_of, day(2026, 5, 1), "progress so far, as of today");
    assert_eq!(foundation.customers, 1, "one account, however many deals");
    assert_eq!(foundation.enterprise_deals, 2);
    assert_eq!(foundation.arr_minor, 3_000_000, "renewals add no ARR");
    assert_eq!(foundation.arr_target_minor, Some(6_000_000));
    assert_eq!(foundation.arr_progress_bp, Some(5_000));
    assert_eq!(foundation.customers_progress_bp, Some(2_000), "1 of 5");
    // A period before the second win: as of its end.
    let march = metrics::compute(
        &p.fx.ws,
        p.fx.ws.me(),
        &MetricsQuery { from: Some(day(2026, 3, 1)), to: Some(day(2026, 4, 1)), ..Default::default() },
    )
    .expect("metrics");
    assert_eq!(march.targets.len(), 1, "only the phases overlapping the period");
    assert_eq!(march.targets[0].enterprise_deals, 1);
}

fn target_named(name: &str) -> keel::services::targets::TargetInput {
    keel::services::targets::TargetInput { name: name.into(), ..Default::default() }
}

#[test]
fn report_queries_read_deal_facts_through_their_indexes() {
    let w = world();
    let period = metrics::query_plans(
        &w.p.fx.ws,
        &MetricsQuery { from: Some(day(2026, 4, 1)), to: Some(day(2026, 6, 30)), ..Default::default() },
    )
    .expect("plans");
    let owner = metrics::query_plans(&w.p.fx.ws, &MetricsQuery { owner: Some(bo(&w)), ..Default::default() })
        .expect("plans");
    let all = metrics::query_plans(&w.p.fx.ws, &MetricsQuery::default()).expect("plans");
    for (name, plans) in [("period", &period), ("owner", &owner), ("all", &all)] {
        for line in plans.iter().flatten() {
            assert!(
                !line.contains("SCAN deals") && !line.contains("SEARCH deals"),
                "{name}: reads deals: {line}"
            );
            assert!(!line.contains("TEMP B-TREE"), "{name}: sorts: {line}");
        }
    }
    let joined = |plans: &Vec<Vec<String>>| plans.iter().flatten().cloned().collect::<Vec<_>>().join("\n");
    assert!(
        joined(&period).contains("SEARCH deal_facts USING PRIMARY KEY (closed_day"),
        "{}",
        joined(&period)
    );
    assert!(
        !joined(&period).contains("SCAN deal_facts"),
        "a period reads only its range: {}",
        joined(&period)
    );
    assert!(joined(&owner).contains("deal_facts_by_owner"), "{}", joined(&owner));
    assert!(!joined(&owner).contains("SCAN deal_facts"), "{}", joined(&owner));
    // A past day reads the changes since it from the index alone, already in order.
    let conn = keel::store::open(&w.p.fx.path).expect("open");
    let changes = keel::store::as_of::changes_plan(&conn).expect("plan").join("\n");
    assert!(changes.contains("USING COVERING INDEX deal_changes_by_time"), "{changes}");
    assert!(!changes.contains("TEMP B-TREE"), "{changes}");
}

/// The deals a drill-down lists for `figure`, as ids in id order.
fn drilled(w: &World, q: &MetricsQuery, figure: &str, month: Option<&str>) -> (Vec<i64>, i64) {
    let figure = metrics::Figure::parse(figure).expect("figure");
    let drill = metrics::drill(&w.p.fx.ws, w.p.fx.ws.me(), q, &figure, month).expect("drill");
    let mut ids: Vec<i64> = drill.rows.iter().map(|r| r.deal_id).collect();
    ids.sort_unstable();
    (ids, drill.value_minor)
}

#[test]
fn every_figure_drills_down_to_the_deals_behind_it() {
    let w = world();
    let queries = [
        MetricsQuery::default(),
        MetricsQuery { from: Some(day(2026, 4, 1)), to: Some(day(2026, 6, 30)), ..Default::default() },
        MetricsQuery { owner: Some(bo(&w)), ..Default::default() },
        MetricsQuery {
            source: Some(keel::domain::DealSource::Partner),
            from: Some(day(2026, 3, 1)),
            ..Default::default()
        },
    ];
    for q in &queries {
        let report = actual(&w, q);
        let from = q.from.unwrap_or(day(1, 1, 1));
        let to = q.to.unwrap_or(day(9999, 12, 31));
        let chosen = |k: &&Known| {
            q.owner.is_none_or(|o| name_of(&w, o) == k.owner)
                && q.source.is_none_or(|s| s.as_str() == k.source)
                && q.segment.is_none_or(|s| s.as_str() == k.segment)
        };
        let ids = |keep: &dyn Fn(&Known) -> bool| -> Vec<i64> {
            let mut ids: Vec<i64> = w.known.iter().filter(chosen).filter(|k| keep(k)).map(|k| k.id).collect();
            ids.sort_unstable();
            ids
        };
        let closed_in = |k: &Known, stage: usize| {
            k.stage() == stage && k.closed_on().is_some_and(|d| d >= from && d <= to)
        };

        let (won, won_value) = drilled(&w, q, "won", None);
        assert_eq!(won, ids(&|k| closed_in(k, 5)), "won deals for {q:?}");
        assert_eq!(won.len() as i64, report["won_count"].as_i64().expect("won_count"));
        assert_eq!(won_value, report["won_value_minor"].as_i64().expect("won value"), "{q:?}");

        let (lost, _) = drilled(&w, q, "lost", None);
        assert_eq!(lost, ids(&|k| closed_in(k, 6)), "lost deals for {q:?}");

        let (open, pipeline) = drilled(&w, q, "open", None);
        assert_eq!(open, ids(&|k| k.stage() < 5), "open deals for {q:?}");
        assert_eq!(pipeline, report["pipeline_value_minor"].as_i64().expect("pipeline"), "{q:?}");

        let (sourced, sourced_value) = drilled(&w, q, "partner-sourced", None);
        assert_eq!(sourced, ids(&|k| closed_in(k, 5) && k.registered), "partner-sourced deals for {q:?}");
        assert_eq!(sourced_value, report["partner_sourced_revenue_minor"].as_i64().expect("sourced"));
        let (_, influenced) = drilled(&w, q, "partner-influenced", None);
        assert_eq!(influenced, report["partner_influenced_revenue_minor"].as_i64().expect("influenced"));

        for group in report["by_month"].as_array().expect("months") {
            let month = group["month"].as_str().expect("month");
            let (won, value) = drilled(&w, q, "won", Some(month));
            assert_eq!(won.len() as i64, group["won_count"].as_i64().expect("won"), "{month} {q:?}");
            assert_eq!(value, group["won_value_minor"].as_i64().expect("value"), "{month} {q:?}");
            let (open, value) = drilled(&w, q, "open", Some(month));
            assert_eq!(open.len() as i64, group["open_count"].as_i64().expect("open"), "{month} {q:?}");
            assert_eq!(value, group["pipeline_value_minor"].as_i64().expect("pipeline"), "{month} {q:?}");
        }
        for row in report["funnel"].as_array().expect("funnel") {
            let stage = row["stage"].as_str().expect("stage");
            let (entered, _) = drilled(&w, q, &format!("entered:{stage}"), None);
            assert_eq!(
                entered.len() as i64,
                row["entered_count"].as_i64().expect("entered"),
                "{stage} {q:?}"
            );
        }
    }
    assert!(!drilled(&w, &MetricsQuery::default(), "partner-sourced", None).0.is_empty(), "a registered win");
}

#[test]
fn a_drill_down_refuses_an_unknown_figure_stage_or_month() {
    let w = world();
    let q = MetricsQuery::default();
    let err = metrics::Figure::parse("revenue").expect_err("unknown figure");
    assert!(err.to_string().contains("figure") && err.to_string().contains("revenue"), "{err}");
    let stage = metrics::Figure::parse("entered:Nowhere").expect("parses");
    let err = metrics::drill(&w.p.fx.ws, w.p.fx.ws.me(), &q, &stage, None).expect_err("unknown stage");
    assert!(err.to_string().contains("Nowhere"), "{err}");
    let err = metrics::drill(&w.p.fx.ws, w.p.fx.ws.me(), &q, &metrics::Figure::Won, Some("2026-13"))
        .expect_err("bad month");
    assert!(err.to_string().contains("2026-13"), "{err}");
}
