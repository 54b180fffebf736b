//! `keel join`, `keel sync`, and changes typed against a team workspace's copy, which
//! the team server runs as the member signed in here.

use super::{output, Ctx};
use crate::clock::Clock;
use crate::remote;
use crate::Result;
use std::path::Path;
use std::sync::Arc;

pub fn join(url: &str, code: &str, path: &Path, clock: Arc<dyn Clock>, json: bool) -> Result<()> {
    let (ws, session) = remote::join(url, code, path, clock)?;
    if json {
        return output::json(&serde_json::json!({
            "member": session.member_name, "role": session.role, "db": path.display().to_string(),
            "deals": ws.deal_count()?,
        }));
    }
    println!(
        "Joined the team at {url} as {} ({}). This machine's copy is {} ({} deals).",
        session.member_name,
        session.role.replace('-', " "),
        path.display(),
        ws.deal_count()?
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// List the changes made offline that wait to be sent, and those the server refused.
    #[arg(long)]
    status: bool,
    /// Send a refused change again, as it is (applies it over what changed meanwhile).
    #[arg(long, value_name = "N", conflicts_with_all = ["status", "discard", "edit"])]
    retry: Option<i64>,
    /// Send a refused change again as edited: the command after `--`.
    #[arg(long, value_name = "N", requires = "line", conflicts_with_all = ["status", "discard"])]
    edit: Option<i64>,
    /// Drop a refused change.
    #[arg(long, value_name = "N", conflicts_with = "status")]
    discard: Option<i64>,
    /// Drop every change made here that the server has not taken, waiting or refused, and
    /// take back their effects: the copy shows the team's workspace as it last caught up
    /// (for a machine that can no longer reach the team; list them first with --status).
    #[arg(long, conflicts_with_all = ["status", "discard", "retry", "edit"])]
    discard_all: bool,
    /// The edited command, e.g. `-- deal move 12 Negotiation`.
    #[arg(last = true)]
    line: Vec<String>,
}

pub fn sync(ctx: &mut Ctx, args: SyncArgs) -> Result<()> {
    let link = ctx.ws.team_link()?.ok_or_else(|| {
        crate::KeelError::NotAllowed("this workspace is not joined to a team (see `keel join`)".into())
    })?;
    if args.status {
        return status(ctx);
    }
    if args.discard_all {
        let dropped = ctx.ws.discard_outbox()?;
        if ctx.json {
            return output::json(&serde_json::json!({ "discarded": dropped }));
        }
        println!("Discarded {dropped} change(s) made here; the copy shows the team's workspace as it last caught up.");
        return Ok(());
    }
    if let Some(seq) = args.discard {
        remote::outbox::discard(&mut ctx.ws, seq)?;
        if !ctx.json {
            println!("Discarded change {seq}.");
        }
        return if ctx.json { output::json(&serde_json::json!({"discarded": seq})) } else { Ok(()) };
    }
    if let Some(seq) = args.retry.or(args.edit) {
        let edited = args.edit.map(|_| args.line.clone());
        let submitted = remote::outbox::retry(&mut ctx.ws, seq, edited)?;
        if ctx.json {
            return output::json(&submitted);
        }
        let record = match submitted.applied.table.as_str() {
            "activities" => "activity".to_string(),
            table => table.trim_end_matches('s').replace('_', " "),
        };
        if submitted.queued {
            println!(
                "Change {seq} is made here again and waits to be sent ({record} {}).",
                submitted.applied.id
            );
        } else {
            println!("Change {seq} is made on the team server ({record} {}).", submitted.applied.id);
        }
        return Ok(());
    }
    let waiting = ctx.ws.outbox_counts()?.0;
    let remote = remote::Remote::connect(&mut ctx.ws).map_err(|e| match e {
        crate::KeelError::Offline(why) if waiting > 0 => {
            crate::KeelError::Offline(format!("{why}; {waiting} changes made offline wait to be sent"))
        }
        other => other,
    })?;
    let report = remote::sync(&mut ctx.ws, &remote)?;
    let position = ctx.ws.team_link()?.map_or(0, |l| l.position);
    if ctx.json {
        return output::json(&serde_json::json!({
            "sent": report.sent, "refused": report.refused, "pending": report.pending,
            "applied": report.applied, "position": position,
        }));
    }
    if report.sent + report.refused > 0 {
        println!(
            "Sent {} changes made offline; the server refused {}.",
            report.sent + report.refused,
            report.refused
        );
    }
    if report.refused > 0 {
        println!("See them with `keel sync --status`; retry, edit or discard each.");
    }
    if report.pending > 0 {
        println!("{} changes still wait: the team server went away again.", report.pending);
    } else {
        println!("Up to date with {} ({} changes applied, at {position}).", link.server_url, report.applied);
    }
    Ok(())
}

fn status(ctx: &mut Ctx) -> Result<()> {
    let entries = ctx.ws.outbox()?;
    let mut words = Vec::with_capacity(entries.len());
    for entry in &entries {
        words.push(remote::outbox::shown(&mut ctx.ws, &entry.line)?);
    }
    if ctx.json {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .zip(&words)
            .map(|(e, command)| {
                serde_json::json!({
                    "seq": e.seq, "state": e.state, "command": command, "queued_at": e.queued_at,
                    "error": e.error_code.as_ref().map(|code| serde_json::json!({
                        "code": code, "field": e.error_field, "message": e.error_message,
                        "details": e.error_details,
                    })),
                })
            })
            .collect();
        return output::json(&serde_json::json!({
            "pending": entries.iter().filter(|e| e.state == "pending").count(),
            "refused": entries.iter().filter(|e| e.state == "refused").count(),
            "entries": list,
        }));
    }
    if entries.is_empty() {
        println!("Nothing waits: every change made here is on the team server.");
        return Ok(());
    }
    for (e, command) in entries.iter().zip(&words) {
        let state = if e.state == "pending" { "waiting" } else { "NOT SYNCED" };
        println!("{:>5}  {state:<10}  {}  keel {}", e.seq, e.queued_at, shell_words(command));
        if let Some(message) = &e.error_message {
            println!("       {}: {message}", e.error_code.as_deref().unwrap_or("refused"));
        }
        for item in &e.error_details {
            println!("         - {item}");
        }
    }
    Ok(())
}

/// A command line as one would type it again.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.chars().any(|c| c.is_whitespace() || "'\"$`\\".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `keel team machines`: the machines that joined (a sales leader sees the team's).
pub fn machines(ctx: &mut Ctx) -> Result<()> {
    let remote = remote::Remote::connect(&mut ctx.ws)?;
    let machines = remote.machines()?;
    if ctx.json {
        return output::json(&machines);
    }
    let rows: Vec<Vec<String>> = machines
        .iter()
        .map(|m| {
            let this = if m.machine == remote.machine() { " (this one)" } else { "" };
            vec![
                format!("{}{this}", m.machine),
                m.member_name.clone(),
                m.joined_at.get(..10).unwrap_or(&m.joined_at).to_string(),
                m.revoked_at.as_deref().map_or_else(
                    || "active".to_string(),
                    |at| format!("revoked {}", at.get(..10).unwrap_or(at)),
                ),
            ]
        })
        .collect();
    output::table(&["MACHINE", "MEMBER", "JOINED", "STATE"], &rows);
    Ok(())
}

/// `keel team revoke MACHINE`: that machine signs in no more and its sessions end now.
pub fn revoke(ctx: &mut Ctx, machine: &str) -> Result<()> {
    let remote = remote::Remote::connect(&mut ctx.ws)?;
    remote.revoke(machine)?;
    if ctx.json {
        return output::json(&serde_json::json!({ "revoked": machine }));
    }
    println!("Machine {machine} is revoked: it can no longer sign in, and its sessions have ended.");
    Ok(())
}

/// `keel leave`: this machine stops working with the team. Its access is revoked on the
/// server and its credential forgotten here; the copy stays readable.
pub fn leave(ctx: &mut Ctx) -> Result<()> {
    if !ctx.ws.is_replica() {
        return Err(crate::KeelError::NotAllowed(
            "this workspace is not joined to a team (see `keel join`)".into(),
        ));
    }
    let waiting = ctx.ws.outbox_counts()?;
    if waiting.0 + waiting.1 > 0 {
        return Err(crate::KeelError::NotAllowed(format!(
            "{} changes made here were not synced (keel sync --status): send or discard them before leaving",
            waiting.0 + waiting.1
        )));
    }
    let remote = remote::Remote::connect(&mut ctx.ws)?;
    let machine = remote.machine().to_string();
    remote.revoke(&machine)?;
    ctx.ws.forget_team_credential()?;
    if let Some(link) = ctx.ws.team_link()? {
        remote::credentials::forget(&link.client_id)?;
    }
    if ctx.json {
        return output::json(&serde_json::json!({ "left": machine }));
    }
    println!("This machine ({machine}) has left the team. The copy stays readable here.");
    Ok(())
}
