//! Deals and activities: the account executive's daily commands.

use super::{output, require_init, Ctx};
use crate::domain::{
    parse_date, AccountId, ActivityId, BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealId,
    PocOutcome, TeamMemberId,
};
use crate::services::{activities, deals, moves, qualification, team};
use crate::store::deals::{Deal, DealSort, DealStatus};
use crate::{KeelError, Result};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// Create a deal (in Lead unless --stage says Qualification).
    Add(DealAddArgs),
    /// List deals, a page at a time, by expected close date.
    List(DealListArgs),
    /// Show a deal with BANT, proof of concept, checklist, stage path and activities.
    Show { id: i64 },
    /// Change a deal's fields (not its stage: use `deal move`).
    Update(DealUpdateArgs),
    /// Move a deal to another stage, by name.
    Move {
        id: i64,
        stage: String,
        /// Move despite missing criteria; the reason is recorded in the stage history.
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        /// Why the deal was lost (required when moving to Closed Lost).
        #[arg(long)]
        loss_reason: Option<String>,
    },
    /// Set BANT qualification items: status unknown, partial or confirmed, and notes.
    Bant(BantArgs),
    /// Record the proof of concept: scope, success criteria, evaluation period, outcome.
    Poc(PocArgs),
    /// Set a negotiation checklist item's status.
    Checklist {
        id: i64,
        /// pricing-proposal, contract, sla, legal-review, security-questionnaire, procurement
        item: String,
        /// not-started, in-progress, done, not-needed
        status: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// Show a deal's stage history.
    History { id: i64 },
    /// A deal's changes of amount, currency, expected close date, forecast category and
    /// owner, oldest first (append-only).
    Changes { id: i64 },
}

#[derive(Debug, Args)]
pub struct DealAddArgs {
    #[arg(long)]
    account: i64,
    #[arg(long)]
    name: String,
    /// Amount in the deal's currency, e.g. 120,000 or 4500.50.
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    #[arg(long, default_value = "USD")]
    currency: String,
    /// Expected close date, YYYY-MM-DD.
    #[arg(long)]
    close: String,
    /// inbound, outbound, referral, event, partner
    #[arg(long, default_value = "inbound")]
    source: String,
    /// new-business, expansion, renewal
    #[arg(long = "type", default_value = "new-business")]
    deal_type: String,
    /// Owner's name (default: the acting user).
    #[arg(long)]
    owner: Option<String>,
    #[arg(long)]
    stage: Option<String>,
    /// Probability override, in percent.
    #[arg(long)]
    probability: Option<String>,
    /// Forecast category override: pipeline, best-case, commit, closed, omitted.
    #[arg(long)]
    forecast: Option<String>,
    /// For an expansion deal: the won deal it expands.
    #[arg(long)]
    expands: Option<i64>,
}

#[derive(Debug, Args)]
pub struct DealListArgs {
    #[arg(long)]
    stage: Option<String>,
    #[command(flatten)]
    filter: super::reports::BoardArgs,
    /// Only the acting user's deals.
    #[arg(long)]
    mine: bool,
    #[arg(long)]
    account: Option<i64>,
    /// open, won, lost or all.
    #[arg(long, default_value = "all")]
    status: String,
    /// Only open deals with no activity for longer than their stage allows.
    #[arg(long)]
    stalled: bool,
    /// Only deals whose name or account name contains this text.
    #[arg(long)]
    search: Option<String>,
    /// close_date, amount, name, account, stage, owner or updated.
    #[arg(long, default_value = "close_date")]
    sort: String,
    /// Sort in descending order.
    #[arg(long)]
    desc: bool,
    /// Continue after this deal id (the last of the previous page).
    #[arg(long)]
    after: Option<i64>,
    /// Skip this many deals.
    #[arg(long)]
    offset: Option<u32>,
    #[arg(long)]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct DealUpdateArgs {
    id: i64,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    account: Option<i64>,
    #[arg(long)]
    owner: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    amount: Option<String>,
    #[arg(long)]
    currency: Option<String>,
    #[arg(long)]
    close: Option<String>,
    #[arg(long)]
    source: Option<String>,
    #[arg(long = "type")]
    deal_type: Option<String>,
    /// Probability override in percent, or "none" to use the stage's default.
    #[arg(long)]
    probability: Option<String>,
    /// Forecast category override, or "none".
    #[arg(long)]
    forecast: Option<String>,
}

