//! Working offline in a team workspace. A change made while the server cannot be reached
//! applies to the local copy at once and waits in the outbox under the number it will
//! carry to the server. Back online, the outbox goes first, in order; the server runs
//! each change through the core's rules as the signed-in member (once per number, so a
//! change sent twice after a crash applies once). The copy then takes back its own
//! effects and applies the server's feed, so it ends exactly as the server is.
//!
//! Records created offline have provisional ids on the copy (the next free ones there,
//! which another member's records may take on the server). A later change that names
//! such a record keeps it as `@new:SEQ:TABLE:ID` (the change that created it, and the id
//! here); the server answers each change with the ids it gave, and the placeholder
//! becomes the server's id when the later change is sent. A change that names a record
//! whose creation the server refused is not sent: it is refused here, naming the record.

use super::protocol::CommandRequest;
use super::typed::TypedLine;
use super::Remote;
use crate::services::Workspace;
use crate::store::outbox;
use crate::{ErrorCode, KeelError, Result};

/// What a change sent through [`super::forward`] came to.
#[derive(Debug, Clone)]
pub struct Sent {
    /// What the command printed (on the server, or here when it was queued).
    pub output: String,
    /// True when the server could not be reached and the change waits in the outbox.
    pub queued: bool,
}

/// What one catching up did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncReport {
    /// Queued changes the server accepted, and refused.
    pub sent: usize,
    pub refused: usize,
    /// Changes still waiting (the server went away again meanwhile).
    pub pending: usize,
    /// Row changes of the server's feed applied here.
    pub applied: usize,
    /// The records made offline that were sent: their id here → the server's.
    #[serde(skip)]
    pub renamed: std::collections::HashMap<outbox::Created, i64>,
}

/// Runs `f` on the workspace by value (the command runner owns its workspace), leaving
/// it back in `ws`.
fn owned<T>(ws: &mut Workspace, f: impl FnOnce(Workspace) -> (Workspace, Result<T>)) -> Result<T> {
    let stand_in = Workspace::stand_in(ws.clock())?;
    let taken = std::mem::replace(ws, stand_in);
    let (back, result) = f(taken);
    *ws = back;
    result
}

/// Queues a change the server could not take (`why` says why), under `seq` when a
/// number was already spent on sending it (the server may have applied it: the number
/// makes the resend apply once).
pub fn queue(ws: &mut Workspace, args: Vec<String>, seq: Option<i64>, why: &str) -> Result<Sent> {
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    let seq = match seq {
        Some(seq) => seq,
        None => ws.take_command_seq()?,
    };
    let output = owned(ws, |ws| crate::cli::offline::run_queued(ws, link.member_id, &args, seq, why))?;
    ws.outbox_tx(|tx| {
        let provisional = outbox::provisional(tx)?;
        // Records an interrupted sync already sent: the server's id is known.
        let renamed = outbox::renamed(tx)?;
        let mut named = args.clone();
        for (at, table, id) in crate::cli::offline::references(&args) {
            let record = (table.to_string(), id);
            match provisional.get(&record) {
                Some(creator) if *creator != seq => {
                    named[at] = replace_value(&named[at], &format!("{PLACEHOLDER}{creator}:{table}:{id}"));
                }
                Some(_) => {}
                None => {
                    if let Some(server) = renamed.get(&record) {
                        named[at] = replace_value(&named[at], &server.to_string());
                    }
                }
            }
        }
        if named != args {
            outbox::set_line(tx, seq, &serde_json::json!(named))?;
        }
        Ok(())
    })?;
    Ok(Sent { output, queued: true })
}

/// How a queued change names a record an earlier queued change created.
const PLACEHOLDER: &str = "@new:";

/// A token's value replaced (`--deal=5` keeps its flag).
fn replace_value(token: &str, value: &str) -> String {
    match token.split_once('=') {
        Some((flag, _)) if flag.starts_with("--") => format!("{flag}={value}"),
        _ => value.to_string(),
    }
}

