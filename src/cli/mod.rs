//! The `keel` command-line tool: parses arguments, resolves names to ids, calls
//! the core services and prints the result (a table, or JSON with `--json`).

mod changes;
pub mod offline;
mod output;
mod partners;
mod records;
mod reports;
mod sales;
mod team_link;
mod tokens;
mod transfer;
mod workspace;

use crate::services::Workspace;
use crate::{KeelError, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "keel", version, about = "Keel: the sales CRM and partner portal, from the command line")]
pub struct Cli {
    /// Workspace database file (default: keel/keel.db under the platform data directory).
    #[arg(long, global = true, env = "KEEL_DB", value_name = "PATH")]
    db: Option<PathBuf>,

    /// Print machine-readable JSON (errors too, on stderr, as {"code","message"}).
    #[arg(long, global = true)]
    json: bool,

    /// Act as this team member (default: the workspace's current user).
    #[arg(long = "as", global = true, value_name = "NAME")]
    as_user: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the workspace, seed the default enterprise pipeline, and add its first member.
    Init(workspace::InitArgs),
    /// Fill an empty workspace with a realistic, reproducible demo sales org.
    Demo(workspace::DemoArgs),
    /// Team members and the current user.
    #[command(subcommand)]
    Team(workspace::TeamCommand),
    /// Stages of the pipeline.
    #[command(subcommand)]
    Stage(workspace::StageCommand),
    /// Workspace settings (proof-of-concept evaluation bounds).
    #[command(subcommand)]
    Settings(workspace::SettingsCommand),
    /// Accounts: the companies you sell to.
    #[command(subcommand)]
    Account(records::AccountCommand),
    /// Contacts at accounts.
    #[command(subcommand)]
    Contact(records::ContactCommand),
    /// Deals: create, list, show, update, move, qualify.
    #[command(subcommand)]
    Deal(sales::DealCommand),
    /// Calls, meetings, e-mails, notes and tasks.
    #[command(subcommand)]
    Activity(sales::ActivityCommand),
    /// Onboarding plans of won accounts.
    #[command(subcommand)]
    Onboarding(records::OnboardingCommand),
    /// Quarterly business reviews.
    #[command(subcommand)]
    Qbr(records::QbrCommand),
    /// Partners, tiers and commission plans.
    #[command(subcommand)]
    Partner(partners::PartnerCommand),
    /// Deal registrations: submit, review, convert.
    #[command(subcommand)]
    Registration(partners::RegistrationCommand),
    /// Payments and refunds collected on won deals.
    #[command(subcommand)]
    Revenue(partners::RevenueCommand),
    /// Revenue-share payout statements.
    #[command(subcommand)]
    Payouts(partners::PayoutsCommand),
    /// Import deals, accounts or contacts from CSV or XLSX; list and revert imports.
    #[command(subcommand)]
    Import(transfer::ImportCommand),
    /// Export deals, accounts, contacts or activities as CSV or JSON.
    Export(transfer::ExportArgs),
    /// Sales metrics: win rate, pipeline, cycle length, deal size, partner-sourced revenue,
    /// the funnel and progress against targets.
    Metrics(reports::MetricsArgs),
    /// The pipeline board's columns: open deals by stage with count, value and weighted
    /// value in the reporting currency (the desktop board shows the same figures).
    Board(reports::BoardCommandArgs),
    /// Find accounts, deals and contacts by name (or domain, or email).
    Search { text: String },
    /// The reporting currency and exchange rates.
    #[command(subcommand)]
    Fx(reports::FxCommand),
    /// Targets per period (customers, enterprise deals, ARR).
    #[command(subcommand)]
    Target(reports::TargetCommand),
    /// The pipeline's history: what changed between two days.
    #[command(subcommand)]
    Pipeline(reports::PipelineCommand),
    /// Quotas per member and period (set by sales leaders).
    #[command(subcommand)]
    Quota(reports::QuotaCommand),
    /// The forecast for a period: quota, closed won, commit, best case, pipeline, omitted,
    /// attainment and each member's call; `submit` and `adjust` the calls.
    Forecast(reports::ForecastArgs),
    /// Read the audit log: who did what, when.
    Audit(workspace::AuditArgs),
    /// Join a team workspace: sign in with the invitation code, download the team's
    /// workspace into a local copy (--db), and keep it in step from then on.
    Join {
        /// The team server's address, e.g. https://keel.example.com
        url: String,
        /// The one-time invitation code a sales leader (or `keel-server invite`) gave you.
        code: String,
    },
    /// Catch this team workspace's copy up with the team server now: changes made
    /// offline go first. `--status` lists what waits or was refused, without sending.
    Sync(team_link::SyncArgs),
    /// Stop working with the team from this machine: its access is revoked on the server
    /// and its credential forgotten here; the copy stays readable.
    Leave,
    /// In a team workspace: tokens for integrations of the HTTP API (`/api/v1`), each
    /// acting as the sales leader who created it (sales leaders only).
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Check the workspace: SQLite integrity and foreign keys, then Keel's invariants
    /// (statement totals, ledger reversals, one live registration per partner and domain,
    /// stage history, the report projection).
    Check {
        /// First rebuild the report projection (deal_facts) from the deals.
        #[arg(long)]
        rebuild_facts: bool,
    },
    /// Write a consistent, verified copy of the workspace to FILE (replaced atomically).
    Backup { file: std::path::PathBuf },
    /// Replace the workspace with a backup FILE, after checking it; the current file is kept
    /// aside as `<db>.before-restore-<time>`. Close the desktop app first.
    Restore { file: std::path::PathBuf },
}

