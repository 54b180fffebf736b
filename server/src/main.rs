//! keel-server: a team's shared workspace. It runs the same core as every desktop and
//! CLI over one SQLite file, takes members' changes as commands (acting as the member
//! the session authenticated), and feeds every committed row to the members' copies.

mod accounts;
mod app;
mod applying;
mod changes;
mod integration;
mod jobs;
mod limiter;
mod portal;
mod portal_accounts;
mod portal_front_end;
mod replication;
mod secrets;
mod sessions;
mod shared;
mod tokens;
mod versions;

use clap::{Parser, Subcommand};
use keel::domain::Role;
use keel::services::{demo, pipeline, team, Workspace};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keel-server",
    version,
    about = "Keel team server: one workspace shared by the whole sales team"
)]
struct Args {
    /// The team workspace file (only this server writes it).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,

    /// Address to listen on. Serve plain HTTP only on loopback behind a reverse proxy
    /// that terminates TLS, or give --tls-cert and --tls-key.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: String,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// How long a session lasts before the member's machine signs in again.
    #[arg(long, default_value_t = 12, value_name = "HOURS")]
    session_hours: i64,

    /// The reverse proxy in front of this server (its address as it connects): failed
    /// sign-ins are then counted per client address as it reports in X-Forwarded-For.
    #[arg(long, value_name = "ADDR")]
    trusted_proxy: Option<std::net::IpAddr>,

    /// The partner portal's built files (`portal/build`), served at /portal.
    #[arg(long, env = "KEEL_PORTAL_DIR", value_name = "DIR")]
    portal_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the team workspace with its first member, a sales leader, and print that
    /// member's invitation code.
    Init {
        /// The first member's name.
        #[arg(long)]
        admin: String,
        /// Fill the workspace with a demo sales org of this many deals (a local try-out);
        /// the demo's sales leader, an account executive and a partner manager are invited.
        #[arg(long, value_name = "DEALS")]
        demo: Option<u64>,
    },
    /// Print a new one-time invitation code for an existing member (members are added by a
    /// sales leader with `keel team add` on a joined machine).
    Invite {
        #[arg(long)]
        member: String,
    },
    /// Put the team workspace back from a backup (stop the server first). The file gets a
    /// new epoch: every member's copy is told to join again instead of skipping changes.
    Restore {
        /// The backup to restore (a copy of this server's file, e.g. from `keel backup`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("keel-server: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> keel::Result<()> {
    let db = args
        .db
        .clone()
        .ok_or_else(|| keel::KeelError::invalid("db", "give the team workspace file with --db"))?;
    let clock = keel::clock::from_env()?;
    match args.command {
        Some(Command::Init { admin, demo: deals }) => {
            if db.exists() {
                return Err(keel::KeelError::NotAllowed(format!("{} already exists", db.display())));
            }
            let mut ws = Workspace::open(&db, clock.clone())?;
            let invited = match deals {
                Some(deals) => {
                    demo::generate(&mut ws, demo::DemoOptions { deals, seed: 7 })?;
                    let members = team::list(&ws)?;
                    [Role::SalesLeader, Role::AccountExecutive, Role::PartnerManager]
                        .iter()
                        .filter_map(|role| members.iter().find(|m| m.role == *role))
                        .map(|m| (m.id, m.name.clone(), m.role))
                        .collect::<Vec<_>>()
                }
                None => {
                    pipeline::init(&mut ws)?;
                    let member = team::add(
                        &mut ws,
                        None,
                        team::NewTeamMember { name: admin, role: Role::SalesLeader, ae_segment: None },
                    )?;
                    vec![(member.id, member.name, member.role)]
                }
            };
            drop(ws);
            let conn = accounts::open(&db)?;
            for (id, name, role) in invited {
                let code = accounts::invite(&conn, id, clock.now())?;
                println!("{name} ({role}): {code}");
            }
            println!(
                "Invitation codes are valid for {} days. Serve with: keel-server --db {}",
                accounts::INVITE_DAYS,
                db.display()
            );
            Ok(())
        }
        Some(Command::Invite { member }) => {
            let ws = Workspace::open_existing(&db, clock.clone())?;
            let found = team::find(&ws, &member)?;
            if !found.is_active() {
                return Err(keel::KeelError::NotAllowed(format!("{} has left the team", found.name)));
            }
            drop(ws);
            let conn = accounts::open(&db)?;
            println!("{}", accounts::invite(&conn, found.id, clock.now())?);
            Ok(())
        }
        Some(Command::Restore { from }) => {
            let restored =
                keel::store::restore::restore(&db, &from, &clock.now().format("%Y%m%dT%H%M%SZ").to_string())?;
            let conn = accounts::open(&db)?;
            accounts::renew_epoch(&conn)?;
            // Every machine joins again: the backup's credentials (a laptop revoked since the
            // backup among them) sign in no more, and their sessions end.
            conn.execute("DELETE FROM server_sessions", [])?;
            conn.execute(
                "UPDATE server_clients SET revoked_at = coalesce(revoked_at, ?1)",
                [clock.now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()],
            )?;
            if let Some(aside) = restored.kept_aside {
                println!("The file as it was is kept at {}.", aside.display());
            }
            println!("Restored {} from {}. Every member joins again.", db.display(), from.display());
            Ok(())
        }
        None => {
            let runtime = tokio::runtime::Runtime::new()
                .map_err(|source| keel::KeelError::Io { context: "starting the server".into(), source })?;
            runtime.block_on(app::serve(app::Config {
                db,
                listen: args.listen,
                clock,
                session_hours: args.session_hours,
                tls: args.tls_cert.zip(args.tls_key),
                portal_dir: args.portal_dir,
                trusted_proxy: args.trusted_proxy,
                pause_after_commit: std::env::var("KEEL_SERVER_PAUSE_AFTER_COMMIT_MS")
                    .ok()
                    .and_then(|ms| ms.parse().ok())
                    .map(std::time::Duration::from_millis),
            }))
        }
    }
}
