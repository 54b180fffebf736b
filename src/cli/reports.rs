//! `keel metrics`, `keel fx` and `keel target`.

use super::changes::answer;
use super::{output, require_init, Ctx};
use crate::changes::{Change, Outcome, TargetForm};
use crate::domain::{parse_date, DealSource, Segment};
use crate::money::{format_minor, BasisPoints, Currency};
use crate::services::metrics::forecast;
use crate::services::metrics::{self, BoardQuery, Figures, Metrics, MetricsQuery};
use crate::services::{fx, targets};
use crate::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// First close date of the period (YYYY-MM-DD, inclusive); default all time.
    #[arg(long)]
    from: Option<String>,
    /// Last close date of the period (inclusive).
    #[arg(long)]
    to: Option<String>,
    /// Only this owner's deals.
    #[arg(long)]
    owner: Option<String>,
    /// Only deals of accounts in this segment.
    #[arg(long)]
    segment: Option<String>,
    /// Only deals from this lead source.
    #[arg(long)]
    source: Option<String>,
    /// List the deals behind one figure instead: won, lost, open, partner-sourced,
    /// partner-influenced, or entered:<stage> (a funnel row).
    #[arg(long)]
    drill: Option<String>,
    /// With --drill: only the deals of this month (YYYY-MM), as in the by-month rows.
    #[arg(long, requires = "drill")]
    month: Option<String>,
    /// The report as it stood at the end of this day (YYYY-MM-DD): the deals as they
    /// stood then, open ones at that day's rates.
    #[arg(long, conflicts_with = "drill")]
    as_of: Option<String>,
}

/// The board's filters; `keel deal list` takes the same ones.
#[derive(Debug, Args)]
pub struct BoardArgs {
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    segment: Option<String>,
    #[arg(long)]
    source: Option<String>,
    /// Expected close on or after this date (YYYY-MM-DD).
    #[arg(long)]
    close_from: Option<String>,
    /// Expected close on or before this date.
    #[arg(long)]
    close_to: Option<String>,
}

