//! Accounts, contacts, onboarding plans and QBRs.

use super::{output, require_init, Ctx};
use crate::domain::{parse_date, AccountId, ContactId, OnboardingPlanId, OnboardingStep, QbrId, Segment};
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

pub fn account(ctx: &mut Ctx, cmd: AccountCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        AccountCommand::Add { name, domain, segment: seg, vertical, region } => {
            let who = ctx.principal()?;
            let input =
                accounts::AccountInput { name, domain, segment: segment(seg.as_deref())?, vertical, region };
            let account = accounts::create(&mut ctx.ws, who, input)?;
            if ctx.json {
                return output::json(&account);
            }
            print_account(&account);
        }
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
            let who = ctx.principal()?;
            let report =
                crate::services::duplicates::merge(&mut ctx.ws, who, AccountId(keep), AccountId(other))?;
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
        AccountCommand::Update { id, name, domain, segment: seg, vertical, region } => {
            let who = ctx.principal()?;
            let changes = accounts::AccountChanges {
                name,
                domain,
                segment: segment(seg.as_deref())?,
                vertical,
                region,
            };
            let account = accounts::update(&mut ctx.ws, who, AccountId(id), changes)?;
            if ctx.json {
                return output::json(&account);
            }
            print_account(&account);
        }
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

pub fn contact(ctx: &mut Ctx, cmd: ContactCommand) -> Result<()> {
    require_init(ctx)?;
    let contact = match cmd {
        ContactCommand::Add { account, name, email, title } => {
            let who = ctx.principal()?;
            contacts::create(
                &mut ctx.ws,
                who,
                contacts::ContactInput { account_id: AccountId(account), name, title, email },
            )?
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
        ContactCommand::Update { id, account, name, email, title } => {
            let who = ctx.principal()?;
            let changes = contacts::ContactChanges { account_id: account.map(AccountId), name, title, email };
            contacts::update(&mut ctx.ws, who, ContactId(id), changes)?
        }
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

pub fn onboarding(ctx: &mut Ctx, cmd: OnboardingCommand) -> Result<()> {
    require_init(ctx)?;
    let account = match cmd {
        OnboardingCommand::Show { account } => AccountId(account),
        OnboardingCommand::Done { plan, step, date } => {
            let who = ctx.principal()?;
            let step = OnboardingStep::parse("step", &step)?;
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            onboarding::complete_step(&mut ctx.ws, who, OnboardingPlanId(plan), step, on)?
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

pub fn qbr(ctx: &mut Ctx, cmd: QbrCommand) -> Result<()> {
    require_init(ctx)?;
    let qbrs = match cmd {
        QbrCommand::Add { account, date, owner } => {
            let who = ctx.principal()?;
            let owner = owner.map(|n| team::find(&ctx.ws, &n)).transpose()?.map(|m| m.id);
            onboarding::schedule_qbr(&mut ctx.ws, who, AccountId(account), parse_date("date", &date)?, owner)?
        }
        QbrCommand::List { account } => onboarding::qbrs(&ctx.ws, ctx.principal()?, AccountId(account))?,
        QbrCommand::Held { id, date, notes } => {
            let who = ctx.principal()?;
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            onboarding::record_qbr(&mut ctx.ws, who, QbrId(id), on, notes)?
        }
    };
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
