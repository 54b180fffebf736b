//! Accounts, contacts, onboarding plans and QBRs.

use super::changes::answer;
use super::{output, require_init, Ctx};
use crate::changes::{AccountForm, AccountUpdateForm, Change, Outcome};
use crate::domain::{AccountId, ContactId, OnboardingPlanId, QbrId, Segment};
use crate::services::{accounts, contacts, onboarding, team};
use crate::store::accounts::Account;
use crate::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account.
    Add {
        #[arg(long)]
        name: String,
        /// Web domain; normalized (lower-case, no scheme, no www.) and unique.
        #[arg(long)]
        domain: Option<String>,
        /// developers-startups, smb-mid-market or enterprise.
        #[arg(long)]
        segment: Option<String>,
        #[arg(long)]
        vertical: Option<String>,
        #[arg(long)]
        region: Option<String>,
    },
    /// List accounts.
    List {
        #[arg(long)]
        segment: Option<String>,
        /// Name or domain contains this text.
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Show an account with its contacts, deals, onboarding and QBRs.
    Show { id: i64 },
    /// Change an account's fields.
    Update {
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        domain: Option<String>,
        #[arg(long)]
        segment: Option<String>,
        #[arg(long)]
        vertical: Option<String>,
        #[arg(long)]
        region: Option<String>,
    },
    /// List likely duplicate accounts: one registrable domain, or near-identical names.
    Duplicates,
    /// Merge OTHER into KEEP: contacts, deals, activities, onboarding and QBRs move to KEEP.
    Merge { keep: i64, other: i64 },
}

fn segment(text: Option<&str>) -> Result<Option<Segment>> {
    text.map(|s| Segment::parse("segment", s)).transpose()
}

fn print_account(a: &Account) {
    output::fields(&[
        ("account", format!("{} {}", a.id, a.name)),
        ("domain", output::opt(&a.domain)),
        ("segment", a.segment.to_string()),
        ("vertical", output::opt(&a.vertical)),
        ("region", output::opt(&a.region)),
    ]);
}

/// The change an `account` subcommand makes, if it is one that goes as a typed change.
pub(crate) fn account_change(cmd: &AccountCommand) -> Option<Change> {
    Some(match cmd {
        AccountCommand::Add { name, domain, segment, vertical, region } => Change::AccountAdd {
            form: AccountForm {
                name: name.clone(),
                domain: domain.clone(),
                segment: segment.clone(),
                vertical: vertical.clone(),
                region: region.clone(),
            },
        },
        AccountCommand::Update { id, name, domain, segment, vertical, region } => Change::AccountUpdate {
            account: AccountId(*id),
            form: AccountUpdateForm {
                name: name.clone(),
                domain: domain.clone(),
                segment: segment.clone(),
                vertical: vertical.clone(),
                region: region.clone(),
            },
        },
        _ => return None,
    })
}

