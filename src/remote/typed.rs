//! Typed changes on a team copy: sent to the server as they are (`POST /v1/changes`), or
//! kept in the outbox while it cannot be reached. A queued change names the records it
//! touches by id; those made offline by an earlier queued change are noted beside it
//! (which reference, which change made the record, its id here), and pointed at the
//! server's id when it is sent: a typed walk over the change's references, not text.

use super::outbox::{not_synced_record, SyncReport};
use super::protocol::ChangeRequest;
use super::Remote;
use crate::changes::{apply, Applied, Change, ImportFile, ImportForm, Submitted};
use crate::services::{QueuedChange, Workspace};
use crate::store::outbox;
use crate::{KeelError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A typed change as the outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TypedLine {
    pub change: Change,
    /// The references that name records made offline by earlier queued changes.
    #[serde(default)]
    pub named: Vec<Named>,
}

/// A reference (the `at`-th of [`Change::references_mut`]) to a record that queued change
/// `creator` made offline, under `id` on this copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub at: usize,
    pub creator: i64,
    pub table: String,
    pub id: i64,
}

impl TypedLine {
    /// The outbox line, if it is a typed change (a Keel from before them queued command lines).
    pub fn of(line: &serde_json::Value) -> Result<Option<TypedLine>> {
        if !line.is_object() {
            return Ok(None);
        }
        serde_json::from_value(line.clone())
            .map(Some)
            .map_err(|e| KeelError::Schema(format!("a change in the outbox cannot be read: {e}")))
    }

    /// The change as it goes to the server: each record made offline under the server's id,
    /// or, when the server has not made one (its making was refused or not sent), its table
    /// and the queued change that was to make it.
    pub fn resolved(&self, ws: &mut Workspace) -> Result<std::result::Result<Change, (String, i64)>> {
        let mut change = self.change.clone();
        let mut server_ids = Vec::new();
        for named in &self.named {
            match ws.outbox_tx(|tx| outbox::server_id(tx, named.creator, &named.table, named.id))? {
                Some(server) => server_ids.push((named.at, server)),
                None => return Ok(Err((named.table.clone(), named.creator))),
            }
        }
        for (at, (_, id)) in change.references_mut().into_iter().enumerate() {
            if let Some((_, server)) = server_ids.iter().find(|(named_at, _)| *named_at == at) {
                *id = *server;
            }
        }
        Ok(Ok(change))
    }

    /// The change as a member reads it: a record made offline under the server's id once
    /// it is known, else its id here.
    pub fn shown(&self, ws: &mut Workspace) -> Result<Vec<String>> {
        let (change, unmade) = self.as_seen(ws)?;
        let words = crate::cli::line_of(ws, &change)?;
        Ok(words.into_iter().map(|word| unmade_word(&unmade, &word).unwrap_or(word)).collect())
    }

    /// The change in a few words ([`Change::summary`]), naming records as [`Self::shown`] does.
    pub fn told(&self, ws: &mut Workspace) -> Result<String> {
        let (change, unmade) = self.as_seen(ws)?;
        let mut summary = change.summary();
        for (shown, creator) in unmade {
            summary = summary.replace(&shown.to_string(), &format!("made-by-change-{creator}"));
        }
        Ok(summary)
    }

    /// The change with each record made offline under the server's id once known, and the
    /// stand-ins for records whose making was refused, with the change that was to make each.
    fn as_seen(&self, ws: &mut Workspace) -> Result<(Change, Vec<(i64, i64)>)> {
        let mut change = self.change.clone();
        let mut shown_as = Vec::new();
        for named in &self.named {
            let (server, creator_waits) = ws.outbox_tx(|tx| {
                let server = outbox::server_id(tx, named.creator, &named.table, named.id)?;
                let waits = outbox::entry(tx, named.creator).is_ok_and(|e| e.state == "pending");
                Ok((server, waits))
            })?;
            match server {
                Some(server) => shown_as.push((named.at, server, None)),
                // Still made here, under its id here.
                None if creator_waits => {}
                // Its making was refused: the copy no longer holds it, and its id here may now
                // be another record's. It shows as a word no one can type back as an id.
                None => shown_as.push((named.at, UNMADE + named.at as i64, Some(named.creator))),
            }
        }
        for (at, (_, id)) in change.references_mut().into_iter().enumerate() {
            if let Some((_, shown, _)) = shown_as.iter().find(|(named_at, _, _)| *named_at == at) {
                *id = *shown;
            }
        }
        let unmade =
            shown_as.into_iter().filter_map(|(_, shown, creator)| creator.map(|c| (shown, c))).collect();
        Ok((change, unmade))
    }
}

/// `made-by-change-N` for a word that stands for a record change N was to make.
fn unmade_word(unmade: &[(i64, i64)], word: &str) -> Option<String> {
    unmade
        .iter()
        .find(|(shown, _)| word == shown.to_string())
        .map(|(_, creator)| format!("made-by-change-{creator}"))
}