pub(crate) use changes::submit;
pub use changes::{change_from_line, line_of};

/// What every command handler receives.
pub(crate) struct Ctx {
    pub ws: Workspace,
    pub json: bool,
    pub as_user: Option<String>,
}

impl Ctx {
    /// Who this command acts for: `--as` or the workspace's current user (the copy's own
    /// member in a team workspace).
    pub fn principal(&self) -> Result<crate::services::policy::Principal> {
        self.ws.principal(self.as_user.as_deref())
    }
}

/// Runs the CLI and returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let json = cli.json;
    match execute(cli) {
        Ok(()) => 0,
        Err(err) => {
            // The field as the product names it, whatever flag the message speaks of.
            let field = err.field().map(str::to_string);
            let err = name_the_flag(err);
            if json {
                let body = crate::ErrorBody { field, ..err.body() };
                eprintln!("{}", serde_json::to_string(&body).unwrap_or_default());
            } else {
                eprintln!("keel: {}", err.to_string().replace('\n', " "));
            }
            1
        }
    }
}

fn execute(cli: Cli) -> Result<()> {
    let path = cli.db.clone().unwrap_or_else(crate::default_db_path);
    let clock = crate::clock::from_env()?;
    // Restoring replaces the file: it must not be open here while it is swapped.
    if let Command::Restore { file } = &cli.command {
        return workspace::restore(&path, file, clock.now(), cli.json);
    }
    if let Command::Join { url, code } = &cli.command {
        return team_link::join(url, code, &path, clock, cli.json);
    }
    // Only the commands that create a workspace may create its file.
    let ws = match cli.command {
        Command::Init(_) | Command::Demo(_) => Workspace::open(&path, clock)?,
        _ => crate::remote::open_existing(&path, clock).map_err(|e| match e {
            KeelError::NotAllowed(_) if !path.exists() => KeelError::NotAllowed(format!(
                "there is no Keel workspace at {} (create one with `keel init`, or pass --db)",
                path.display()
            )),
            other => other,
        })?,
    };
    if ws.is_replica() && cli.as_user.is_some() {
        return Err(KeelError::NotAllowed(
            "a team workspace acts as the member who joined it on this machine: --as is refused".into(),
        ));
    }
    let mut ctx = Ctx { ws, json: cli.json, as_user: cli.as_user };
    dispatch(&mut ctx, &path, cli.command)
}

