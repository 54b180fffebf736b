//! `keel join`, `keel sync`, and changes typed against a team workspace's copy, which
//! the team server runs as the member signed in here.

use super::{output, Ctx};
use crate::clock::Clock;
use crate::remote;
use crate::services::Workspace;
use crate::Result;
use clap::Parser;
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

pub fn sync_now(ctx: &mut Ctx) -> Result<()> {
    let link = ctx.ws.team_link()?.ok_or_else(|| {
        crate::KeelError::NotAllowed("this workspace is not joined to a team (see `keel join`)".into())
    })?;
    let remote = remote::Remote::sign_in(&link)?;
    let applied = remote::sync(&mut ctx.ws, &remote)?;
    let position = ctx.ws.team_link()?.map_or(0, |l| l.position);
    if ctx.json {
        return output::json(&serde_json::json!({"applied": applied, "position": position}));
    }
    println!("Up to date with {} ({applied} changes applied, at {position}).", link.server_url);
    Ok(())
}

pub fn forward(ws: &mut Workspace, args: Vec<String>, json: bool) -> Result<()> {
    let printed = match long_command(&args)? {
        LongCommand::Import(file) => forward_import(ws, args, &file, json)?,
        // A payout run goes as a job too, so the connection does not sit waiting on it.
        LongCommand::PayoutRun => remote::forward_job(ws, args, None, json, &mut |_, _| {})?,
        LongCommand::No => remote::forward(ws, args, json)?,
    };
    print!("{printed}");
    Ok(())
}

enum LongCommand {
    Import(std::path::PathBuf),
    PayoutRun,
    No,
}

/// Which commands run as jobs on the server (an import also sends its file along).
fn long_command(args: &[String]) -> Result<LongCommand> {
    let Ok(cli) = super::Cli::try_parse_from(std::iter::once("keel".to_string()).chain(args.iter().cloned()))
    else {
        return Ok(LongCommand::No);
    };
    Ok(match &cli.command {
        super::Command::Import(cmd) => {
            super::transfer::file_to_send(cmd)?.map_or(LongCommand::No, LongCommand::Import)
        }
        super::Command::Payouts(cmd) if super::partners::is_run(cmd) => LongCommand::PayoutRun,
        _ => LongCommand::No,
    })
}

/// Sends an import's file and runs it as a job, showing its progress as a local import does.
fn forward_import(ws: &mut Workspace, args: Vec<String>, file: &Path, json: bool) -> Result<String> {
    let typed = file.to_string_lossy().into_owned();
    let mut replaced = false;
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            if !replaced && a == typed {
                replaced = true;
                remote::protocol::UPLOAD_ARG.to_string()
            } else {
                a
            }
        })
        .collect();
    let show_bar = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut bar = |done: u64, total: u64| {
        if show_bar && total > 0 {
            let filled = (done * 30 / total) as usize;
            eprint!("\r[{}{}] {done}/{total} rows", "#".repeat(filled), " ".repeat(30 - filled));
            if done == total {
                eprintln!();
            }
        }
    };
    remote::forward_job(ws, args, Some(file), json, &mut bar)
}