/// Stands for a record whose making was refused, while a change naming it is shown.
const UNMADE: i64 = 9_000_000_000_000_000;

/// Rewrites the changes a Keel from before typed changes queued as command lines into
/// typed changes, once: the command read as the CLI reads it, and each `@new:SEQ:TABLE:ID`
/// placeholder noted beside the reference it stood for. A line that does not read as a
/// change is left as it was (it is sent as it is, and refused, or discarded by the member).
pub fn upgrade_queued_lines(ws: &mut Workspace) -> Result<()> {
    for entry in ws.outbox()?.into_iter().filter(|e| e.line.is_array()) {
        let mut placeholders = Vec::new();
        let words: Vec<String> = super::outbox::args_of(&entry.line)
            .into_iter()
            .map(|token| match super::outbox::placeholder(&token) {
                Some((creator, table, id)) => {
                    placeholders.push((creator, table, id));
                    super::outbox::replace_value(&token, &id.to_string())
                }
                None => token,
            })
            .collect();
        let Ok(Some(change)) = crate::cli::change_from_line(ws, &words) else { continue };
        let named = change
            .references()
            .into_iter()
            .enumerate()
            .filter_map(|(at, (table, id))| {
                let (creator, _, _) = placeholders.iter().find(|(_, t, i)| t == table && *i == id)?;
                Some(Named { at, creator: *creator, table: table.to_string(), id })
            })
            .collect();
        let line = serde_json::to_value(TypedLine { change, named })
            .map_err(|e| KeelError::Schema(e.to_string()))?;
        ws.outbox_tx(|tx| outbox::set_line(tx, entry.seq, &line))?;
    }
    Ok(())
}

/// Applies a change on the copy at once and keeps it in the outbox, under `seq` when a
/// number was already spent on sending it (the server may have applied it: the number
/// makes the resend apply once). `why` says why the server cannot be reached.
pub fn queue(ws: &mut Workspace, change: Change, seq: Option<i64>, why: &str) -> Result<Submitted> {
    if !change.may_queue() {
        return Err(crate::cli::offline::refusal(&change.summary(), why));
    }
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    let who = ws.authenticate(link.member_id)?;
    let seq = match seq {
        Some(seq) => seq,
        None => ws.take_command_seq()?,
    };
    let line = serde_json::to_value(TypedLine { change: change.clone(), named: Vec::new() })
        .map_err(|e| KeelError::Schema(e.to_string()))?;
    ws.queue_next_writes(Some(QueuedChange { seq, line, sets: change.fields_set() }));
    let applied = apply(ws, who, change.clone());
    ws.queue_next_writes(None);
    let applied = applied?;
    ws.outbox_tx(|tx| {
        let provisional = outbox::provisional(tx)?;
        // Records an interrupted sync already sent: the server's id is known.
        let renamed = outbox::renamed(tx)?;
        let mut change = change;
        let mut named = Vec::new();
        for (at, (table, id)) in change.references_mut().into_iter().enumerate() {
            let record = (table.to_string(), *id);
            match provisional.get(&record) {
                Some(creator) if *creator != seq => {
                    named.push(Named { at, creator: *creator, table: table.to_string(), id: *id })
                }
                Some(_) => {}
                None => {
                    if let Some(server) = renamed.get(&record) {
                        *id = *server;
                    }
                }
            }
        }
        let line = serde_json::to_value(TypedLine { change, named })
            .map_err(|e| KeelError::Schema(e.to_string()))?;
        outbox::set_line(tx, seq, &line)
    })?;
    Ok(Submitted { applied, queued: true, created: Vec::new() })
}

/// Sends a change made on this machine to the server, after the changes waiting before
/// it, then catches the copy up so it shows here at once. When the server cannot be
/// reached, a change that may wait is applied here and queued instead.
pub fn send(ws: &mut Workspace, change: Change, progress: &mut dyn FnMut(u64, u64)) -> Result<Submitted> {
    if let Change::Import { file, form } = change {
        return send_import(ws, file, form, progress);
    }
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    let remote = match Remote::connect(ws) {
        Ok(remote) => remote,
        Err(KeelError::Offline(why)) => return queue(ws, change, None, &why),
        Err(e) => return Err(e),
    };
    // Records made offline, as this copy shows them until it catches up: a change made now
    // names them by those ids, which the server may have given to other records.
    let (mut provisional, mut renamed) =
        ws.outbox_tx(|tx| Ok((outbox::provisional(tx)?, outbox::renamed(tx)?)))?;
    provisional.extend(renamed.keys().map(|record| (record.clone(), 0)));
    let mut report = SyncReport::default();
    if let Some(why) = super::outbox::flush(ws, &remote, &mut report)? {
        return queue(ws, change, None, &why);
    }
    renamed.extend(report.renamed.drain());
    let change = as_the_server_knows_it(change, &provisional, &renamed)?;
    let seq = ws.take_command_seq()?;
    let request = ChangeRequest {
        client_id: link.client_id,
        seq,
        change: change.clone(),
        expect: Vec::new(),
        feed_after: Some(link.position),
    };
    match remote.change(&request) {
        Ok(mut reply) => {
            // The reply brings the feed after where the copy stood: it catches up from it.
            super::outbox::sync_from(ws, &remote, reply.feed.take().map(|page| (link.position, page)))?;
            let applied =
                reply.applied.ok_or_else(|| KeelError::Schema("the server applied nothing".into()))?;
            Ok(Submitted { applied, queued: false, created: reply.created })
        }
        Err(KeelError::Offline(why)) if change.may_queue() => queue(ws, change, Some(seq), &why),
        // Sent, and no answer came: the server may have made it before it went away.
        Err(KeelError::Offline(why)) => Err(KeelError::Offline(format!(
            "the team server stopped answering once this change was sent ({why}): it may have been made. \
             Catch up with `keel sync` when it answers, and look before making it again"
        ))),
        Err(e) => Err(e),
    }
}