fn dispatch(ctx: &mut Ctx, path: &std::path::Path, command: Command) -> Result<()> {
    let ctx = &mut *ctx;
    match command {
        Command::Init(args) => workspace::init(ctx, path, args),
        Command::Demo(args) => workspace::demo(ctx, args),
        Command::Team(cmd) => workspace::team(ctx, cmd),
        Command::Stage(cmd) => workspace::stage(ctx, cmd),
        Command::Settings(cmd) => workspace::settings(ctx, cmd),
        Command::Account(cmd) => records::account(ctx, cmd),
        Command::Contact(cmd) => records::contact(ctx, cmd),
        Command::Deal(cmd) => sales::deal(ctx, cmd),
        Command::Activity(cmd) => sales::activity(ctx, cmd),
        Command::Onboarding(cmd) => records::onboarding(ctx, cmd),
        Command::Qbr(cmd) => records::qbr(ctx, cmd),
        Command::Partner(cmd) => partners::partner(ctx, cmd),
        Command::Registration(cmd) => partners::registration(ctx, cmd),
        Command::Revenue(cmd) => partners::revenue(ctx, cmd),
        Command::Payouts(cmd) => partners::payouts(ctx, cmd),
        Command::Import(cmd) => transfer::import(ctx, cmd),
        Command::Export(args) => transfer::export(ctx, args),
        Command::Metrics(args) => reports::metrics(ctx, args),
        Command::Board(args) => reports::board(ctx, args),
        Command::Search { text } => reports::search(ctx, &text),
        Command::Fx(cmd) => reports::fx(ctx, cmd),
        Command::Target(cmd) => reports::target(ctx, cmd),
        Command::Quota(cmd) => reports::quota(ctx, cmd),
        Command::Pipeline(cmd) => reports::pipeline(ctx, cmd),
        Command::Forecast(args) => reports::forecast(ctx, args),
        Command::Audit(args) => workspace::audit(ctx, args),
        Command::Check { rebuild_facts } => workspace::check(ctx, rebuild_facts),
        Command::Backup { file } => workspace::backup(ctx, &file),
        Command::Restore { .. } | Command::Join { .. } => {
            Err(KeelError::NotAllowed("this command runs before a workspace is open".into()))
        }
        Command::Sync(args) => team_link::sync(ctx, args),
        Command::Leave => team_link::leave(ctx),
        Command::Token(cmd) => tokens::token(ctx, cmd),
    }
}

/// The core names fields as the product does (`expected_close_date`); on the command
/// line a mistake is named by the flag that was typed (`close`).
fn name_the_flag(err: KeelError) -> KeelError {
    const FLAGS: &[(&str, &str)] = &[
        ("expected_close_date", "close"),
        ("close_date", "close-date"),
        ("estimated_value", "value"),
        ("deal_type", "type"),
        ("loss_reason", "loss-reason"),
        ("contact_email", "contact-email"),
        ("contact_name", "contact-name"),
        ("use_case", "use-case"),
        ("starts_on", "from"),
        ("ends_on", "to"),
    ];
    match err {
        KeelError::Invalid { field, problem } => {
            let flag = FLAGS.iter().find(|(f, _)| *f == field).map_or(field, |(_, flag)| flag.to_string());
            KeelError::Invalid { field: flag, problem: in_cli_terms(problem) }
        }
        KeelError::NotAllowed(message) => KeelError::NotAllowed(in_cli_terms(message)),
        other => other,
    }
}

/// The core says what to do in the product's words; on the command line it is a flag.
pub(crate) fn in_cli_terms(text: String) -> String {
    const HINTS: &[(&str, &str)] = &[
        ("read the file with day-first dates", "pass --date-order dmy"),
        ("a strict import refuses", "--strict refuses"),
        ("or map a column to ", "or map one with --map COLUMN="),
        ("a new target needs both a start and an end date", "a new target needs both --from and --to dates"),
        ("choose who you are first", "pass --as NAME, or pick one with `keel team use NAME`"),
        ("add yourself as its first member", "add yourself with `keel team add --name NAME --role ROLE`"),
    ];
    HINTS.iter().fold(text, |t, (product, cli)| t.replace(product, cli))
}

/// Refuses commands that need `keel init` first, with the fix in the message.
pub(crate) fn require_init(ctx: &Ctx) -> Result<()> {
    if ctx.ws.is_initialized()? {
        Ok(())
    } else {
        Err(KeelError::NotAllowed(
            "this workspace is not initialized: run `keel init` (or `keel demo`)".into(),
        ))
    }
}