impl BoardArgs {
    pub fn query(&self, ctx: &Ctx) -> Result<BoardQuery> {
        Ok(BoardQuery {
            owner: owner_named(ctx, self.owner.as_deref())?,
            segment: self.segment.as_deref().map(|s| Segment::parse("segment", s)).transpose()?,
            source: self.source.as_deref().map(|s| DealSource::parse("source", s)).transpose()?,
            close_from: optional_date("close_from", self.close_from.as_deref())?,
            close_to: optional_date("close_to", self.close_to.as_deref())?,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum FxCommand {
    /// Set the rate of CURRENCY into the reporting currency from DATE: `keel fx set EUR 2026-01-01 1.0832`.
    Set { currency: String, date: String, rate: String },
    /// List the exchange rates, optionally of one currency.
    List { currency: Option<String> },
    /// Show the reporting currency, or change it.
    Reporting { currency: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// List targets.
    List,
    /// Create a target or change one: `keel target set Launch --from 2026-07-01 --to 2026-12-31 --customers 25`.
    Set {
        name: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        customers: Option<u32>,
        #[arg(long)]
        enterprise_deals: Option<u32>,
        /// ARR to reach, a decimal amount.
        #[arg(long)]
        arr: Option<String>,
        /// Currency of --arr (default: the reporting currency).
        #[arg(long)]
        currency: Option<String>,
    },
    /// Set the go-to-market plan's five phase targets, month 1 starting on START.
    Phases { start: String },
    /// Remove a target.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Set a member's quota for a period (sales leaders): `keel quota set --owner NAME --period 2026-Q4 --amount 500000`.
    Set {
        #[arg(long)]
        owner: String,
        /// A month (2026-11) or a quarter (2026-Q4).
        #[arg(long)]
        period: String,
        /// In the reporting currency.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Must be the reporting currency (said for clarity).
        #[arg(long)]
        currency: Option<String>,
    },
    /// Quotas in force, of one period or all.
    List {
        #[arg(long)]
        period: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ForecastArgs {
    #[command(subcommand)]
    action: Option<ForecastAction>,
    /// A month (2026-11) or a quarter (2026-Q4); this quarter by default.
    #[arg(long)]
    period: Option<String>,
    /// One member's row (sales leaders; everyone else sees their own).
    #[arg(long)]
    owner: Option<String>,
    /// The roll-up as it stood at the end of this day (YYYY-MM-DD).
    #[arg(long)]
    as_of: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ForecastAction {
    /// Call your number for a period, with what it rests on.
    Submit {
        #[arg(long)]
        period: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        note: String,
    },
    /// The open deals behind the category columns: yours, or a member's (sales leaders),
    /// expected to close in the period, with each one's category.
    Deals {
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        /// Only this category: commit, best-case, pipeline, omitted or closed.
        #[arg(long)]
        category: Option<String>,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Adjust a member's call (sales leaders), with a reason.
    Adjust {
        #[arg(long)]
        owner: String,
        #[arg(long)]
        period: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
}

pub fn quota(ctx: &mut Ctx, cmd: QuotaCommand) -> Result<()> {
    require_init(ctx)?;
    let quotas = match cmd {
        QuotaCommand::Set { owner, period, amount, currency } => {
            let member = crate::services::team::find(&ctx.ws, &owner)?.id;
            vec![answer!(ctx, Change::QuotaSet { member, period, amount, currency }, Outcome::Quota)]
        }
        QuotaCommand::List { period } => forecast::quotas(&ctx.ws, ctx.principal()?, period.as_deref())?,
    };
    if ctx.json {
        return output::json(&quotas);
    }
    for q in &quotas {
        println!("{:<10} {:<24} {}", q.period, q.member_name, q.amount);
    }
    Ok(())
}

pub fn forecast(ctx: &mut Ctx, args: ForecastArgs) -> Result<()> {
    require_init(ctx)?;
    let who = ctx.principal()?;
    match args.action {
        Some(ForecastAction::Submit { period, amount, note }) => {
            let call = answer!(ctx, Change::ForecastCall { period, amount, note }, Outcome::Call);
            return if ctx.json { output::json(&call) } else { show_call(&call) };
        }
        Some(ForecastAction::Deals { period, owner, category, offset, limit }) => {
            let period = period.unwrap_or_else(|| forecast::current_quarter(ctx.ws.today()));
            let owner = owner_named(ctx, owner.as_deref())?;
            let category = category
                .as_deref()
                .map(|c| crate::domain::ForecastCategory::parse("category", c))
                .transpose()?;
            let found = forecast::deals_in_period(&ctx.ws, who, &period, owner, category, offset, limit)?;
            if ctx.json {
                return output::json(&serde_json::json!({
                    "period": period, "total": found.total, "by_category": found.by_category, "deals": found.deals,
                }));
            }
            let (deals, total) = (found.deals, found.total);
            let rows: Vec<Vec<String>> = deals
                .iter()
                .map(|d| {
                    let category = d.forecast_category.as_str();
                    vec![
                        d.id.to_string(),
                        d.name.clone(),
                        d.owner_name.clone(),
                        d.stage_name.clone(),
                        d.expected_close_date.map_or_else(|| "—".into(), |c| c.to_string()),
                        d.amount.map_or_else(|| "—".into(), |a| a.to_string()),
                        if d.forecast_override.is_some() {
                            format!("{category} (owner's call)")
                        } else {
                            category.into()
                        },
                    ]
                })
                .collect();
            output::table(&["id", "deal", "owner", "stage", "close", "amount", "forecast"], &rows);
            println!("{} of {total} open deals closing in {period}", deals.len());
            return Ok(());
        }
        Some(ForecastAction::Adjust { owner, period, amount, reason }) => {
            let member = crate::services::team::find(&ctx.ws, &owner)?.id;
            let call = answer!(ctx, Change::ForecastAdjust { member, period, amount, reason }, Outcome::Call);
            return if ctx.json { output::json(&call) } else { show_call(&call) };
        }
        None => {}
    }
    let period = args.period.unwrap_or_else(|| forecast::current_quarter(ctx.ws.today()));
    let owner = owner_named(ctx, args.owner.as_deref())?;
    let as_of = optional_date("as_of", args.as_of.as_deref())?;
    let report = forecast::forecast_as_of(&ctx.ws, who, &period, owner, as_of)?;
    if ctx.json {
        return output::json(&report);
    }
    let c = report.currency;
    let m = |minor: i64| crate::money::Money { amount_minor: minor, currency: c }.to_string();
    let opt = |minor: Option<i64>| minor.map_or_else(|| "—".to_string(), m);
    println!(
        "Forecast {} ({} to {}), {}",
        report.period.name,
        report.period.from,
        report.period.to,
        c.code()
    );
    println!(
        "{:<22} {:>16} {:>16} {:>7} {:>16} {:>16} {:>16} {:>16} {:>16}",
        "OWNER", "QUOTA", "CLOSED WON", "ATTAIN", "COMMIT", "BEST CASE", "PIPELINE", "OMITTED", "CALL"
    );
    for row in report.owners.iter().chain(std::iter::once(&report.team)) {
        let attainment = row.attainment_bp.map_or_else(|| "—".into(), |bp| format!("{}%", bp / 100));
        let call = match (row.call_minor, row.adjusted_minor) {
            (_, Some(adjusted)) => format!("{} (adj.)", m(adjusted)),
            (Some(call), None) => m(call),
            _ => "—".into(),
        };
        println!(
            "{:<22} {:>16} {:>16} {:>7} {:>16} {:>16} {:>16} {:>16} {:>16}",
            row.owner_name,
            opt(row.quota_minor),
            m(row.closed_won_minor),
            attainment,
            m(row.commit_minor),
            m(row.best_case_minor),
            m(row.pipeline_minor),
            m(row.omitted_minor),
            call
        );
    }
    if report.unconverted_count > 0 {
        println!(
            "{} deals have no exchange rate into {} and count without their money.",
            report.unconverted_count,
            c.code()
        );
    }
    Ok(())
}

fn show_call(call: &crate::store::forecast::ForecastCall) -> Result<()> {
    println!(
        "{} {} for {}: {} ({}) by {}",
        if call.kind == "call" { "Called" } else { "Adjusted" },
        call.member_id,
        call.period,
        call.amount,
        call.note,
        call.by_name
    );
    Ok(())
}

/// The member a flag names (the command line takes names; the core takes ids).
fn owner_named(ctx: &Ctx, name: Option<&str>) -> Result<Option<crate::domain::TeamMemberId>> {
    name.map(|n| crate::services::team::find(&ctx.ws, n).map(|m| m.id)).transpose()
}

fn optional_date(field: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>> {
    value.map(|v| parse_date(field, v)).transpose()
}

pub fn metrics(ctx: &mut Ctx, args: MetricsArgs) -> Result<()> {
    require_init(ctx)?;
    let query = MetricsQuery {
        from: optional_date("from", args.from.as_deref())?,
        to: optional_date("to", args.to.as_deref())?,
        owner: owner_named(ctx, args.owner.as_deref())?,
        segment: args.segment.as_deref().map(|s| Segment::parse("segment", s)).transpose()?,
        source: args.source.as_deref().map(|s| DealSource::parse("source", s)).transpose()?,
    };
    if let Some(figure) = args.drill.as_deref() {
        let drill = metrics::drill(
            &ctx.ws,
            ctx.principal()?,
            &query,
            &metrics::Figure::parse(figure)?,
            args.month.as_deref(),
        )?;
        if ctx.json {
            return output::json(&drill);
        }
        let c = drill.currency;
        let rows: Vec<Vec<String>> = drill
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.deal_id.to_string(),
                    r.value_minor.map_or("—".into(), |v| format_minor(v, c.exponent())),
                ]
            })
            .collect();
        output::table(&["deal", &format!("value ({c})")], &rows);
        println!("{} deals, {} {c}", drill.rows.len(), format_minor(drill.value_minor, c.exponent()));
        return Ok(());
    }
    let as_of = optional_date("as_of", args.as_of.as_deref())?;
    let report = match as_of {
        Some(day) => metrics::compute_as_of(&ctx.ws, ctx.principal()?, &query, day)?,
        None => metrics::compute(&ctx.ws, ctx.principal()?, &query)?,
    };
    if ctx.json {
        return output::json(&report);
    }
    if let Some(day) = as_of {
        println!("As it stood at the end of {day}\n");
    }
    print_report(&report);
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// What changed between two days for deals expected to close in a period: the
    /// waterfall (start, new, pulled in, pushed out, amount changes, reassigned, won, lost, end).
    Changes {
        /// The first day (YYYY-MM-DD): the pipeline as it stood at its end.
        #[arg(long)]
        from: String,
        /// The second day (default: today).
        #[arg(long)]
        to: Option<String>,
        /// A month (2026-11) or a quarter (2026-Q4); this quarter by default.
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        owner: Option<String>,
    },
}

pub fn pipeline(ctx: &mut Ctx, cmd: PipelineCommand) -> Result<()> {
    require_init(ctx)?;
    let PipelineCommand::Changes { from, to, period, owner } = cmd;
    let from = parse_date("from", &from)?;
    let to = optional_date("to", to.as_deref())?.unwrap_or(ctx.ws.today());
    let period = period.unwrap_or_else(|| forecast::current_quarter(ctx.ws.today()));
    let owner = owner_named(ctx, owner.as_deref())?;
    let report = metrics::changes::pipeline_changes(&ctx.ws, ctx.principal()?, from, to, &period, owner)?;
    if ctx.json {
        return output::json(&report);
    }
    let c = report.currency;
    let m = |minor: i64| crate::money::Money { amount_minor: minor, currency: c }.to_string();
    println!(
        "Pipeline closing in {} ({} to {}), {} → {}",
        report.period.name, report.period.from, report.period.to, report.from, report.to
    );
    println!("{:<22} {:>20}", format!("start ({})", report.from), m(report.start_minor));
    for (movement, total) in &report.movements {
        let count = report.deals.iter().filter(|d| d.movement == *movement).count();
        let name = serde_json::to_value(movement)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        println!("{:<22} {:>20}   {count} deals", name.replace('_', " "), m(*total));
    }
    println!("{:<22} {:>20}", format!("end ({})", report.to), m(report.end_minor));
    println!(
        "stage moves: {} forward, {} backward; close date slipped more than once: {} deals",
        report.moved_forward,
        report.moved_backward,
        report.slipped_more_than_once.len()
    );
    Ok(())
}

/// `keel board`: today's, or as it stood at the end of a past day.
#[derive(Debug, Args)]
pub struct BoardCommandArgs {
    #[command(flatten)]
    filter: BoardArgs,
    /// The board as it stood at the end of this day (YYYY-MM-DD), from the deals' histories.
    #[arg(long)]
    as_of: Option<String>,
}

pub fn board(ctx: &mut Ctx, args: BoardCommandArgs) -> Result<()> {
    require_init(ctx)?;
    let query = args.filter.query(ctx)?;
    let board = match optional_date("as_of", args.as_of.as_deref())? {
        Some(day) => metrics::board_as_of(&ctx.ws, ctx.principal()?, &query, day)?,
        None => metrics::board(&ctx.ws, ctx.principal()?, &query)?,
    };
    if ctx.json {
        return output::json(&board);
    }
    let c = board.currency;
    let mut rows: Vec<Vec<String>> = board
        .columns
        .iter()
        .map(|col| {
            vec![
                col.stage.clone(),
                col.count.to_string(),
                amount(c, col.value_minor),
                amount(c, col.weighted_minor),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        board.open_count.to_string(),
        amount(c, board.pipeline_value_minor),
        amount(c, board.weighted_pipeline_value_minor),
    ]);
    output::table(&["STAGE", "DEALS", "VALUE", "WEIGHTED"], &rows);
    if board.unconverted_count > 0 {
        println!("({} deals have no exchange rate and are left out of the sums)", board.unconverted_count);
    }
    Ok(())
}

pub fn search(ctx: &mut Ctx, text: &str) -> Result<()> {
    require_init(ctx)?;
    let hits = crate::services::search::search(&ctx.ws, ctx.principal()?, text, None)?;
    if ctx.json {
        return output::json(&hits);
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| vec![h.kind.to_string(), h.id.to_string(), h.title.clone(), h.detail.clone()])
        .collect();
    output::table(&["KIND", "ID", "NAME", "DETAIL"], &rows);
    Ok(())
}

fn amount(currency: Currency, minor: i64) -> String {
    format!("{} {}", currency.code(), format_minor(minor, currency.exponent()))
}

fn rate(bp: Option<u32>) -> String {
    bp.map_or_else(|| "—".to_string(), |bp| BasisPoints(bp).to_string())
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |d| format!("{d}"))
}

fn print_report(report: &Metrics) {
    let c = report.currency;
    let f = &report.figures;
    output::fields(&[
        ("won", f.won_count.to_string()),
        ("lost", f.lost_count.to_string()),
        ("win rate", rate(f.win_rate)),
        ("won value", amount(c, f.won_value_minor)),
        ("average deal size", f.avg_deal_size_minor.map_or("—".into(), |v| amount(c, v))),
        ("median cycle (days)", days(f.median_cycle_days)),
        ("mean cycle (days)", days(f.mean_cycle_days)),
        ("open deals", f.open_count.to_string()),
        ("pipeline value", amount(c, f.pipeline_value_minor)),
        ("weighted pipeline", amount(c, f.weighted_pipeline_value_minor)),
        ("partner-sourced revenue", amount(c, f.partner_sourced_revenue_minor)),
        ("partner-influenced revenue", amount(c, f.partner_influenced_revenue_minor)),
        ("sales velocity (per day)", f.sales_velocity_minor_per_day.map_or("—".into(), |v| amount(c, v))),
        ("deals without an amount", f.deals_without_amount.to_string()),
    ]);
    let group_rows = |groups: &[metrics::Group], key: fn(&metrics::Group) -> String| -> Vec<Vec<String>> {
        groups.iter().map(|g| figure_row(key(g), c, &g.figures)).collect()
    };
    let header = ["", "won", "lost", "win rate", "won value", "avg deal", "open", "pipeline", "weighted"];
    for (title, rows) in [
        ("By owner", group_rows(&report.by_owner, |g| g.owner.clone().unwrap_or_default())),
        ("By source", group_rows(&report.by_source, |g| g.source.clone().unwrap_or_default())),
        ("By segment", group_rows(&report.by_segment, |g| g.segment.clone().unwrap_or_default())),
        ("By month", group_rows(&report.by_month, |g| g.month.clone().unwrap_or_default())),
    ] {
        println!("\n{title}");
        output::table(&header, &rows);
    }
    println!("\nFunnel");
    let rows: Vec<Vec<String>> = report
        .funnel
        .iter()
        .map(|s| {
            vec![
                s.stage.clone(),
                s.entered_count.to_string(),
                s.advanced_count.to_string(),
                rate(s.conversion_rate),
                days(s.median_days_in_stage),
            ]
        })
        .collect();
    output::table(&["stage", "entered", "advanced", "conversion", "median days"], &rows);
    if !report.targets.is_empty() {
        println!("\nTargets");
        let rows: Vec<Vec<String>> = report
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    format!("{} – {}", t.starts_on, t.ends_on),
                    t.as_of.to_string(),
                    format!("{} / {} ({})", t.customers, t.customers_target, rate(t.customers_progress_bp)),
                    format!(
                        "{} / {} ({})",
                        t.enterprise_deals,
                        t.enterprise_deals_target,
                        rate(t.enterprise_deals_progress_bp)
                    ),
                    format!(
                        "{} / {} ({})",
                        amount(c, t.arr_minor),
                        t.arr_target_minor.map_or("—".into(), |v| amount(c, v)),
                        rate(t.arr_progress_bp)
                    ),
                ]
            })
            .collect();
        output::table(&["target", "period", "as of", "customers", "enterprise deals", "ARR"], &rows);
    }
    if !report.unconverted.is_empty() {
        println!(
            "\n{} deal(s) left out of money figures: no exchange rate into {c} (set one with `keel fx set`)",
            report.unconverted.len()
        );
        let rows: Vec<Vec<String>> = report
            .unconverted
            .iter()
            .take(20)
            .map(|u| {
                vec![u.deal_id.to_string(), u.currency.clone(), u.amount_minor.to_string(), u.status.into()]
            })
            .collect();
        output::table(&["deal", "currency", "amount (minor)", "status"], &rows);
    }
}

fn figure_row(key: String, c: Currency, f: &Figures) -> Vec<String> {
    vec![
        key,
        f.won_count.to_string(),
        f.lost_count.to_string(),
        rate(f.win_rate),
        amount(c, f.won_value_minor),
        f.avg_deal_size_minor.map_or("—".into(), |v| amount(c, v)),
        f.open_count.to_string(),
        amount(c, f.pipeline_value_minor),
        amount(c, f.weighted_pipeline_value_minor),
    ]
}

pub fn fx(ctx: &mut Ctx, cmd: FxCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        FxCommand::Set { currency, date, rate } => {
            let form = fx::RateForm { currency, effective_on: date, rate };
            let stored = answer!(ctx, Change::FxRate { form }, Outcome::Rate);
            if ctx.json {
                return output::json(&stored);
            }
            println!("1 {} = {} {} from {}", stored.currency, stored.rate, stored.quote, stored.effective_on);
            Ok(())
        }
        FxCommand::List { currency } => {
            let rates = fx::rates(&ctx.ws, ctx.principal()?, currency.as_deref())?;
            if ctx.json {
                return output::json(&rates);
            }
            let rows: Vec<Vec<String>> = rates
                .iter()
                .map(|r| {
                    vec![r.currency.clone(), r.quote.clone(), r.effective_on.to_string(), r.rate.to_string()]
                })
                .collect();
            output::table(&["currency", "into", "from", "rate"], &rows);
            Ok(())
        }
        FxCommand::Reporting { currency } => {
            let current = match currency {
                Some(currency) => answer!(ctx, Change::ReportingCurrency { currency }, Outcome::Currency),
                None => fx::reporting_currency(&ctx.ws)?,
            };
            if ctx.json {
                return output::json(&serde_json::json!({ "reporting_currency": current }));
            }
            println!("reporting currency: {current}");
            Ok(())
        }
    }
}

pub fn target(ctx: &mut Ctx, cmd: TargetCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        TargetCommand::List => {}
        TargetCommand::Set { name, from, to, customers, enterprise_deals, arr, currency } => {
            let form = TargetForm { name, from, to, customers, enterprise_deals, arr, currency };
            super::submit(ctx, Change::TargetSet { form })?;
        }
        TargetCommand::Phases { start } => {
            super::submit(ctx, Change::TargetPhases { start })?;
        }
        TargetCommand::Remove { name } => {
            super::submit(ctx, Change::TargetRemove { name })?;
        }
    }
    let list = targets::list(&ctx.ws, ctx.principal()?)?;
    if ctx.json {
        return output::json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            let arr = Currency::parse("currency", &t.currency)
                .map_or_else(|_| t.arr_minor.to_string(), |c| amount(c, t.arr_minor));
            vec![
                t.name.clone(),
                t.starts_on.to_string(),
                t.ends_on.to_string(),
                t.customers.to_string(),
                t.enterprise_deals.to_string(),
                arr,
            ]
        })
        .collect();
    output::table(&["target", "from", "to", "customers", "enterprise deals", "ARR"], &rows);
    Ok(())
}
