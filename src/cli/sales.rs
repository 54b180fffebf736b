//! Deals and activities: the account executive's daily commands.

use super::{output, require_init, Ctx};
use crate::changes::{ActivityUpdateForm, Applied, BantForm, Change, PocForm};
use crate::domain::{AccountId, ActivityId, DealId, TeamMemberId};
use crate::services::{activities, deals, moves, team, Workspace};
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

fn member(ws: &Workspace, name: Option<&str>) -> Result<Option<TeamMemberId>> {
    name.map(|n| team::find(ws, n).map(|m| m.id)).transpose()
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

/// The change a `deal` subcommand makes, if it makes one.
pub(crate) fn deal_change(ws: &Workspace, cmd: &DealCommand) -> Result<Option<Change>> {
    Ok(Some(match cmd {
        DealCommand::Add(a) => Change::DealAdd {
            form: deals::DealForm {
                name: a.name.clone(),
                account_id: AccountId(a.account),
                owner_id: member(ws, a.owner.as_deref())?,
                amount: a.amount.clone(),
                currency: a.currency.clone(),
                expected_close_date: a.close.clone(),
                source: a.source.clone(),
                deal_type: a.deal_type.clone(),
                stage: a.stage.clone(),
                probability: a.probability.clone(),
                forecast: a.forecast.clone(),
                expands_deal_id: a.expands.map(DealId),
            },
        },
        DealCommand::Update(a) => Change::DealUpdate {
            deal: DealId(a.id),
            form: deals::DealUpdateForm {
                name: a.name.clone(),
                account_id: a.account.map(AccountId),
                owner_id: member(ws, a.owner.as_deref())?,
                amount: a.amount.clone(),
                currency: a.currency.clone(),
                expected_close_date: a.close.clone(),
                source: a.source.clone(),
                deal_type: a.deal_type.clone(),
                probability: a.probability.clone(),
                forecast: a.forecast.clone(),
            },
        },
        DealCommand::Move { id, stage, override_reason, loss_reason } => Change::DealMove {
            deal: DealId(*id),
            form: moves::MoveInput {
                stage: stage.clone(),
                override_reason: override_reason.clone(),
                loss_reason: loss_reason.clone(),
            },
        },
        DealCommand::Bant(a) => Change::DealBant {
            deal: DealId(a.id),
            form: BantForm {
                budget: a.budget.clone(),
                budget_note: a.budget_note.clone(),
                authority: a.authority.clone(),
                authority_note: a.authority_note.clone(),
                need: a.need.clone(),
                need_note: a.need_note.clone(),
                timeline: a.timeline.clone(),
                timeline_note: a.timeline_note.clone(),
            },
        },
        DealCommand::Poc(a) => Change::DealPoc {
            deal: DealId(a.id),
            form: PocForm {
                scope: a.scope.clone(),
                criteria: a.criteria.clone(),
                start: a.start.clone(),
                end: a.end.clone(),
                outcome: a.outcome.clone(),
            },
        },
        DealCommand::Checklist { id, item, status, date } => Change::DealChecklist {
            deal: DealId(*id),
            item: item.clone(),
            status: status.clone(),
            date: date.clone(),
        },
        DealCommand::List(_)
        | DealCommand::Show { .. }
        | DealCommand::History { .. }
        | DealCommand::Changes { .. } => return Ok(None),
    }))
}

/// Shows what a deal change came to, read back from the workspace (on a team copy, once
/// it has caught up with the server).
fn show_deal_change(ctx: &mut Ctx, cmd: &DealCommand, applied: Applied) -> Result<()> {
    let view = deals::view(&ctx.ws, ctx.principal()?, DealId(applied.id))?;
    match cmd {
        DealCommand::Move { .. } => {
            let outcome = moves::MoveOutcome { deal: view.deal, overridden: applied.overridden };
            if ctx.json {
                return output::json(&outcome);
            }
            println!("Deal {} is now in {}.", outcome.deal.id, outcome.deal.stage_name);
            for item in &outcome.overridden {
                println!("  overridden: {item}");
            }
        }
        DealCommand::Bant(_) => {
            if ctx.json {
                return output::json(&view.bant);
            }
            let rows: Vec<Vec<String>> = view
                .bant
                .iter()
                .map(|b| vec![b.item.to_string(), b.status.to_string(), output::opt(&b.note)])
                .collect();
            output::table(&["ITEM", "STATUS", "NOTE"], &rows);
        }
        DealCommand::Poc(_) => {
            let poc =
                view.proof_of_concept.ok_or_else(|| KeelError::not_found("proof of concept", applied.id))?;
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
        DealCommand::Checklist { .. } => {
            if ctx.json {
                return output::json(&view.checklist);
            }
            let rows: Vec<Vec<String>> = view
                .checklist
                .iter()
                .map(|c| vec![c.item.label().to_string(), c.status.to_string(), output::opt(&c.on_date)])
                .collect();
            output::table(&["ITEM", "STATUS", "DATE"], &rows);
        }
        _ => {
            if ctx.json {
                return output::json(&view.deal);
            }
            print_deal(&view.deal);
        }
    }
    Ok(())
}

pub fn deal(ctx: &mut Ctx, cmd: DealCommand) -> Result<()> {
    require_init(ctx)?;
    if let Some(change) = deal_change(&ctx.ws, &cmd)? {
        let applied = super::submit(ctx, change)?;
        return show_deal_change(ctx, &cmd, applied);
    }
    match cmd {
        DealCommand::List(a) => {
            let status = DealStatus::parse(&a.status)?;
            let owner_id = if a.mine {
                Some(ctx.principal()?.member())
            } else {
                member(&ctx.ws, a.filter.owner.as_deref())?
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
        DealCommand::Add(_)
        | DealCommand::Update(_)
        | DealCommand::Move { .. }
        | DealCommand::Bant(_)
        | DealCommand::Poc(_)
        | DealCommand::Checklist { .. } => {}
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

/// The change an `activity` subcommand makes, if it makes one.
pub(crate) fn activity_change(ws: &Workspace, cmd: &ActivityCommand) -> Result<Option<Change>> {
    Ok(Some(match cmd {
        ActivityCommand::Add { deal, account, kind, subject, notes, due, owner } => Change::ActivityAdd {
            form: activities::ActivityForm {
                kind: kind.clone(),
                subject: subject.clone(),
                notes: notes.clone(),
                deal_id: deal.map(DealId),
                account_id: account.map(AccountId),
                owner_id: member(ws, owner.as_deref())?,
                due_date: due.clone(),
            },
        },
        ActivityCommand::Done { id } => Change::ActivityDone { activity: ActivityId(*id) },
        ActivityCommand::Update { id, subject, notes, owner, due } => Change::ActivityUpdate {
            activity: ActivityId(*id),
            form: ActivityUpdateForm {
                subject: subject.clone(),
                notes: notes.clone(),
                owner_id: member(ws, owner.as_deref())?,
                due: due.clone(),
            },
        },
        ActivityCommand::List { .. } | ActivityCommand::Show { .. } => return Ok(None),
    }))
}

pub fn activity(ctx: &mut Ctx, cmd: ActivityCommand) -> Result<()> {
    require_init(ctx)?;
    if let Some(change) = activity_change(&ctx.ws, &cmd)? {
        let applied = super::submit(ctx, change)?;
        let activity = activities::get(&ctx.ws, ctx.principal()?, ActivityId(applied.id))?;
        return print_activities(ctx, &[activity]);
    }
    let list = match cmd {
        ActivityCommand::List { deal, account, owner, mine, due, open, limit } => {
            let owner_id =
                if mine { Some(ctx.principal()?.member()) } else { member(&ctx.ws, owner.as_deref())? };
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
        ActivityCommand::Show { id } => vec![activities::get(&ctx.ws, ctx.principal()?, ActivityId(id))?],
        ActivityCommand::Add { .. } | ActivityCommand::Done { .. } | ActivityCommand::Update { .. } => {
            Vec::new()
        }
    };
    print_activities(ctx, &list)
}

fn print_activities(ctx: &Ctx, list: &[crate::store::activities::Activity]) -> Result<()> {
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