pub fn account(ctx: &mut Ctx, cmd: AccountCommand) -> Result<()> {
    require_init(ctx)?;
    if let Some(change) = account_change(&cmd) {
        let applied = super::submit(ctx, change)?;
        let account = accounts::get(&ctx.ws, ctx.principal()?, AccountId(applied.id))?;
        if ctx.json {
            return output::json(&account);
        }
        print_account(&account);
        return Ok(());
    }
    match cmd {
        AccountCommand::List { segment: seg, search, limit, offset } => {
            let query = accounts::AccountQuery { segment: segment(seg.as_deref())?, search, limit, offset };
            let list = accounts::list(&ctx.ws, ctx.principal()?, &query)?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.name.clone(),
                        output::opt(&a.domain),
                        a.segment.to_string(),
                        output::opt(&a.vertical),
                        output::opt(&a.region),
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "DOMAIN", "SEGMENT", "VERTICAL", "REGION"], &rows);
        }
        AccountCommand::Show { id } => {
            let view = accounts::view(&ctx.ws, ctx.principal()?, AccountId(id))?;
            if ctx.json {
                return output::json(&view);
            }
            print_account(&view.account);
            println!("\nContacts");
            let rows: Vec<Vec<String>> = view
                .contacts
                .iter()
                .map(|c| vec![c.id.to_string(), c.name.clone(), output::opt(&c.title), c.email.clone()])
                .collect();
            output::table(&["ID", "NAME", "TITLE", "EMAIL"], &rows);
            println!("\nDeals");
            let rows: Vec<Vec<String>> = view
                .deals
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.name.clone(),
                        d.stage_name.clone(),
                        output::deal_amount(&d.amount, d.currency),
                        d.owner_name.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "STAGE", "AMOUNT", "OWNER"], &rows);
            for plan in &view.onboarding {
                println!();
                print_plan(plan);
            }
            if !view.qbrs.is_empty() {
                println!("\nQuarterly business reviews");
                let rows: Vec<Vec<String>> = view
                    .qbrs
                    .iter()
                    .map(|q| {
                        vec![
                            q.id.to_string(),
                            q.scheduled_on.to_string(),
                            q.owner_name.clone(),
                            output::opt(&q.held_on),
                        ]
                    })
                    .collect();
                output::table(&["ID", "SCHEDULED", "OWNER", "HELD"], &rows);
            }
        }
        AccountCommand::Duplicates => {
            let groups = crate::services::duplicates::account_duplicates(&ctx.ws, ctx.principal()?)?;
            if ctx.json {
                return output::json(&groups);
            }
            if groups.is_empty() {
                println!("No likely duplicate accounts.");
            }
            for group in &groups {
                println!("{}", group.reasons.join("; "));
                let rows: Vec<Vec<String>> = group
                    .accounts
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.to_string(),
                            a.name.clone(),
                            output::opt(&a.domain),
                            a.deals.to_string(),
                            a.contacts.to_string(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "NAME", "DOMAIN", "DEALS", "CONTACTS"], &rows);
                println!();
            }
        }
        AccountCommand::Merge { keep, other } => {
            let change = Change::AccountMerge { keep: AccountId(keep), other: AccountId(other) };
            let report = answer!(ctx, change, Outcome::Merged);
            if ctx.json {
                return output::json(&report);
            }
            let m = &report.moved;
            println!(
                "Merged account {} ({}) into {} ({}): moved {} contacts, {} deals, {} activities, {} onboarding plans, \
                 {} QBRs; {} registrations follow their deals.",
                report.merged_id,
                report.merged_name,
                report.kept.id,
                report.kept.name,
                m.contacts,
                m.deals,
                m.activities,
                m.onboarding_plans,
                m.qbrs,
                m.registrations
            );
        }
        AccountCommand::Add { .. } | AccountCommand::Update { .. } => {}
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    Add {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        title: Option<String>,
    },
    List {
        #[arg(long)]
        account: Option<i64>,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    Show {
        id: i64,
    },
    Update {
        id: i64,
        #[arg(long)]
        account: Option<i64>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        title: Option<String>,
    },
}

/// The change a `contact` subcommand makes, if it makes one.
pub(crate) fn contact_change(cmd: &ContactCommand) -> Option<Change> {
    Some(match cmd {
        ContactCommand::Add { account, name, email, title } => Change::ContactAdd {
            form: contacts::ContactInput {
                account_id: AccountId(*account),
                name: name.clone(),
                title: title.clone(),
                email: email.clone(),
            },
        },
        ContactCommand::Update { id, account, name, email, title } => Change::ContactUpdate {
            contact: ContactId(*id),
            form: contacts::ContactChanges {
                account_id: account.map(AccountId),
                name: name.clone(),
                title: title.clone(),
                email: email.clone(),
            },
        },
        ContactCommand::List { .. } | ContactCommand::Show { .. } => return None,
    })
}

pub fn contact(ctx: &mut Ctx, cmd: ContactCommand) -> Result<()> {
    require_init(ctx)?;
    let contact = match cmd {
        ContactCommand::Add { .. } | ContactCommand::Update { .. } => {
            let change = contact_change(&cmd).ok_or(crate::KeelError::ReplicaWrite)?;
            let applied = super::submit(ctx, change)?;
            contacts::get(&ctx.ws, ctx.principal()?, ContactId(applied.id))?
        }
        ContactCommand::List { account, limit, offset } => {
            let list = contacts::list(&ctx.ws, ctx.principal()?, account.map(AccountId), limit, offset)?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.name.clone(),
                        output::opt(&c.title),
                        c.email.clone(),
                        c.account_name.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "TITLE", "EMAIL", "ACCOUNT"], &rows);
            return Ok(());
        }
        ContactCommand::Show { id } => contacts::get(&ctx.ws, ctx.principal()?, ContactId(id))?,
    };
    if ctx.json {
        return output::json(&contact);
    }
    output::fields(&[
        ("contact", format!("{} {}", contact.id, contact.name)),
        ("title", output::opt(&contact.title)),
        ("email", contact.email.clone()),
        ("account", format!("{} {}", contact.account_id, contact.account_name)),
    ]);
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum OnboardingCommand {
    /// Show an account's onboarding plans.
    Show { account: i64 },
    /// Mark an onboarding step done (kick-off, technical-integration, training, go-live).
    Done {
        plan: i64,
        step: String,
        #[arg(long)]
        date: Option<String>,
    },
}

