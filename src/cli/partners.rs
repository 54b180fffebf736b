//! The partner program: partners, deal registrations, revenue and payouts.

use super::changes::answer;
use super::{output, require_init, Ctx};
use crate::changes::{Change, Outcome, PartnerForm};
use crate::domain::{DealId, RegistrationId, RegistrationStatus, StatementId};
use crate::money::{format_minor, BasisPoints};
use crate::services::payouts::{self, ExportFormat, StatementView};
use crate::services::registrations::{self, RegistrationView};
use crate::services::{partners, revenue, team};
use crate::{KeelError, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Add a partner (technology: no share; reseller: 20–30 %; strategic: 0–50 %).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: String,
        #[arg(long)]
        tier: String,
        /// Revenue share in percent.
        #[arg(long)]
        share: Option<String>,
        /// technology, system-integrator, agency, reseller, consultant, ecosystem, industry
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        manager: Option<String>,
        /// Date the partner's team was certified.
        #[arg(long)]
        certified: Option<String>,
    },
    List,
    /// A partner with plans, registrations and commission accrued, paid and owed.
    Show {
        name: String,
    },
    /// Add a commission plan version effective from a date (today by default).
    Rate {
        name: String,
        #[arg(long)]
        share: String,
        #[arg(long)]
        from: Option<String>,
    },
    /// Set a partner's status: prospective, active, suspended.
    Status {
        name: String,
        status: String,
        #[arg(long)]
        certified: Option<String>,
    },
    /// Show or change the program settings (protection, extension, holding, minimum payout).
    Settings {
        /// e.g. holding_days, extension_days, protection_days.reseller, min_payout_major
        name: Option<String>,
        value: Option<u32>,
    },
    /// Invite one of a partner's people to the partner portal; in a team workspace the
    /// server prints their one-time invitation code.
    Invite {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// The partner portal's people, of one partner or all.
    Users {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Take someone off the partner portal (their sessions end at once).
    RemoveUser {
        #[arg(long)]
        email: String,
    },
}

pub fn partner(ctx: &mut Ctx, cmd: PartnerCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        PartnerCommand::Add { name, domain, tier, share, category, manager, certified } => {
            let manager = manager.map(|m| team::find(&ctx.ws, &m)).transpose()?.map(|m| m.id);
            let form = PartnerForm { name, domain, tier, share, category, manager, certified };
            let partner = answer!(ctx, Change::PartnerAdd { form }, Outcome::Partner);
            if ctx.json {
                return output::json(&partner);
            }
            println!(
                "Added partner {} ({}, {}) as partner {}.",
                partner.name, partner.tier, partner.domain, partner.id
            );
        }
        PartnerCommand::List => {
            let list = partners::list(&ctx.ws, ctx.principal()?)?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|p| {
                    let x = &p.partner;
                    vec![
                        x.id.to_string(),
                        x.name.clone(),
                        x.tier.to_string(),
                        p.rate.to_string(),
                        output::opt(&x.manager_name),
                        x.status.to_string(),
                    ]
                })
                .collect();
            output::table(&["ID", "PARTNER", "TIER", "RATE", "MANAGER", "STATUS"], &rows);
        }
        PartnerCommand::Show { name } => {
            let partner = partners::find(&ctx.ws, &name)?;
            let view = partners::view(&ctx.ws, ctx.principal()?, partner.id)?;
            if ctx.json {
                return output::json(&view);
            }
            let p = &view.partner;
            output::fields(&[
                ("partner", format!("{} {}", p.id, p.name)),
                ("domain", p.domain.clone()),
                ("tier / category", format!("{} / {}", p.tier, p.category)),
                ("rate today", view.rate.to_string()),
                ("status", p.status.to_string()),
                ("certified", output::opt(&p.certified_on)),
                ("manager", output::opt(&p.manager_name)),
            ]);
            println!("\nCommission plans");
            let rows: Vec<Vec<String>> =
                view.plans.iter().map(|c| vec![c.effective_from.to_string(), c.rate.to_string()]).collect();
            output::table(&["FROM", "RATE"], &rows);
            println!("\nCommission");
            let rows: Vec<Vec<String>> = view
                .commission
                .iter()
                .map(|c| {
                    let e = c.currency.exponent();
                    vec![
                        c.currency.to_string(),
                        format_minor(c.accrued_minor, e),
                        format_minor(c.paid_minor, e),
                        format_minor(c.carried_minor, e),
                        format_minor(c.owed_minor, e),
                    ]
                })
                .collect();
            output::table(&["CURRENCY", "ACCRUED", "PAID", "CARRIED", "OWED"], &rows);
            println!("\nRegistrations");
            print_registrations(&view.registrations.iter().map(|r| (r.clone(), false)).collect::<Vec<_>>());
        }
        PartnerCommand::Rate { name, share, from } => {
            let partner = partners::find(&ctx.ws, &name)?.id;
            let plans = answer!(ctx, Change::PartnerRate { partner, share, from }, Outcome::Plans);
            if ctx.json {
                return output::json(&plans);
            }
            let rows: Vec<Vec<String>> =
                plans.iter().map(|c| vec![c.effective_from.to_string(), c.rate.to_string()]).collect();
            output::table(&["FROM", "RATE"], &rows);
        }
        PartnerCommand::Status { name, status, certified } => {
            let partner = partners::find(&ctx.ws, &name)?.id;
            let partner =
                answer!(ctx, Change::PartnerStatus { partner, status, certified }, Outcome::Partner);
            if ctx.json {
                return output::json(&partner);
            }
            println!("{} is now {}.", partner.name, partner.status);
        }
        PartnerCommand::Invite { partner, email, name } => {
            let partner = partners::find(&ctx.ws, &partner)?.id;
            let applied = super::submit(ctx, Change::PortalInvite { partner, email, name })?;
            let Outcome::PortalUser(user) = applied.outcome else {
                return Err(super::changes::unexpected(&applied.outcome));
            };
            if ctx.json {
                // The portal user, with the code they sign in with when the team server made one.
                let mut value = serde_json::to_value(&user).unwrap_or_default();
                if let Some(invitation) = &applied.invitation {
                    value["invitation_code"] = invitation.code.clone().into();
                }
                return output::json(&value);
            }
            println!(
                "Invited {} of {} to the partner portal (portal user {}).",
                user.email, user.partner_name, user.id
            );
            if let Some(invitation) = &applied.invitation {
                println!(
                    "Invitation code for {}: {} (valid {} days; they sign in at /portal on this server)",
                    invitation.to, invitation.code, invitation.valid_days
                );
            }
        }
        PartnerCommand::Users { partner } => {
            let who = ctx.principal()?;
            let partner = partner.map(|p| partners::find(&ctx.ws, &p)).transpose()?;
            let users = crate::services::portal::users(&ctx.ws, who, partner.map(|p| p.id))?;
            if ctx.json {
                return output::json(&users);
            }
            for user in &users {
                let state = if user.removed_at.is_some() { "removed" } else { "active" };
                println!("{:>4}  {:<32} {:<24} {state}", user.id, user.email, user.partner_name);
            }
        }
        PartnerCommand::RemoveUser { email } => {
            let user = answer!(ctx, Change::PortalRemove { email }, Outcome::PortalUser);
            if ctx.json {
                return output::json(&user);
            }
            println!("{} can no longer sign in to the partner portal.", user.email);
        }
        PartnerCommand::Settings { name, value } => {
            let settings = match (name, value) {
                (Some(name), Some(value)) => {
                    answer!(ctx, Change::ProgramSetting { name, value }, Outcome::ProgramSettings)
                }
                (None, None) => partners::program_settings(&ctx.ws)?,
                _ => {
                    return Err(KeelError::invalid("value", "give a setting name and its value, or neither"))
                }
            };
            if ctx.json {
                return output::json(&settings);
            }
            output::fields(&[
                (
                    "protection (days)",
                    format!(
                        "technology {}, reseller {}, strategic {}",
                        settings.protection_days_technology,
                        settings.protection_days_reseller,
                        settings.protection_days_strategic
                    ),
                ),
                ("extension (days)", settings.extension_days.to_string()),
                ("holding (days)", settings.holding_days.to_string()),
                ("minimum payout", settings.min_payout_major.to_string()),
                ("review within (h)", settings.review_within_hours.to_string()),
            ]);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum RegistrationCommand {
    /// Register a prospect for a partner.
    Submit(SubmitArgs),
    /// Record the expiry of every approved registration whose protection has ended
    /// (reads show them expired already; this writes it down, audited).
    Expire,
    /// Approve (an override reason is required when it conflicts).
    Approve {
        id: i64,
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
    },
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Return to the partner for more information.
    Return {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Resubmit a returned registration with corrected details.
    Resubmit {
        id: i64,
        #[command(flatten)]
        details: SubmitArgs,
    },
    /// Extend protection once (60 days by default).
    Extend {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Convert an approved registration into a deal; prints the deal id.
    Convert {
        id: i64,
        #[arg(long)]
        owner: Option<String>,
    },
    /// List registrations, oldest first.
    List {
        /// submitted, approved, rejected, returned, converted, expired
        #[arg(long)]
        status: Option<String>,
    },
    Show {
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[arg(long)]
    partner: String,
    #[arg(long)]
    company: String,
    #[arg(long)]
    domain: String,
    /// Estimated value, e.g. 80,000.
    #[arg(long, allow_hyphen_values = true)]
    value: String,
    #[arg(long, default_value = "USD")]
    currency: String,
    #[arg(long = "close-date")]
    close_date: String,
    #[arg(long)]
    country: Option<String>,
    #[arg(long)]
    contact_name: Option<String>,
    #[arg(long)]
    contact_email: Option<String>,
    /// video-conferencing, live-streaming, gaming-voice-video, social-audio-video, customer-support
    #[arg(long)]
    use_case: Option<String>,
    #[arg(long)]
    notes: Option<String>,
}

fn registration_form(ctx: &Ctx, a: SubmitArgs) -> Result<registrations::RegistrationForm> {
    Ok(registrations::RegistrationForm {
        partner_id: partners::find(&ctx.ws, &a.partner)?.id,
        company_name: a.company,
        domain: a.domain,
        country: a.country,
        contact_name: a.contact_name,
        contact_email: a.contact_email,
        estimated_value: a.value,
        currency: a.currency,
        close_date: a.close_date,
        use_case: a.use_case,
        notes: a.notes,
    })
}

fn print_registrations(list: &[(crate::store::registrations::Registration, bool)]) {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|(r, overdue)| {
            vec![
                r.id.to_string(),
                r.partner_name.clone(),
                r.company_name.clone(),
                r.domain.clone(),
                output::money(&r.estimated_value),
                format!("{}{}", r.status, if *overdue { " (review overdue)" } else { "" }),
                output::opt(&r.protected_until),
                output::opt(&r.deal_id),
            ]
        })
        .collect();
    output::table(
        &["ID", "PARTNER", "COMPANY", "DOMAIN", "VALUE", "STATUS", "PROTECTED UNTIL", "DEAL"],
        &rows,
    );
}

fn print_registration(view: &RegistrationView) {
    let r = &view.registration;
    output::fields(&[
        ("registration", format!("{} {} for {}", r.id, r.company_name, r.partner_name)),
        ("domain", format!("{} (registrable: {})", r.domain, r.registrable_domain)),
        ("value", output::money(&r.estimated_value)),
        ("expected close", r.expected_close_date.to_string()),
        ("status", format!("{}{}", r.status, if view.review_overdue { " — review overdue" } else { "" })),
        ("locked rate", output::opt(&r.rate)),
        ("protected until", output::opt(&r.protected_until)),
        ("decision reason", output::opt(&r.decision_reason)),
        ("override reason", output::opt(&r.override_reason)),
        (
            "deal",
            match (&r.deal_id, &view.deal_stage) {
                (Some(deal), Some(stage)) => format!("{deal} ({stage})"),
                _ => "—".into(),
            },
        ),
    ]);
    for conflict in &view.conflicts {
        println!("  conflict: {conflict}");
    }
}

pub fn registration(ctx: &mut Ctx, cmd: RegistrationCommand) -> Result<()> {
    require_init(ctx)?;
    let view = match cmd {
        RegistrationCommand::Submit(a) => {
            let form = registration_form(ctx, a)?;
            answer!(ctx, Change::RegistrationSubmit { form }, Outcome::Registration)
        }
        RegistrationCommand::Approve { id, override_reason } => {
            let change = Change::RegistrationApprove { registration: RegistrationId(id), override_reason };
            answer!(ctx, change, Outcome::Registration)
        }
        RegistrationCommand::Reject { id, reason } => {
            let change = Change::RegistrationReject { registration: RegistrationId(id), reason };
            answer!(ctx, change, Outcome::Registration)
        }
        RegistrationCommand::Return { id, reason } => {
            let change = Change::RegistrationReturn { registration: RegistrationId(id), reason };
            answer!(ctx, change, Outcome::Registration)
        }
        RegistrationCommand::Resubmit { id, details } => {
            let form = registration_form(ctx, details)?;
            let change = Change::RegistrationResubmit { registration: RegistrationId(id), form };
            answer!(ctx, change, Outcome::Registration)
        }
        RegistrationCommand::Extend { id, reason } => {
            let change = Change::RegistrationExtend { registration: RegistrationId(id), reason };
            answer!(ctx, change, Outcome::Registration)
        }
        RegistrationCommand::Convert { id, owner } => {
            let owner = owner.map(|o| team::find(&ctx.ws, &o)).transpose()?.map(|m| m.id);
            let change = Change::RegistrationConvert { registration: RegistrationId(id), owner };
            let view = answer!(ctx, change, Outcome::Registration);
            let deal = view
                .registration
                .deal_id
                .ok_or_else(|| KeelError::NotAllowed("conversion left no deal".into()))?;
            if ctx.json {
                return output::json(&serde_json::json!({"deal_id": deal}));
            }
            println!("{deal}");
            return Ok(());
        }
        RegistrationCommand::Expire => {
            let expired = answer!(ctx, Change::RegistrationsExpire, Outcome::Expired);
            if ctx.json {
                return output::json(&expired);
            }
            println!("{} registration(s) expired.", expired.len());
            return Ok(());
        }
        RegistrationCommand::List { status } => {
            let status = status.as_deref().map(|s| RegistrationStatus::parse("status", s)).transpose()?;
            let list = registrations::list(&ctx.ws, ctx.principal()?, status)?;
            if ctx.json {
                return output::json(&list);
            }
            print_registrations(
                &list.into_iter().map(|v| (v.registration, v.review_overdue)).collect::<Vec<_>>(),
            );
            return Ok(());
        }
        RegistrationCommand::Show { id } => {
            registrations::get(&ctx.ws, ctx.principal()?, RegistrationId(id))?
        }
    };
    if ctx.json {
        return output::json(&view);
    }
    print_registration(&view);
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum RevenueCommand {
    /// Record a payment (or, with --refund, a refund) collected on a won deal.
    Record {
        #[arg(long)]
        deal: i64,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        refund: bool,
    },
    /// Correct a commission ledger entry with a reversal entry (the ledger is append-only).
    Reverse {
        #[arg(long)]
        entry: i64,
        #[arg(long)]
        reason: String,
    },
    /// Payments, refunds and commission entries of a deal.
    List {
        #[arg(long)]
        deal: i64,
    },
}

pub fn revenue(ctx: &mut Ctx, cmd: RevenueCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        RevenueCommand::Record { deal, amount, date, refund } => {
            let change = Change::RevenueRecord { deal: DealId(deal), amount, date, refund };
            let outcome = answer!(ctx, change, Outcome::Revenue);
            if ctx.json {
                return output::json(&outcome);
            }
            println!(
                "Recorded {} of {} on deal {}.",
                outcome.event.kind,
                output::money(&outcome.event.amount),
                deal
            );
            if let Some(c) = &outcome.commission {
                println!(
                    "Commission {} at {} (payable from {}).",
                    output::money(&c.amount),
                    c.rate,
                    c.payable_on
                );
            }
        }
        RevenueCommand::Reverse { entry, reason } => {
            let change = Change::RevenueReverse { entry: crate::domain::LedgerEntryId(entry), reason };
            let reversal = answer!(ctx, change, Outcome::Ledger);
            if ctx.json {
                return output::json(&reversal);
            }
            println!("Entry {} reverses entry {entry}: {}.", reversal.id, output::money(&reversal.amount));
        }
        RevenueCommand::List { deal } => {
            let view = revenue::for_deal(&ctx.ws, ctx.principal()?, DealId(deal))?;
            if ctx.json {
                return output::json(&view);
            }
            let rows: Vec<Vec<String>> = view
                .events
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.kind.to_string(),
                        e.occurred_on.to_string(),
                        output::money(&e.amount),
                    ]
                })
                .collect();
            output::table(&["ID", "KIND", "DATE", "AMOUNT"], &rows);
            println!("\nCommission ledger");
            let rows: Vec<Vec<String>> = view
                .ledger
                .iter()
                .map(|l| {
                    vec![
                        l.id.to_string(),
                        l.kind.to_string(),
                        l.rate.to_string(),
                        output::money(&l.amount),
                        l.payable_on.to_string(),
                    ]
                })
                .collect();
            output::table(&["ID", "KIND", "RATE", "COMMISSION", "PAYABLE"], &rows);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum PayoutsCommand {
    /// Build the period's statements (YYYY-MM); re-running rebuilds its drafts.
    Run {
        #[arg(long)]
        period: String,
    },
    List {
        #[arg(long)]
        period: Option<String>,
    },
    Show {
        id: i64,
    },
    Approve {
        id: i64,
    },
    /// Mark an approved statement paid.
    Paid {
        id: i64,
        #[arg(long)]
        reference: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// Export a statement as CSV or a printable PDF.
    Export {
        id: i64,
        #[arg(long)]
        format: String,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

fn print_statement(view: &StatementView) {
    let s = &view.statement;
    let exp = s.total.currency.exponent();
    output::fields(&[
        ("statement", format!("{} {} {}", s.id, s.partner_name, s.period)),
        ("status", s.status.to_string()),
        ("total", output::money(&s.total)),
        (
            "paid",
            match (&s.paid_on, &s.paid_reference) {
                (Some(on), Some(r)) => format!("{on} ({r})"),
                _ => "—".into(),
            },
        ),
    ]);
    let rows: Vec<Vec<String>> = view
        .lines
        .iter()
        .map(|l| {
            vec![
                l.kind.to_string(),
                l.deal_id
                    .map(|d| d.to_string())
                    .or(l.carried_statement_id.map(|c| format!("from statement {c}")))
                    .unwrap_or_default(),
                output::opt(&l.accrued_on),
                l.base_minor.map(|b| format_minor(b, exp)).unwrap_or_default(),
                l.rate_bp.map(|r| BasisPoints(r).to_string()).unwrap_or_default(),
                format_minor(l.amount_minor, exp),
            ]
        })
        .collect();
    output::table(&["KIND", "DEAL", "DATE", "REVENUE", "RATE", "COMMISSION"], &rows);
}

pub fn payouts(ctx: &mut Ctx, cmd: PayoutsCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        PayoutsCommand::Run { period } => {
            let views = answer!(ctx, Change::PayoutRun { period: period.clone() }, Outcome::Statements);
            if ctx.json {
                return output::json(&views);
            }
            if views.is_empty() {
                println!("Nothing payable for {period}.");
            }
            for view in &views {
                println!(
                    "Statement {}: {} {} {}",
                    view.statement.id,
                    view.statement.partner_name,
                    output::money(&view.statement.total),
                    view.statement.status
                );
            }
        }
        PayoutsCommand::List { period } => {
            let list = payouts::list(&ctx.ws, ctx.principal()?, period.as_deref())?;
            if ctx.json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.period.clone(),
                        s.partner_name.clone(),
                        output::money(&s.total),
                        s.status.to_string(),
                    ]
                })
                .collect();
            output::table(&["ID", "PERIOD", "PARTNER", "TOTAL", "STATUS"], &rows);
        }
        PayoutsCommand::Show { id } => {
            let view = payouts::show(&ctx.ws, ctx.principal()?, StatementId(id))?;
            if ctx.json {
                return output::json(&view);
            }
            print_statement(&view);
        }
        PayoutsCommand::Approve { id } => {
            let view =
                answer!(ctx, Change::StatementApprove { statement: StatementId(id) }, Outcome::Statement);
            if ctx.json {
                return output::json(&view);
            }
            print_statement(&view);
        }
        PayoutsCommand::Paid { id, reference, date } => {
            let change = Change::StatementPaid { statement: StatementId(id), reference, date };
            let view = answer!(ctx, change, Outcome::Statement);
            if ctx.json {
                return output::json(&view);
            }
            print_statement(&view);
        }
        PayoutsCommand::Export { id, format, output: path } => {
            let format = match format.trim().to_ascii_lowercase().as_str() {
                "csv" => ExportFormat::Csv,
                "pdf" => ExportFormat::Pdf,
                other => {
                    return Err(KeelError::invalid("format", format!("'{other}' is not one of: csv, pdf")))
                }
            };
            let bytes = payouts::export(&ctx.ws, ctx.principal()?, StatementId(id), format)?;
            std::fs::write(&path, bytes).map_err(|source| KeelError::Io {
                context: format!("cannot write {}", path.display()),
                source,
            })?;
            if ctx.json {
                return output::json(&serde_json::json!({"path": path}));
            }
            println!("Wrote {}.", path.display());
        }
    }
    Ok(())
}
