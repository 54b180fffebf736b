//! `keel token`: the team server's tokens for integrations of its HTTP API. The server
//! keeps them (only a digest of each); a token is shown once, when it is created.

use super::{output, Ctx};
use crate::remote::{self, protocol};
use crate::{KeelError, Result};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// A new token, shown once: it acts as you, within its scopes.
    Create {
        /// What it is for (`billing`, `chat`): unique among the tokens in use.
        #[arg(long)]
        name: String,
        /// `read` (lists and figures), `write` (changes), or `read,write`.
        #[arg(long, default_value = "read")]
        scopes: String,
    },
    /// The team's tokens (never the tokens themselves).
    List,
    /// Revoke a token: its next request is refused.
    Revoke { id: i64 },
}

pub fn token(ctx: &mut Ctx, cmd: TokenCommand) -> Result<()> {
    if !ctx.ws.is_replica() {
        return Err(KeelError::NotAllowed(
            "integration tokens are kept by a team server: serve this workspace with keel-server and join it (see `keel join`)"
                .into(),
        ));
    }
    let remote = remote::Remote::connect(&mut ctx.ws)?;
    match cmd {
        TokenCommand::Create { name, scopes } => {
            let request = protocol::TokenRequest { name, scopes: protocol::Scope::parse_list(&scopes)? };
            let created = remote.create_token(&request)?;
            if ctx.json {
                return output::json(&created);
            }
            println!(
                "Token {} ({}) for \"{}\", acting as {}:\n{}\nKeep it now: it is not shown again.",
                created.listed.id,
                scopes_text(&created.listed.scopes),
                created.listed.name,
                created.listed.member_name,
                created.token
            );
            Ok(())
        }
        TokenCommand::List => {
            let tokens = remote.tokens()?;
            if ctx.json {
                return output::json(&tokens);
            }
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        scopes_text(&t.scopes),
                        t.member_name.clone(),
                        day(&t.created_at),
                        t.last_used_at.as_deref().map_or_else(|| "never".into(), day),
                        t.revoked_at
                            .as_deref()
                            .map_or_else(|| "active".into(), |at| format!("revoked {}", day(at))),
                    ]
                })
                .collect();
            output::table(&["ID", "NAME", "SCOPES", "ACTS AS", "CREATED", "LAST USED", "STATE"], &rows);
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            remote.revoke_token(id)?;
            if ctx.json {
                return output::json(&serde_json::json!({ "revoked": id }));
            }
            println!("Token {id} is revoked: its next request is refused.");
            Ok(())
        }
    }
}

fn scopes_text(scopes: &[protocol::Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn day(at: &str) -> String {
    at.get(..10).unwrap_or(at).to_string()
}
