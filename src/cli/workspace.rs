//! Workspace-level commands: init, demo, team, stages, settings, audit, check.

use super::changes::answer;
use super::{output, require_init, Ctx};
use crate::changes::{Applied, Change, Outcome};
use crate::domain::{AeSegment, Role};
use crate::services::{demo, pipeline, team};
use crate::{KeelError, Result};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::Path;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Your name: the workspace's first member, who acts by default (asked on a terminal
    /// when not given).
    #[arg(long)]
    name: Option<String>,
    /// Your role (default sales-leader, the one who can add the rest of the team).
    #[arg(long, default_value = "sales-leader")]
    role: String,
}

pub fn init(ctx: &mut Ctx, path: &Path, args: InitArgs) -> Result<()> {
    let role = Role::parse("role", &args.role)?;
    let created = pipeline::init(&mut ctx.ws)?;
    let name = match args.name {
        Some(name) => Some(name),
        None if ctx.ws.current_user()?.is_none() && !ctx.json && std::io::stdin().is_terminal() => {
            eprint!("Your name (the workspace's first member): ");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|source| KeelError::Io { context: "reading your name".into(), source })?;
            Some(line.trim().to_string()).filter(|n| !n.is_empty())
        }
        None => None,
    };
    let first = match name {
        Some(name) if ctx.ws.current_user()?.is_none() => {
            Some(team::add(&mut ctx.ws, None, team::NewTeamMember { name, role, ae_segment: None })?)
        }
        _ => None,
    };
    if ctx.json {
        return output::json(&serde_json::json!({
            "path": path, "initialized": created, "member": first.as_ref().map(|m| &m.name),
        }));
    }
    if created {
        println!("Initialized Keel workspace at {} with the Enterprise pipeline.", path.display());
    } else {
        println!("Workspace at {} is already initialized.", path.display());
    }
    match first {
        Some(member) => {
            println!("{} ({}) is its first member and acts by default.", member.name, member.role)
        }
        None if ctx.ws.current_user()?.is_none() => {
            println!("Next: keel team add --name \"Your Name\" --role sales-leader")
        }
        None => {}
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of deals to generate.
    #[arg(long, default_value_t = 2_000)]
    deals: u64,
    /// Random seed: the same seed (and KEEL_NOW) gives the same workspace.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn demo(ctx: &mut Ctx, args: DemoArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let summary = demo::generate(&mut ctx.ws, demo::DemoOptions { deals: args.deals, seed: args.seed })?;
    if ctx.json {
        return output::json(&summary);
    }
    println!(
        "Demo workspace ready in {:.1} s: {} team members, {} accounts, {} contacts, {} deals, {} stage changes, {} field changes, {} activities.",
        started.elapsed().as_secs_f64(),
        summary.team_members,
        summary.accounts,
        summary.contacts,
        summary.deals,
        summary.stage_changes,
        summary.field_changes,
        summary.activities
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Add a team member.
    Add {
        #[arg(long)]
        name: String,
        /// account-executive, sales-engineer, sdr, customer-success, partner-manager, sales-leader
        #[arg(long)]
        role: String,
        /// For account executives: enterprise or mid-market.
        #[arg(long)]
        segment: Option<String>,
    },
    /// List the team.
    List,
    /// Make this member the workspace's current user.
    Use { name: String },
    /// Give a member another role (sales leaders only).
    Role {
        name: String,
        /// account-executive, sales-engineer, sdr, customer-success, partner-manager, sales-leader
        #[arg(long)]
        role: String,
        /// For account executives: enterprise or mid-market.
        #[arg(long)]
        segment: Option<String>,
    },
    /// Take a member off the team: they keep their history and can no longer act or sign in
    /// (sales leaders only).
    Deactivate { name: String },
    /// In a team workspace: a new one-time invitation code for a member, to join from
    /// another machine (sales leaders only).
    Invite { name: String },
    /// In a team workspace: the machines that joined (a sales leader sees the team's, a
    /// member their own).
    Machines,
    /// In a team workspace: revoke a machine's access, e.g. a lost laptop's (sales leaders
    /// any machine, a member their own). Its sessions end at once.
    Revoke { machine: String },
}

/// The invitation code the team server made for a member, shown once.
fn show_invitation(ctx: &Ctx, applied: &Applied) -> Result<()> {
    let Some(invitation) = &applied.invitation else {
        return Err(crate::KeelError::Schema("the team server made no invitation code".into()));
    };
    if ctx.json {
        return output::json(&serde_json::json!({
            "member": invitation.to, "invitation_code": invitation.code, "invitation_valid_days": invitation.valid_days,
        }));
    }
    println!(
        "Invitation code for {}: {} (valid {} days)",
        invitation.to, invitation.code, invitation.valid_days
    );
    Ok(())
}

pub fn team(ctx: &mut Ctx, cmd: TeamCommand) -> Result<()> {
    match cmd {
        TeamCommand::Add { name, role, segment } => {
            let (member, invitation) = match ctx.principal() {
                Ok(_) => {
                    let applied = super::submit(ctx, Change::MemberAdd { name, role, segment })?;
                    match applied.outcome {
                        Outcome::Member(member) => (member, applied.invitation),
                        other => return Err(super::changes::unexpected(&other)),
                    }
                }
                // The first member, who adds themselves: the workspace's beginning, which
                // no one is there to act in yet (the service allows it only then).
                Err(_) if ctx.as_user.is_none() => {
                    let input = team::NewTeamMember {
                        name,
                        role: Role::parse("role", &role)?,
                        ae_segment: segment.as_deref().map(|s| AeSegment::parse("segment", s)).transpose()?,
                    };
                    (team::add(&mut ctx.ws, None, input)?, None)
                }
                Err(e) => return Err(e),
            };
            if ctx.json {
                // The member, with the code they join with when the team server made one.
                let mut value = serde_json::to_value(&member).unwrap_or_default();
                if let Some(invitation) = invitation {
                    value["invitation_code"] = invitation.code.into();
                    value["invitation_valid_days"] = invitation.valid_days.into();
                }
                return output::json(&value);
            }
            println!("Added {} ({}) as team member {}.", member.name, member.role, member.id);
            if let Some(invitation) = invitation {
                println!(
                    "Invitation code for {}: {} (valid {} days)",
                    invitation.to, invitation.code, invitation.valid_days
                );
            }
            Ok(())
        }
        TeamCommand::List => {
            let members = team::list(&ctx.ws)?;
            if ctx.json {
                return output::json(&members);
            }
            let current = ctx.ws.current_user()?.map(|m| m.id);
            let rows: Vec<Vec<String>> = members
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        format!("{}{}", m.name, if Some(m.id) == current { " *" } else { "" }),
                        m.role.to_string(),
                        output::opt(&m.ae_segment),
                        if m.is_active() { String::new() } else { "left".into() },
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "ROLE", "SEGMENT", "STATUS"], &rows);
            Ok(())
        }
        TeamCommand::Use { name } => {
            let member = ctx.ws.set_current_user(&name)?;
            if ctx.json {
                return output::json(&member);
            }
            println!("Now acting as {} ({}).", member.name, member.role);
            Ok(())
        }
        TeamCommand::Role { name, role, segment } => {
            let member = team::find(&ctx.ws, &name)?.id;
            let member = answer!(ctx, Change::MemberRole { member, role, segment }, Outcome::Member);
            if ctx.json {
                return output::json(&member);
            }
            println!("{} is now {}.", member.name, member.role);
            Ok(())
        }
        TeamCommand::Invite { name } => {
            let member = team::find(&ctx.ws, &name)?.id;
            // The team server keeps the codes and answers with one; alone, this is refused.
            let applied = super::submit(ctx, Change::MemberInvite { member })?;
            show_invitation(ctx, &applied)
        }
        TeamCommand::Machines | TeamCommand::Revoke { .. } if !ctx.ws.is_replica() => {
            Err(crate::KeelError::NotAllowed("machines are for team workspaces (see `keel join`)".into()))
        }
        TeamCommand::Machines => super::team_link::machines(ctx),
        TeamCommand::Revoke { machine } => super::team_link::revoke(ctx, &machine),
        TeamCommand::Deactivate { name } => {
            let member = team::find(&ctx.ws, &name)?.id;
            let member = answer!(ctx, Change::MemberDeactivate { member }, Outcome::Member);
            if ctx.json {
                return output::json(&member);
            }
            println!("{} has left the team; their history stays.", member.name);
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum StageCommand {
    /// List the pipeline's stages with probability, forecast category and criteria.
    List,
    /// Tune a stage: default probability (percent) and stall limit (days, or "none").
    Update {
        name: String,
        #[arg(long)]
        probability: Option<String>,
        #[arg(long)]
        stall_days: Option<String>,
    },
}

pub fn stage(ctx: &mut Ctx, cmd: StageCommand) -> Result<()> {
    require_init(ctx)?;
    match cmd {
        StageCommand::Update { name, probability, stall_days } => {
            let change = Change::StageUpdate { stage: name, probability, stall_days };
            let stage = answer!(ctx, change, Outcome::Stage);
            if ctx.json {
                return output::json(&stage);
            }
            println!(
                "{}: probability {}, stalls after {} days without activity.",
                stage.name,
                stage.default_probability,
                output::opt(&stage.stall_after_days)
            );
            Ok(())
        }
        StageCommand::List => {
            let stages = pipeline::stages(&ctx.ws)?;
            if ctx.json {
                return output::json(&stages);
            }
            let rows: Vec<Vec<String>> = stages
                .iter()
                .map(|s| {
                    let rules: Vec<String> =
                        s.rules.iter().map(|r| format!("{} {}", r.trigger, r.rule)).collect();
                    vec![
                        s.position.to_string(),
                        s.name.clone(),
                        s.default_probability.to_string(),
                        s.forecast_category.to_string(),
                        if s.is_won {
                            "won".into()
                        } else if s.is_closed {
                            "lost".into()
                        } else {
                            "open".into()
                        },
                        output::opt(&s.stall_after_days),
                        if rules.is_empty() { "—".into() } else { rules.join(", ") },
                    ]
                })
                .collect();
            output::table(&["#", "STAGE", "PROB", "FORECAST", "STATE", "STALL DAYS", "CRITERIA"], &rows);
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    Show,
    /// Set the proof-of-concept evaluation period bounds, in days.
    SetPoc {
        #[arg(long)]
        min_days: u32,
        #[arg(long)]
        max_days: u32,
    },
}

pub fn settings(ctx: &mut Ctx, cmd: SettingsCommand) -> Result<()> {
    let settings = match cmd {
        SettingsCommand::Show => ctx.ws.settings()?,
        SettingsCommand::SetPoc { min_days, max_days } => {
            answer!(ctx, Change::PocBounds { min_days, max_days }, Outcome::Settings)
        }
    };
    if ctx.json {
        return output::json(&settings);
    }
    output::fields(&[
        ("proof of concept", format!("{}–{} days", settings.poc_min_days, settings.poc_max_days)),
        ("current user", output::opt(&settings.current_user)),
    ]);
    Ok(())
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries about this kind of record (deal, account, contact, activity, …).
    #[arg(long)]
    entity: Option<String>,
    /// Only entries about the record with this id.
    #[arg(long)]
    id: Option<i64>,
    #[arg(long)]
    limit: Option<u32>,
}

pub fn audit(ctx: &mut Ctx, args: AuditArgs) -> Result<()> {
    let entries = ctx.ws.audit_log(args.entity.as_deref(), args.id, args.limit)?;
    if ctx.json {
        return output::json(&entries);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.actor_name.clone().unwrap_or_else(|| "system".into()),
                e.action.clone(),
                format!("{} {}", e.entity, output::opt(&e.entity_id)),
            ]
        })
        .collect();
    output::table(&["ID", "AT (UTC)", "BY", "ACTION", "RECORD"], &rows);
    Ok(())
}

pub fn backup(ctx: &mut Ctx, file: &std::path::Path) -> Result<()> {
    let bytes = ctx.ws.backup_to(file)?;
    if ctx.json {
        return output::json(&serde_json::json!({"file": file.display().to_string(), "bytes": bytes}));
    }
    println!("Backed up to {} ({bytes} bytes, integrity checked)", file.display());
    Ok(())
}

pub fn restore(
    db: &std::path::Path,
    file: &std::path::Path,
    now: chrono::DateTime<chrono::Utc>,
    json: bool,
) -> Result<()> {
    let restored = crate::store::restore::restore(db, file, &now.format("%Y%m%dT%H%M%SZ").to_string())?;
    if json {
        return output::json(&restored);
    }
    println!(
        "Restored {} from {} (schema version {}).",
        db.display(),
        file.display(),
        restored.schema_version
    );
    if let Some(aside) = &restored.kept_aside {
        println!("The database that was there is kept at {}.", aside.display());
    }
    Ok(())
}

pub fn check(ctx: &mut Ctx, rebuild_facts: bool) -> Result<()> {
    if rebuild_facts {
        ctx.ws.rebuild_facts()?;
    }
    let mut problems = ctx.ws.integrity_problems()?;
    // Keel's own rules only mean something on a sound file.
    if problems.is_empty() {
        problems = ctx.ws.invariant_problems()?;
    }
    if ctx.json {
        output::json(&serde_json::json!({"ok": problems.is_empty(), "problems": problems}))?;
    } else if problems.is_empty() {
        println!("ok: integrity, foreign keys and Keel's invariants all hold");
        if ctx.ws.is_read_only()? {
            println!("note: the file is read-only, so the report projection was not compared with a rebuild");
        }
    } else {
        for p in &problems {
            println!("problem: {p}");
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(KeelError::NotAllowed(format!("{} problem(s) found", problems.len())))
    }
}