#[derive(Debug, Args)]
pub struct BantArgs {
    id: i64,
    #[arg(long)]
    budget: Option<String>,
    #[arg(long)]
    budget_note: Option<String>,
    #[arg(long)]
    authority: Option<String>,
    #[arg(long)]
    authority_note: Option<String>,
    #[arg(long)]
    need: Option<String>,
    #[arg(long)]
    need_note: Option<String>,
    #[arg(long)]
    timeline: Option<String>,
    #[arg(long)]
    timeline_note: Option<String>,
}

#[derive(Debug, Args)]
pub struct PocArgs {
    id: i64,
    #[arg(long)]
    scope: Option<String>,
    #[arg(long)]
    criteria: Option<String>,
    #[arg(long)]
    start: Option<String>,
    #[arg(long)]
    end: Option<String>,
    /// pending, passed or failed.
    #[arg(long)]
    outcome: Option<String>,
}

fn member(ctx: &Ctx, name: Option<&str>) -> Result<Option<TeamMemberId>> {
    name.map(|n| team::find(&ctx.ws, n).map(|m| m.id)).transpose()
}

fn clearable<T>(text: Option<&str>, parse: impl Fn(&str) -> Result<T>) -> Result<Option<Option<T>>> {
    match text.map(str::trim) {
        None => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("none") => Ok(Some(None)),
        Some(t) => Ok(Some(Some(parse(t)?))),
    }
}

fn print_deal(deal: &Deal) {
    output::fields(&[
        ("deal", format!("{} {}", deal.id, deal.name)),
        (
            "account",
            match (deal.account_id, &deal.account_name) {
                (Some(id), Some(name)) => format!("{id} {name}"),
                _ => "none yet (keel deal update ID --account ACCOUNT attaches one)".into(),
            },
        ),
        ("stage", deal.stage_name.clone()),
        ("amount", output::deal_amount(&deal.amount, deal.currency)),
        (
            "probability",
            format!(
                "{}{}",
                deal.probability,
                if deal.probability_override.is_some() { " (override)" } else { "" }
            ),
        ),
        ("forecast", deal.forecast_category.to_string()),
        ("expected close", output::opt(&deal.expected_close_date)),
        ("lead source", output::opt(&deal.lead_source)),
        ("owner", deal.owner_name.clone()),
        ("source / type", format!("{} / {}", deal.source, deal.deal_type)),
        ("closed on", output::opt(&deal.closed_on)),
        ("loss reason", output::opt(&deal.loss_reason)),
        ("stalled", if deal.stalled { "yes".into() } else { "no".into() }),
    ]);
}