/// The change an `onboarding` subcommand makes, if it makes one.
pub(crate) fn onboarding_change(cmd: &OnboardingCommand) -> Option<Change> {
    match cmd {
        OnboardingCommand::Done { plan, step, date } => Some(Change::OnboardingStepDone {
            plan: OnboardingPlanId(*plan),
            step: step.clone(),
            date: date.clone(),
        }),
        OnboardingCommand::Show { .. } => None,
    }
}

pub fn onboarding(ctx: &mut Ctx, cmd: OnboardingCommand) -> Result<()> {
    require_init(ctx)?;
    let account = match &cmd {
        OnboardingCommand::Show { account } => AccountId(*account),
        OnboardingCommand::Done { .. } => {
            let change = onboarding_change(&cmd).ok_or(crate::KeelError::ReplicaWrite)?;
            let applied = super::submit(ctx, change)?;
            onboarding::plan_account(&ctx.ws, ctx.principal()?, OnboardingPlanId(applied.id))?
        }
    };
    let plans = onboarding::plans(&ctx.ws, ctx.principal()?, account)?;
    if ctx.json {
        return output::json(&plans);
    }
    if plans.is_empty() {
        println!("Account {account} has no onboarding plan yet: one starts when a deal is won.");
    }
    for plan in &plans {
        print_plan(plan);
    }
    Ok(())
}

fn print_plan(plan: &crate::store::onboarding::OnboardingPlan) {
    println!("Onboarding plan {} (deal {})", plan.id, plan.deal_id);
    let rows: Vec<Vec<String>> = plan
        .steps
        .iter()
        .map(|s| {
            vec![s.step.to_string(), s.owner_name.clone(), s.due_date.to_string(), output::opt(&s.done_on)]
        })
        .collect();
    output::table(&["STEP", "OWNER", "DUE", "DONE"], &rows);
}

#[derive(Debug, Subcommand)]
pub enum QbrCommand {
    /// Schedule a quarterly business review.
    Add {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        date: String,
        #[arg(long)]
        owner: Option<String>,
    },
    /// List an account's QBRs.
    List {
        #[arg(long)]
        account: i64,
    },
    /// Record that a QBR was held.
    Held {
        id: i64,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
}

/// The change a `qbr` subcommand makes, if it makes one.
pub(crate) fn qbr_change(ws: &crate::services::Workspace, cmd: &QbrCommand) -> Result<Option<Change>> {
    Ok(match cmd {
        QbrCommand::Add { account, date, owner } => Some(Change::QbrAdd {
            account: AccountId(*account),
            date: date.clone(),
            owner: owner.as_deref().map(|n| team::find(ws, n)).transpose()?.map(|m| m.id),
        }),
        QbrCommand::Held { id, date, notes } => {
            Some(Change::QbrHeld { qbr: QbrId(*id), date: date.clone(), notes: notes.clone() })
        }
        QbrCommand::List { .. } => None,
    })
}

pub fn qbr(ctx: &mut Ctx, cmd: QbrCommand) -> Result<()> {
    require_init(ctx)?;
    let account = match qbr_change(&ctx.ws, &cmd)? {
        Some(change) => {
            let applied = super::submit(ctx, change)?;
            onboarding::qbr_account(&ctx.ws, ctx.principal()?, QbrId(applied.id))?
        }
        None => match cmd {
            QbrCommand::List { account } => AccountId(account),
            _ => return Err(crate::KeelError::ReplicaWrite),
        },
    };
    let qbrs = onboarding::qbrs(&ctx.ws, ctx.principal()?, account)?;
    if ctx.json {
        return output::json(&qbrs);
    }
    let rows: Vec<Vec<String>> = qbrs
        .iter()
        .map(|q| {
            vec![
                q.id.to_string(),
                q.scheduled_on.to_string(),
                q.owner_name.clone(),
                output::opt(&q.held_on),
                output::opt(&q.notes),
            ]
        })
        .collect();
    output::table(&["ID", "SCHEDULED", "OWNER", "HELD", "NOTES"], &rows);
    Ok(())
}