/// `(creator, table, id here)` of a placeholder token.
fn placeholder(token: &str) -> Option<(i64, String, i64)> {
    let value = token.split_once('=').filter(|(f, _)| f.starts_with("--")).map_or(token, |(_, v)| v);
    let mut parts = value.strip_prefix(PLACEHOLDER)?.splitn(3, ':');
    let creator = parts.next()?.parse().ok()?;
    let table = parts.next()?.to_string();
    let id = parts.next()?.parse().ok()?;
    Some((creator, table, id))
}

/// The command line as it goes to the server: each placeholder becomes the server's id,
/// or the record it names, when the server has not created it.
fn resolved(ws: &mut Workspace, args: &[String]) -> Result<std::result::Result<Vec<String>, (String, i64)>> {
    let mut out = Vec::with_capacity(args.len());
    for token in args {
        match placeholder(token) {
            Some((creator, table, id)) => {
                match ws.outbox_tx(|tx| outbox::server_id(tx, creator, &table, id))? {
                    Some(server) => out.push(replace_value(token, &server.to_string())),
                    None => return Ok(Err((table, id))),
                }
            }
            None => out.push(token.clone()),
        }
    }
    Ok(Ok(out))
}

/// The command line as a member reads it: a placeholder shows the server's id once it
/// is known, else the id the record has here.
pub fn shown(ws: &mut Workspace, line: &serde_json::Value) -> Result<Vec<String>> {
    if let Some(typed) = TypedLine::of(line)? {
        let change = typed.shown(ws)?;
        return crate::cli::line_of(ws, &change);
    }
    args_of(line)
        .iter()
        .map(|token| match placeholder(token) {
            Some((creator, table, id)) => {
                let server = ws.outbox_tx(|tx| outbox::server_id(tx, creator, &table, id))?;
                Ok(replace_value(token, &server.unwrap_or(id).to_string()))
            }
            None => Ok(token.clone()),
        })
        .collect()
}

pub(crate) fn not_synced_record(table: &str, id: i64) -> String {
    let record = if table == "activities" { "activity" } else { table.trim_end_matches('s') };
    format!("it refers to {record} {id}, made offline by a change that was not synced")
}

/// Answers that say nothing about the change itself: it waits and is sent again. Any
/// other answer, a storage error included, is the server's word on this change: it is
/// listed as refused (to retry or discard) and the changes after it go on, so one change
/// the server cannot store never holds the queue and the copy's feed.
fn stays_pending(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::Offline | ErrorCode::Unauthenticated | ErrorCode::Busy)
}

