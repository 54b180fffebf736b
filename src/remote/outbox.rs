//! Working offline in a team workspace. A change made while the server cannot be reached
//! applies to the local copy at once and waits in the outbox under the number it will
//! carry to the server. Back online, the outbox goes first, in order; the server runs
//! each change through the core's rules as the signed-in member (once per number, so a
//! change sent twice after a crash applies once). The copy then takes back its own
//! effects and applies the server's feed, so it ends exactly as the server is.
//!
//! Records created offline have provisional ids on the copy (the next free ones there,
//! which another member's records may take on the server). A later queued change that
//! names such a record notes it beside the change (`typed::Named`: which reference, which
//! queued change made it); the server answers each change with the ids it gave, and the
//! reference becomes the server's id when the later change is sent. A change that names a
//! record whose making the server refused is not sent: it is refused here, naming the
//! change that was to make it. Changes an older Keel kept as command lines, with
//! `@new:SEQ:TABLE:ID` placeholders, are read into typed changes once (`typed`).

use super::typed::TypedLine;
use super::Remote;
use crate::changes::Submitted;
use crate::services::Workspace;
use crate::store::outbox;
use crate::{ErrorCode, KeelError, Result};

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
    /// The queued changes the server accepted, by number.
    #[serde(skip)]
    pub made: Vec<i64>,
}

/// Why a change kept by a Keel from before typed changes is not sent: it could not be
/// read as one (see `typed::upgrade_queued_lines`).
const UNREADABLE: &str =
    "this change was kept by an older Keel as a command this Keel does not send (not one a \
     copy makes offline, or naming another file or member): discard it and make it again";

/// How a queued change names a record an earlier queued change created.
const PLACEHOLDER: &str = "@new:";

/// A token's value replaced (`--deal=5` keeps its flag).
pub(crate) fn replace_value(token: &str, value: &str) -> String {
    match token.split_once('=') {
        Some((flag, _)) if flag.starts_with("--") => format!("{flag}={value}"),
        _ => value.to_string(),
    }
}

/// `(creator, table, id here)` of a placeholder token.
pub(crate) fn placeholder(token: &str) -> Option<(i64, String, i64)> {
    let value = token.split_once('=').filter(|(f, _)| f.starts_with("--")).map_or(token, |(_, v)| v);
    let mut parts = value.strip_prefix(PLACEHOLDER)?.splitn(3, ':');
    let creator = parts.next()?.parse().ok()?;
    let table = parts.next()?.to_string();
    let id = parts.next()?.parse().ok()?;
    Some((creator, table, id))
}

/// The change in a few words, as a list of what waits reads it (a line queued by a Keel
/// from before typed changes: its command line).
pub fn told(ws: &mut Workspace, line: &serde_json::Value) -> Result<String> {
    match TypedLine::of(line)? {
        Some(typed) => typed.told(ws),
        None => Ok(shown(ws, line)?.join(" ")),
    }
}