/// An import made on this copy: its file goes to the server first (read as it is sent),
/// then the import runs there as a job, followed until it ends, after the changes waiting
/// here; the copy then catches up. Never made offline.
fn send_import(
    ws: &mut Workspace,
    file: ImportFile,
    form: ImportForm,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Submitted> {
    let link = ws.team_link()?.ok_or(KeelError::ReplicaWrite)?;
    if let ImportFile::Path(path) = &file {
        // Said before anything is sent: a folder read as a request body fails half-way,
        // which would read as the server being unreachable.
        let meta = std::fs::metadata(path)
            .map_err(|source| KeelError::Io { context: format!("reading {path}"), source })?;
        if !meta.is_file() {
            return Err(KeelError::invalid("file", format!("{path} is not a file: give the export's file")));
        }
    }
    let offline = |why: &str| crate::cli::offline::refusal("imports", why);
    let remote = Remote::connect(ws).map_err(|e| match e {
        KeelError::Offline(why) => offline(&why),
        other => other,
    })?;
    let mut report = SyncReport::default();
    if let Some(why) = super::outbox::flush(ws, &remote, &mut report)? {
        return Err(offline(&why));
    }
    let upload = match file {
        ImportFile::Path(path) => remote.upload(&form.file_name, std::path::Path::new(&path))?,
        ImportFile::Upload(name) => name,
    };
    let seq = ws.take_command_seq()?;
    let change = Change::Import { file: ImportFile::Upload(upload), form };
    let request =
        ChangeRequest { client_id: link.client_id, seq, change, expect: Vec::new(), feed_after: None };
    let reply = remote.change(&request)?;
    let applied = match reply.job {
        Some(id) => loop {
            let job = remote.job(&id)?;
            progress(job.done, job.total);
            match job.state.as_str() {
                "running" => std::thread::sleep(std::time::Duration::from_millis(250)),
                "failed" => {
                    return Err(KeelError::from_body(job.error.unwrap_or_else(|| crate::ErrorBody {
                        code: "storage".into(),
                        field: None,
                        message: "the import failed on the team server".into(),
                        details: Vec::new(),
                    })))
                }
                _ => break job.applied,
            }
        },
        None => reply.applied,
    };
    super::sync(ws, &remote)?;
    let applied = applied.ok_or_else(|| KeelError::Schema("the team server answered no import".into()))?;
    Ok(Submitted { applied, queued: false, created: Vec::new() })
}

/// A change made against this copy, with the records it names that were made offline
/// (just sent) renamed to the ids the server gave them. A record the server refused to
/// create is not sent under a number that may mean another record: the change is refused.
fn as_the_server_knows_it(
    mut change: Change,
    provisional: &HashMap<outbox::Created, i64>,
    renamed: &HashMap<outbox::Created, i64>,
) -> Result<Change> {
    for (table, id) in change.references_mut() {
        let record = (table.to_string(), *id);
        if provisional.contains_key(&record) {
            *id = renamed.get(&record).copied().ok_or_else(|| KeelError::NotFound {
                entity: "record made offline",
                key: format!("{id} ({})", not_synced_record(table, *id)),
            })?;
        }
    }
    Ok(change)
}

/// What a queued change came to when the server took it.
pub(crate) fn sent_request(
    ws: &mut Workspace,
    client_id: &str,
    entry: &outbox::OutboxEntry,
    line: &TypedLine,
) -> Result<std::result::Result<ChangeRequest, (String, i64)>> {
    Ok(line.resolved(ws)?.map(|change| ChangeRequest {
        client_id: client_id.to_string(),
        seq: entry.seq,
        change,
        expect: entry.expect.clone(),
        // The outbox catches up once, after its last change.
        feed_after: None,
    }))
}

/// The record a typed change's answer names, for a front door to read back.
pub fn record_of(applied: &Applied) -> (&str, i64) {
    (&applied.table, applied.id)
}