pub fn deal(ctx: &mut Ctx, cmd: DealCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        DealCommand::Add(a) => {
            let who = ctx.principal()?;
            let input = deals::DealForm {
                name: a.name,
                account_id: AccountId(a.account),
                owner_id: member(ctx, a.owner.as_deref())?,
                amount: a.amount,
                currency: a.currency,
                expected_close_date: a.close,
                source: a.source,
                deal_type: a.deal_type,
                stage: a.stage,
                probability: a.probability,
                forecast: a.forecast,
                expands_deal_id: a.expands.map(DealId),
            }
            .read()?;
            let deal = deals::create(&mut ctx.ws, who, input)?;
            if ctx.json {
                return output::json(&deal);
            }
            print_deal(&deal);
        }
        DealCommand::List(a) => {
            let status = match a.status.trim().to_ascii_lowercase().as_str() {
                "all" => DealStatus::Any,
                "open" => DealStatus::Open,
                "won" => DealStatus::Won,
                "lost" => DealStatus::Lost,
                other => {
                    return Err(KeelError::invalid(
                        "status",
                        format!("'{other}' is not one of: open, won, lost, all"),
                    ))
                }
            };
            let owner_id = if a.mine {
                Some(ctx.principal()?.member())
            } else {
                member(ctx, a.filter.owner.as_deref())?
            };
            let filter = a.filter.query(ctx)?;
            let query = deals::DealQuery {
                stage: a.stage,
                owner_id,
                account_id: a.account.map(AccountId),
                segment: filter.segment,
                source: filter.source,
                status,
                stalled_only: a.stalled,
                close_from: filter.close_from,
                close_to: filter.close_to,
                search: a.search,
                forecast: None,
                sort: DealSort::parse(&a.sort)?,
                descending: a.desc,
                after: a.after.map(DealId),
                offset: a.offset,
                limit: a.limit,
            };
            let list = deals::list(&ctx.ws, ctx.principal()?, &query)?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.name.clone(),
                        output::opt(&d.account_name),
                        d.stage_name.clone(),
                        output::deal_amount(&d.amount, d.currency),
                        d.probability.to_string(),
                        output::opt(&d.expected_close_date),
                        d.owner_name.clone(),
                        if d.stalled { "stalled".into() } else { String::new() },
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "ACCOUNT", "STAGE", "AMOUNT", "PROB", "CLOSE", "OWNER", ""], &rows);
            let full_page = list.len() as u32 == crate::services::MAX_PAGE.min(a.limit.unwrap_or(50));
            match list.last().filter(|_| full_page) {
                Some(last)
                    if query.sort == DealSort::CloseDate && !query.descending && a.offset.is_none() =>
                {
                    println!("(more: --after {})", last.id)
                }
                Some(_) => println!("(more: --offset {})", a.offset.unwrap_or(0) + list.len() as u32),
                None => {}
            }
        }
        DealCommand::Show { id } => {
            let view = deals::view(&ctx.ws, ctx.principal()?, DealId(id))?;
            if ctx.json {
                return output::json(&view);
            }
            print_deal(&view.deal);
            println!("\nStage path");
            let rows: Vec<Vec<String>> = view
                .stage_path
                .iter()
                .map(|v| {
                    vec![
                        v.stage.clone(),
                        v.entered_at.format("%Y-%m-%d").to_string(),
                        format!("{} d", v.days),
                    ]
                })
                .collect();
            output::table(&["STAGE", "ENTERED", "TIME"], &rows);
            println!("\nBANT");
            let rows: Vec<Vec<String>> = view
                .bant
                .iter()
                .map(|b| vec![b.item.to_string(), b.status.to_string(), output::opt(&b.note)])
                .collect();
            output::table(&["ITEM", "STATUS", "NOTE"], &rows);
            if let Some(poc) = &view.proof_of_concept {
                println!("\nProof of concept");
                output::fields(&[
                    ("scope", output::opt(&poc.scope)),
                    ("success criteria", output::opt(&poc.success_criteria)),
                    ("period", format!("{} → {}", output::opt(&poc.start_date), output::opt(&poc.end_date))),
                    ("outcome", output::opt(&poc.outcome)),
                ]);
            }
            println!("\nNegotiation checklist");
            let rows: Vec<Vec<String>> = view
                .checklist
                .iter()
                .map(|c| vec![c.item.label().to_string(), c.status.to_string(), output::opt(&c.on_date)])
                .collect();
            output::table(&["ITEM", "STATUS", "DATE"], &rows);
            println!(
                "\nNext activity: {}",
                view.next_activity.as_ref().map_or("none planned".to_string(), |a| {
                    format!("{} {} (due {})", a.kind, a.subject, output::opt(&a.due_date))
                })
            );
        }
        DealCommand::Update(a) => {
            let who = ctx.principal()?;
            let id = DealId(a.id);
            let form = deals::DealUpdateForm {
                name: a.name,
                account_id: a.account.map(AccountId),
                owner_id: member(ctx, a.owner.as_deref())?,
                amount: a.amount,
                currency: a.currency,
                expected_close_date: a.close,
                source: a.source,
                deal_type: a.deal_type,
                probability: a.probability,
                forecast: a.forecast,
            };
            let deal = deals::update_as_typed(&mut ctx.ws, who, id, form)?;
            if ctx.json {
                return output::json(&deal);
            }
            print_deal(&deal);
        }
        DealCommand::Move { id, stage, override_reason, loss_reason } => {
            let who = ctx.principal()?;
            let outcome = moves::move_deal(
                &mut ctx.ws,
                who,
                DealId(id),
                moves::MoveInput { stage, override_reason, loss_reason },
            )?;
            if ctx.json {
                return output::json(&outcome);
            }
            println!("Deal {} is now in {}.", outcome.deal.id, outcome.deal.stage_name);
            for item in &outcome.overridden {
                println!("  overridden: {item}");
            }
        }
        DealCommand::Bant(a) => {
            let who = ctx.principal()?;
            let mut changes = Vec::new();
            for (item, status, note) in [
                (BantItem::Budget, a.budget, a.budget_note),
                (BantItem::Authority, a.authority, a.authority_note),
                (BantItem::Need, a.need, a.need_note),
                (BantItem::Timeline, a.timeline, a.timeline_note),
            ] {
                if status.is_some() || note.is_some() {
                    let status =
                        status.as_deref().map(|s| BantStatus::parse(item.as_str(), s)).transpose()?;
                    changes.push(qualification::BantChange { item, status, note });
                }
            }
            let bant = qualification::set_bant(&mut ctx.ws, who, DealId(a.id), changes)?;
            if ctx.json {
                return output::json(&bant);
            }
            let rows: Vec<Vec<String>> = bant
                .iter()
                .map(|b| vec![b.item.to_string(), b.status.to_string(), output::opt(&b.note)])
                .collect();
            output::table(&["ITEM", "STATUS", "NOTE"], &rows);
        }
        DealCommand::Poc(a) => {
            let who = ctx.principal()?;
            let changes = qualification::PocChanges {
                scope: a.scope,
                success_criteria: a.criteria,
                start_date: a.start.as_deref().map(|d| parse_date("start_date", d)).transpose()?,
                end_date: a.end.as_deref().map(|d| parse_date("end_date", d)).transpose()?,
                outcome: a.outcome.as_deref().map(|o| PocOutcome::parse("outcome", o)).transpose()?,
            };
            let poc = qualification::set_poc(&mut ctx.ws, who, DealId(a.id), changes)?;
            if ctx.json {
                return output::json(&poc);
            }
            output::fields(&[
                ("scope", output::opt(&poc.scope)),
                ("success criteria", output::opt(&poc.success_criteria)),
                ("period", format!("{} → {}", output::opt(&poc.start_date), output::opt(&poc.end_date))),
                ("outcome", output::opt(&poc.outcome)),
            ]);
        }
        DealCommand::Checklist { id, item, status, date } => {
            let who = ctx.principal()?;
            let item = ChecklistItem::parse("item", &item)?;
            let status = ChecklistStatus::parse("status", &status)?;
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            let list = qualification::set_checklist_item(&mut ctx.ws, who, DealId(id), item, status, on)?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| vec![c.item.label().to_string(), c.status.to_string(), output::opt(&c.on_date)])
                .collect();
            output::table(&["ITEM", "STATUS", "DATE"], &rows);
        }
        DealCommand::History { id } => {
            let view = deals::view(&ctx.ws, ctx.principal()?, DealId(id))?;
            if ctx.json {
                return output::json(&view.history);
            }
            let rows: Vec<Vec<String>> = view
                .history
                .iter()
                .map(|h| {
                    vec![
                        h.changed_at.format("%Y-%m-%d %H:%M").to_string(),
                        output::opt(&h.from_stage),
                        h.to_stage.clone(),
                        output::deal_amount(&h.amount, h.currency),
                        h.probability.to_string(),
                        output::opt(&h.changed_by),
                        output::opt(&h.override_reason),
                    ]
                })
                .collect();
            output::table(&["AT (UTC)", "FROM", "TO", "AMOUNT", "PROB", "BY", "OVERRIDE"], &rows);
        }
        DealCommand::Changes { id } => {
            let changes = deals::changes(&ctx.ws, ctx.principal()?, DealId(id))?;
            if ctx.json {
                return output::json(&changes);
            }
            let rows: Vec<Vec<String>> = changes
                .iter()
                .map(|c| {
                    vec![
                        c.changed_at.format("%Y-%m-%d %H:%M").to_string(),
                        c.field.replace('_', " "),
                        output::opt(&c.old_value),
                        output::opt(&c.new_value),
                        c.changed_by.map_or_else(|| "—".to_string(), |m| m.to_string()),
                    ]
                })
                .collect();
            output::table(&["AT (UTC)", "FIELD", "FROM", "TO", "BY"], &rows);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Log an activity (no --due: it happened now) or plan one (with --due).
    Add {
        #[arg(long)]
        deal: Option<i64>,
        #[arg(long)]
        account: Option<i64>,
        /// call, meeting, email, note, task
        #[arg(long)]
        kind: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        owner: Option<String>,
    },
    /// List activities.
    List {
        #[arg(long)]
        deal: Option<i64>,
        #[arg(long)]
        account: Option<i64>,
        #[arg(long)]
        owner: Option<String>,
        /// Only the acting user's.
        #[arg(long)]
        mine: bool,
        /// Only open items due today or overdue.
        #[arg(long)]
        due: bool,
        /// Only open items.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Mark a planned activity done.
    Done { id: i64 },
    /// Show one activity.
    Show { id: i64 },
    /// Change an activity: subject, notes, owner, due date ("none" clears notes or due date).
    Update {
        id: i64,
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        due: Option<String>,
    },
}

pub fn activity(ctx: &mut Ctx, cmd: ActivityCommand) -> Result<()> {
    require_init(ctx)?;
    let list = match cmd {
        ActivityCommand::Add { deal, account, kind, subject, notes, due, owner } => {
            let who = ctx.principal()?;
            let form = activities::ActivityForm {
                kind,
                subject,
                notes,
                deal_id: deal.map(DealId),
                account_id: account.map(AccountId),
                owner_id: member(ctx, owner.as_deref())?,
                due_date: due,
            };
            vec![activities::log_as_typed(&mut ctx.ws, who, form)?]
        }
        ActivityCommand::List { deal, account, owner, mine, due, open, limit } => {
            let owner_id =
                if mine { Some(ctx.principal()?.member()) } else { member(ctx, owner.as_deref())? };
            let query = activities::ActivityQuery {
                deal_id: deal.map(DealId),
                account_id: account.map(AccountId),
                owner_id,
                due_only: due,
                open_only: open,
                limit,
            };
            activities::list(&ctx.ws, ctx.principal()?, &query)?
        }
        ActivityCommand::Done { id } => {
            let who = ctx.principal()?;
            vec![activities::complete(&mut ctx.ws, who, ActivityId(id))?]
        }
        ActivityCommand::Show { id } => vec![activities::get(&ctx.ws, ctx.principal()?, ActivityId(id))?],
        ActivityCommand::Update { id, subject, notes, owner, due } => {
            let who = ctx.principal()?;
            let changes = activities::ActivityChanges {
                subject,
                notes: clearable(notes.as_deref(), |n| Ok(n.to_string()))?,
                owner_id: member(ctx, owner.as_deref())?,
                due_date: clearable(due.as_deref(), |d| parse_date("due_date", d))?,
            };
            vec![activities::update(&mut ctx.ws, who, ActivityId(id), changes)?]
        }
    };
    if ctx.json {
        return output::json(&list);
    }
    let today = ctx.ws.today();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let state = match (a.done_at, a.due_date) {
                (Some(_), _) => "done".to_string(),
                (None, Some(due)) if due < today => "overdue".to_string(),
                (None, _) => "open".to_string(),
            };
            vec![
                a.id.to_string(),
                a.kind.to_string(),
                a.subject.clone(),
                output::opt(&a.deal_id),
                a.account_name.clone(),
                a.owner_name.clone(),
                output::opt(&a.due_date),
                state,
            ]
        })
        .collect();
    output::table(&["ID", "KIND", "SUBJECT", "DEAL", "ACCOUNT", "OWNER", "DUE", "STATE"], &rows);
    Ok(())
}