/// The command line as a member reads it: a placeholder shows the server's id once it
/// is known, else the id the record has here.
pub fn shown(ws: &mut Workspace, line: &serde_json::Value) -> Result<Vec<String>> {
    if let Some(typed) = TypedLine::of(line)? {
        return typed.shown(ws);
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

fn record_word(table: &str) -> String {
    match table {
        "activities" => "activity".into(),
        other => other.trim_end_matches('s').replace('_', " "),
    }
}

pub(crate) fn not_synced_record(table: &str, id: i64) -> String {
    format!("it refers to {} {id}, made offline by a change that was not synced", record_word(table))
}

/// Why a queued change that names a record another queued change was to make is not sent.
pub(crate) fn unmade_record(table: &str, creator: i64) -> String {
    format!(
        "it refers to the {} change {creator} was to make offline, which the server has not made: retry or edit \
         change {creator} first (this one then follows it), or discard both",
        record_word(table)
    )
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
    super::typed::upgrade_queued_lines(ws)?;
    for entry in ws.outbox()?.into_iter().filter(|e| e.state == "pending") {
        let request = match TypedLine::of(&entry.line)? {
            Some(line) => super::typed::sent_request(ws, &link.client_id, &entry, &line)?
                .map_err(|(table, creator)| unmade_record(&table, creator)),
            None => Err(UNREADABLE.to_string()),
        };
        let request = match request {
            Ok(request) => request,
            Err(message) => {
                let answer = crate::ErrorBody {
                    code: ErrorCode::NotFound.as_str().into(),
                    field: None,
                    message,
                    details: Vec::new(),
                };
                ws.outbox_tx(|tx| outbox::refuse(tx, entry.seq, &answer))?;
                report.refused += 1;
                continue;
            }
        };
        match remote.change(&request).map(|reply| reply.created) {
            Ok(created) => {
                ws.outbox_tx(|tx| outbox::acknowledge(tx, entry.seq, &created))?;
                report.renamed.extend(outbox::pairs(&entry.created, &created));
                report.made.push(entry.seq);
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

/// The words of a change queued as a command line (by a Keel from before typed changes).
pub(crate) fn args_of(line: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(line.clone()).unwrap_or_default()
}

/// Catches the copy up: the outbox first, then the server's feed (taking back the
/// copy's own effects first). While changes still wait, the copy keeps them in place
/// and does not move on.
pub fn sync(ws: &mut Workspace, remote: &Remote) -> Result<SyncReport> {
    sync_from(ws, remote, None)
}

/// [`sync`], with the feed's first page already in hand (`(after, page)`: the server sent
/// it with a change's reply). It is used if the copy still stands at `after`; else asked
/// for again from where the copy now stands.
pub(crate) fn sync_from(
    ws: &mut Workspace,
    remote: &Remote,
    mut sent: Option<(i64, super::protocol::FeedPage)>,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    if flush(ws, remote, &mut report)?.is_some() {
        report.pending = ws.outbox_counts()?.0 as usize;
        return Ok(report);
    }
    let made = std::mem::take(&mut report.made);
    follow_made(ws, &made)?;
    let mut first = true;
    loop {
        let link = ws
            .team_link()?
            .ok_or_else(|| KeelError::NotAllowed("this workspace is not joined to a team".into()))?;
        let page = match sent.take() {
            Some((after, page)) if after == link.position => page,
            _ => remote.feed(link.position)?,
        };
        if page.entries.is_empty() {
            if first && ws.outbox_tx(outbox::has_local_effects)? {
                ws.apply_feed_from(link.position, &[], link.position, None)?;
            }
            return Ok(report);
        }
        first = false;
        let last = page.entries.last().map_or(link.position, |e| e.seq);
        match ws.apply_feed_from(link.position, &page.entries, last, page.last_check.as_deref())? {
            crate::services::FeedApplied::Applied => {
                report.applied += page.entries.len();
                // The page reached where the feed stood as it was read: caught up, with
                // no request for the empty page after it.
                if last >= page.position {
                    return Ok(report);
                }
            }
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

/// Sends a refused change again as it is, or as edited (`args`, the command as one would
/// type it), now: it leaves the "not synced" list and goes like a change made now (queued
/// again when offline).
pub fn retry(ws: &mut Workspace, seq: i64, args: Option<Vec<String>>) -> Result<Submitted> {
    let entry = ws.outbox_tx(|tx| outbox::entry(tx, seq))?;
    if entry.state != "refused" {
        return Err(KeelError::NotAllowed(format!(
            "change {seq} is still waiting to be sent; only a refused change is retried"
        )));
    }
    let change = match &args {
        Some(edited) => crate::cli::change_from_line(ws, edited)?.ok_or_else(|| {
            KeelError::invalid("command", "only a change that may be made offline is edited here")
        })?,
        None => match TypedLine::of(&entry.line)? {
            Some(line) => line
                .resolved(ws)?
                .map_err(|(table, creator)| KeelError::NotAllowed(unmade_record(&table, creator)))?,
            None => return Err(KeelError::NotAllowed(UNREADABLE.into())),
        },
    };
    let kept = serde_json::to_value(TypedLine { change: change.clone(), named: Vec::new() })
        .map_err(|e| KeelError::Schema(e.to_string()))?;
    match super::typed::send(ws, change, &mut |_, _| {}) {
        Ok(sent) if sent.queued => {
            // Made here again, and waiting under a new number (the server cannot be reached):
            // the changes waiting on its records follow that change and its records here.
            let dependents = named_by_others(ws, seq)?;
            let requeued = ws.outbox()?.iter().map(|e| e.seq).max().unwrap_or(seq);
            let made = [(sent.applied.table.clone(), sent.applied.id)];
            let moved = outbox::pairs(&dependents, &made);
            for entry in ws.outbox()? {
                let Some(mut line) = TypedLine::of(&entry.line)? else { continue };
                let mut changed = false;
                for named in line.named.iter_mut().filter(|n| n.creator == seq) {
                    if let Some((_, here)) =
                        moved.iter().find(|((t, id), _)| *t == named.table && *id == named.id)
                    {
                        (named.creator, named.id, changed) = (requeued, *here, true);
                    }
                }
                if changed {
                    let value = serde_json::to_value(&line).map_err(|e| KeelError::Schema(e.to_string()))?;
                    // A refusal that named the old number names the new one, so it is followed.
                    let renamed_refusal = entry.state == "refused"
                        && entry.error_message.as_deref() == Some(&unmade_record(&sent.applied.table, seq));
                    ws.outbox_tx(|tx| {
                        outbox::set_line(tx, entry.seq, &value)?;
                        if renamed_refusal {
                            let answer = crate::ErrorBody {
                                code: ErrorCode::NotFound.as_str().into(),
                                field: None,
                                message: unmade_record(&sent.applied.table, requeued),
                                details: Vec::new(),
                            };
                            outbox::refuse(tx, entry.seq, &answer)?;
                        }
                        Ok(())
                    })?;
                }
            }
            ws.outbox_tx(|tx| outbox::remove(tx, seq))?;
            Ok(sent)
        }
        Ok(sent) => {
            let dependents = named_by_others(ws, seq)?;
            ws.outbox_tx(|tx| {
                // The records it was to make exist now: the changes waiting on them follow.
                for ((table, local), server) in outbox::pairs(&dependents, &sent.created) {
                    outbox::set_server_id(tx, seq, &table, local, server)?;
                }
                outbox::remove(tx, seq)
            })?;
            follow_made(ws, &[seq])?;
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

/// The refused changes that waited only for a record one of `made` was to make: now that it
/// is made, they follow it, as their refusal said they would (each is sent again; one the
/// server refuses stays listed with its new answer).
fn follow_made(ws: &mut Workspace, made: &[i64]) -> Result<()> {
    if made.is_empty() {
        return Ok(());
    }
    for entry in ws.outbox()?.into_iter().filter(|e| e.state == "refused") {
        let Some(line) = TypedLine::of(&entry.line)? else { continue };
        let waited = line.named.iter().any(|n| {
            made.contains(&n.creator)
                && entry.error_message.as_deref() == Some(&unmade_record(&n.table, n.creator))
        });
        if waited {
            match retry(ws, entry.seq, None) {
                // This copy's own trouble stops here; any other answer (refused again, kept
                // offline) is said where the change is listed.
                Err(e) if matches!(e.kind(), ErrorCode::Storage | ErrorCode::Io | ErrorCode::Schema) => {
                    return Err(e)
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The records made offline by change `creator` that other queued changes name, by table,
/// in the order the change made them (its ids here rose as it made them).
fn named_by_others(ws: &mut Workspace, creator: i64) -> Result<Vec<outbox::Created>> {
    let mut named: Vec<outbox::Created> = Vec::new();
    for entry in ws.outbox()? {
        if let Some(line) = TypedLine::of(&entry.line)? {
            for n in line.named.iter().filter(|n| n.creator == creator) {
                if !named.contains(&(n.table.clone(), n.id)) {
                    named.push((n.table.clone(), n.id));
                }
            }
        }
    }
    named.sort_by_key(|(_, id)| *id);
    Ok(named)
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
