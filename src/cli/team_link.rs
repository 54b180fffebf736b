//! `keel join`, `keel sync`, and changes typed against a team workspace's copy, which
//! the team server runs as the member signed in here.

use super::{output, Ctx};
use crate::clock::Clock;
use crate::remote;
use crate::services::Workspace;
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
    let printed = remote::forward(ws, args, json)?;
    print!("{printed}");
    let _ = json;
    Ok(())
}