/// Sends the outbox's pending changes in order. Returns how many were accepted and
/// refused, and the reason the server went away if it did.
pub(crate) fn flush(ws: &mut Workspace, remote: &Remote, report: &mut SyncReport) -> Result<Option<String>> {
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    for entry in ws.outbox()?.into_iter().filter(|e| e.state == "pending") {
        let typed = TypedLine::of(&entry.line)?;
        let request = match &typed {
            Some(line) => super::typed::sent_request(ws, &link.client_id, &entry, line)?.map(Request::Typed),
            None => resolved(ws, &args_of(&entry.line))?.map(|args| {
                Request::Line(CommandRequest {
                    client_id: link.client_id.clone(),
                    seq: entry.seq,
                    json: args.iter().any(|a| a == "--json"),
                    args,
                    upload: None,
                    background: false,
                    expect: entry.expect.clone(),
                })
            }),
        };
        let request = match request {
            Ok(request) => request,
            Err((table, id)) => {
                let answer = crate::ErrorBody {
                    code: ErrorCode::NotFound.as_str().into(),
                    field: None,
                    message: not_synced_record(&table, id),
                    details: Vec::new(),
                };
                ws.outbox_tx(|tx| outbox::refuse(tx, entry.seq, &answer))?;
                report.refused += 1;
                continue;
            }
        };
        let created = match &request {
            Request::Typed(request) => remote.change(request).map(|reply| reply.created),
            Request::Line(request) => remote.command(request).map(|reply| reply.created),
        };
        match created {
            Ok(created) => {
                let reply = Created { created };
                ws.outbox_tx(|tx| outbox::acknowledge(tx, entry.seq, &reply.created))?;
                report.renamed.extend(outbox::pairs(&entry.created, &reply.created));
                report.sent += 1;
            }
            Err(KeelError::Offline(why)) => return Ok(Some(why)),
            Err(KeelError::Remote { code, message, .. }) if stays_pending(code) => return Ok(Some(message)),
            Err(refused @ KeelError::Remote { .. }) => {
                ws.outbox_tx(|tx| outbox::refuse(tx, entry.seq, &refused.body()))?;
                report.refused += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// A queued change as it goes to the server.
enum Request {
    Typed(super::protocol::ChangeRequest),
    /// Queued by a Keel from before typed changes.
    Line(CommandRequest),
}

/// The records the server said a change created.
struct Created {
    created: Vec<outbox::Created>,
}

/// The words of a change queued as a command line (by a Keel from before typed changes).
pub(crate) fn args_of(line: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(line.clone()).unwrap_or_default()
}

/// Catches the copy up: the outbox first, then the server's feed (taking back the
/// copy's own effects first). While changes still wait, the copy keeps them in place
/// and does not move on.
pub fn sync(ws: &mut Workspace, remote: &Remote) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    if flush(ws, remote, &mut report)?.is_some() {
        report.pending = ws.outbox_counts()?.0 as usize;
        return Ok(report);
    }
    let mut first = true;
    loop {
        let link = ws
            .team_link()?
            .ok_or_else(|| KeelError::NotAllowed("this workspace is not joined to a team".into()))?;
        let page = remote.feed(link.position)?;
        if page.entries.is_empty() {
            if first && ws.outbox_tx(outbox::has_local_effects)? {
                ws.apply_feed_from(link.position, &[], link.position, None)?;
            }
            return Ok(report);
        }
        first = false;
        let last = page.entries.last().map_or(link.position, |e| e.seq);
        match ws.apply_feed_from(link.position, &page.entries, last, page.last_check.as_deref())? {
            crate::services::FeedApplied::Applied => report.applied += page.entries.len(),
            // Another process of this machine caught the copy up meanwhile: go on from
            // where it now stands.
            crate::services::FeedApplied::MovedOn => {}
            crate::services::FeedApplied::OutboxWaiting => {
                report.pending = ws.outbox_counts()?.0 as usize;
                return Ok(report);
            }
        }
    }
}

/// Sends a change typed on this machine to the server, after the changes waiting before
/// it, then catches the copy up so it shows here at once. When the server cannot be
/// reached, a change that may wait is applied here and queued instead.
pub fn forward(ws: &mut Workspace, args: Vec<String>, json: bool) -> Result<Sent> {
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    let remote = match Remote::connect(ws) {
        Ok(remote) => remote,
        Err(KeelError::Offline(why)) => return queue(ws, args, None, &why),
        Err(e) => return Err(e),
    };
    // Records made offline, as this copy shows them until it catches up: a command typed
    // now names them by those ids, which the server may have given to other records.
    // Those an earlier, interrupted sync already sent are still shown under their ids here
    // too (later changes waited, so the copy did not catch up).
    let (mut provisional, mut renamed) =
        ws.outbox_tx(|tx| Ok((outbox::provisional(tx)?, outbox::renamed(tx)?)))?;
    provisional.extend(renamed.keys().map(|record| (record.clone(), 0)));
    let mut report = SyncReport::default();
    if let Some(why) = flush(ws, &remote, &mut report)? {
        return queue(ws, args, None, &why);
    }
    renamed.extend(report.renamed.drain());
    let args = as_the_server_knows_them(args, &provisional, &renamed)?;
    let seq = ws.take_command_seq()?;
    let request = CommandRequest {
        client_id: link.client_id,
        seq,
        args: args.clone(),
        json,
        upload: None,
        background: false,
        expect: Vec::new(),
    };
    match remote.command(&request) {
        Ok(reply) => {
            sync(ws, &remote)?;
            Ok(Sent { output: reply.output, queued: false })
        }
        Err(KeelError::Offline(why)) => queue(ws, args, Some(seq), &why),
        Err(e) => Err(e),
    }
}

/// A command typed against this copy, with the records it names that were made offline
/// (just sent) renamed to the ids the server gave them. A record the server refused to
/// create is not sent under a number that may mean another record: the command is refused.
fn as_the_server_knows_them(
    args: Vec<String>,
    provisional: &std::collections::HashMap<outbox::Created, i64>,
    renamed: &std::collections::HashMap<outbox::Created, i64>,
) -> Result<Vec<String>> {
    if provisional.is_empty() {
        return Ok(args);
    }
    let mut server_ids = std::collections::HashMap::new();
    for (_, table, id) in crate::cli::offline::references(&args) {
        let record = (table.to_string(), id);
        if provisional.contains_key(&record) {
            let server = renamed.get(&record).copied().ok_or_else(|| KeelError::NotFound {
                entity: "record made offline",
                key: format!("{id} ({})", not_synced_record(table, id)),
            })?;
            server_ids.insert((table, id), server);
        }
    }
    Ok(crate::cli::offline::with_ids(&args, |table, id| server_ids.get(&(table, id)).copied()))
}

/// What a retried change came to.
pub enum Retried {
    /// Sent (or queued again) as a command line, by a Keel from before typed changes.
    Line(Sent),
    Typed(crate::changes::Submitted),
}

/// Sends a refused change again as it is, or as edited (`args`, the command as one would
/// type it), now: it leaves the "not synced" list and goes like a change made now (queued
/// again when offline).
pub fn retry(ws: &mut Workspace, seq: i64, args: Option<Vec<String>>) -> Result<Retried> {
    let entry = ws.outbox_tx(|tx| outbox::entry(tx, seq))?;
    if entry.state != "refused" {
        return Err(KeelError::NotAllowed(format!(
            "change {seq} is still waiting to be sent; only a refused change is retried"
        )));
    }
    let not_synced = |(table, id): (String, i64)| KeelError::NotFound {
        entity: "record made offline",
        key: format!("{id} ({})", not_synced_record(&table, id)),
    };
    let change = match &args {
        Some(edited) => crate::cli::change_from_line(ws, edited)?,
        None => match TypedLine::of(&entry.line)? {
            Some(line) => Some(line.resolved(ws)?.map_err(not_synced)?),
            None => None,
        },
    };
    let (sent, kept) = match change {
        Some(change) => {
            let kept = serde_json::to_value(TypedLine { change: change.clone(), named: Vec::new() })
                .map_err(|e| KeelError::Schema(e.to_string()))?;
            (super::typed::send(ws, change).map(Retried::Typed), kept)
        }
        None => {
            let args = match args {
                Some(edited) => edited,
                None => resolved(ws, &args_of(&entry.line))?.map_err(not_synced)?,
            };
            let json = args.iter().any(|a| a == "--json");
            (forward(ws, args.clone(), json).map(Retried::Line), serde_json::json!(args))
        }
    };
    match sent {
        Ok(sent) => {
            ws.outbox_tx(|tx| outbox::remove(tx, seq))?;
            Ok(sent)
        }
        Err(e) => {
            // It stays on the list, as tried, with the new answer.
            let body = e.body();
            ws.outbox_tx(|tx| {
                outbox::set_line(tx, seq, &kept)?;
                outbox::refuse(tx, seq, &body)
            })?;
            Err(e)
        }
    }
}

/// Drops a refused change: the copy already shows the server's state without it.
pub fn discard(ws: &mut Workspace, seq: i64) -> Result<()> {
    let entry = ws.outbox_tx(|tx| outbox::entry(tx, seq))?;
    if entry.state != "refused" {
        return Err(KeelError::NotAllowed(format!(
            "change {seq} is still waiting to be sent; only a refused change is discarded"
        )));
    }
    ws.outbox_tx(|tx| outbox::remove(tx, seq))
}
