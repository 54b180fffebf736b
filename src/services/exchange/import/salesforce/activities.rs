//! A Data Export's `Task.csv` and `Event.csv` as activities on the deals and accounts
//! the same import brought in. Salesforce links each one by `WhatId` (an opportunity
//! or an account) and by `AccountId`; a task linked to neither, or only to people and
//! objects Keel does not hold, has nowhere to live and is counted, not imported.
//! The activities join the opportunities' batch, so reverting that import removes them.

use super::{field, Records};
use crate::domain::{
    optional_text, required_text, AccountId, ActivityKind, DealId, ImportAction, ImportBatchId, ImportEntity,
    Role, SourceSystem, TeamMemberId, TextKind,
};
use crate::services::import::{values, DateOrder};
use crate::store::activities::NewActivity;
use crate::store::{self, imports};
use crate::{KeelError, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct ActivityCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Linked to nothing Keel holds (a lead, a campaign, no record at all).
    pub not_linked: u64,
    /// Rows that could not be read (e.g. a date that is no date), with why.
    pub rejected: Vec<String>,
    pub team_members_created: u64,
}

/// An activity as the export describes it, in Keel's terms.
struct Described {
    key: String,
    account_id: AccountId,
    deal_id: Option<DealId>,
    kind: ActivityKind,
    subject: String,
    notes: Option<String>,
    owner: Option<String>,
    due_date: Option<NaiveDate>,
    done_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
}

pub(super) struct ActivityImport<'a> {
    pub tx: &'a Connection,
    pub now: DateTime<Utc>,
    pub actor: TeamMemberId,
    pub batch: ImportBatchId,
    /// Salesforce user ids to display names (from `User.csv`).
    pub users: &'a HashMap<String, String>,
}

impl ActivityImport<'_> {
    pub fn run(&self, tasks: Option<&Records>, events: Option<&Records>) -> Result<ActivityCounts> {
        let known = imports::externals_of(self.tx, SourceSystem::Salesforce)?;
        let mut seq = imports::last_seq(self.tx, self.batch)?;
        let mut counts = ActivityCounts::default();
        let mut changes = Vec::new();
        let mut keys = Vec::new();
        let mut members: HashMap<String, TeamMemberId> = HashMap::new();
        let parts = [("Task.csv", tasks, false), ("Event.csv", events, true)];
        for (file, records, is_event) in parts {
            let Some(records) = records else { continue };
            for (line, r) in &records.rows {
                if matches!(field(r, "IsDeleted").as_str(), "1" | "true") {
                    continue;
                }
                let described = match self.describe(r, is_event, &known) {
                    Ok(Some(d)) => d,
                    Ok(None) => {
                        counts.not_linked += 1;
                        continue;
                    }
                    Err(e) => {
                        counts.rejected.push(format!("{file} line {line}: {e}"));
                        continue;
                    }
                };
                let owner = match &described.owner {
                    Some(name) => {
                        let (id, created) = self.member(name, &mut members)?;
                        if created {
                            seq += 1;
                            changes.push(change(seq, ImportEntity::TeamMember, id.0, *line, None, None));
                            counts.team_members_created += 1;
                        }
                        id
                    }
                    None => self.actor,
                };
                match known.get(&(ImportEntity::Activity, described.key.clone())) {
                    Some(&id) if imports::snapshot(self.tx, ImportEntity::Activity, id)?.is_some() => {
                        let before = imports::snapshot(self.tx, ImportEntity::Activity, id)?;
                        let after = snapshot_json(&described, owner);
                        if before.as_deref().map(same_snapshot).transpose()? == Some(same_snapshot(&after)?) {
                            counts.unchanged += 1;
                            continue;
                        }
                        imports::restore(
                            self.tx,
                            ImportEntity::Activity,
                            id,
                            &after,
                            self.now,
                            Some(self.actor),
                        )?;
                        let after = imports::snapshot(self.tx, ImportEntity::Activity, id)?;
                        seq += 1;
                        changes.push(change(seq, ImportEntity::Activity, id, *line, before, after));
                        counts.updated += 1;
                    }
                    _ => {
                        let id = store::activities::insert(
                            self.tx,
                            &NewActivity {
                                account_id: described.account_id,
                                deal_id: described.deal_id,
                                kind: described.kind,
                                subject: &described.subject,
                                notes: described.notes.as_deref(),
                                owner_id: owner,
                                due_date: described.due_date,
                                done_at: described.done_at,
                                created_at: described.created_at.unwrap_or(self.now),
                                created_by: Some(self.actor),
                            },
                        )?;
                        seq += 1;
                        changes.push(change(seq, ImportEntity::Activity, id.0, *line, None, None));
                        keys.push((ImportEntity::Activity, described.key.clone(), id.0));
                        counts.created += 1;
                    }
                }
                // Contact that happened counts against the stall clock, as a logged one does.
                if let (Some(deal), Some(done)) = (described.deal_id, described.done_at) {
                    store::deals::touch_activity(self.tx, deal, done.min(self.now))?;
                }
            }
        }
        imports::add_changes(self.tx, self.batch, &changes)?;
        imports::set_externals(self.tx, SourceSystem::Salesforce, self.batch, &keys)?;
        Ok(counts)
    }

    /// What a task or event row says, or `None` when it links to nothing Keel holds.
    fn describe(
        &self,
        r: &HashMap<String, String>,
        is_event: bool,
        known: &HashMap<(ImportEntity, String), i64>,
    ) -> Result<Option<Described>> {
        let lookup = |entity: ImportEntity, id: &str| known.get(&(entity, id.to_string())).copied();
        let what = field(r, "WhatId");
        // Salesforce ids carry their object in the first three characters.
        let deal_id =
            what.starts_with("006").then(|| lookup(ImportEntity::Deal, &what)).flatten().map(DealId);
        let deal_account = match deal_id {
            Some(deal) => store::deals::get(self.tx, deal, self.now)?.account_id,
            None => None,
        };
        let account_id = deal_account
            .or_else(|| lookup(ImportEntity::Account, &field(r, "AccountId")).map(AccountId))
            .or_else(|| {
                what.starts_with("001").then(|| lookup(ImportEntity::Account, &what)).flatten().map(AccountId)
            });
        let Some(account_id) = account_id else { return Ok(None) };

        let kind_text = [field(r, "TaskSubtype"), field(r, "EventSubtype"), field(r, "Type")]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let kind = match values::words(&kind_text).as_str() {
            "call" => ActivityKind::Call,
            "email" | "e mail" | "list email" => ActivityKind::Email,
            "meeting" | "event" => ActivityKind::Meeting,
            _ if is_event => ActivityKind::Meeting,
            _ => ActivityKind::Task,
        };
        let subject = match field(r, "Subject").trim() {
            "" if is_event => "Meeting".to_string(),
            "" if kind_text.trim().is_empty() => "Task".to_string(),
            "" => kind_text.trim().to_string(),
            // Salesforce allows 255 characters; Keel's subjects are one line of 200.
            text => text.chars().take(200).collect(),
        };
        let subject = required_text("subject", &subject, TextKind::Line)?;
        let notes = optional_text("notes", Some(&field(r, "Description")), TextKind::Note)?;
        let when = |name: &str| -> Result<Option<DateTime<Utc>>> {
            let text = field(r, name);
            if text.trim().is_empty() {
                return Ok(None);
            }
            values::parse_when(name, &text, DateOrder::MonthFirst).map(Some)
        };
        let (due_date, done_at) = if is_event {
            let starts = when("ActivityDateTime")?.or(when("ActivityDate")?);
            let minutes = field(r, "DurationInMinutes").trim().parse::<i64>().unwrap_or(0);
            // A meeting whose time has passed took place; one still ahead is planned.
            match starts {
                Some(at) if at + Duration::minutes(minutes) <= self.now => (None, Some(at)),
                Some(at) => (Some(at.date_naive()), None),
                None => (None, None),
            }
        } else {
            let due = when("ActivityDate")?.map(|at| at.date_naive());
            let completed = field(r, "Status").eq_ignore_ascii_case("completed")
                || matches!(field(r, "IsClosed").as_str(), "1" | "true");
            let done = if completed {
                let at = when("CompletedDateTime")?.or(when("LastModifiedDate")?).or(when("CreatedDate")?);
                Some(at.unwrap_or(self.now))
            } else {
                None
            };
            // An open task needs a due date in Keel; the day it was set up stands in.
            let due = match (due, done) {
                (None, None) => {
                    Some(when("CreatedDate")?.map_or(self.now.date_naive(), |at| at.date_naive()))
                }
                (due, _) => due,
            };
            (due, done)
        };
        if let Some(due) = due_date {
            crate::domain::check_date_range("due_date", due)?;
        }
        let owner = self.users.get(&field(r, "OwnerId")).filter(|n| !n.trim().is_empty()).cloned();
        Ok(Some(Described {
            key: field(r, "Id"),
            account_id,
            deal_id,
            kind,
            subject,
            notes,
            owner,
            due_date,
            done_at,
            created_at: when("CreatedDate")?,
        }))
    }

    /// The named member, created as an account executive when new.
    fn member(&self, name: &str, made: &mut HashMap<String, TeamMemberId>) -> Result<(TeamMemberId, bool)> {
        if let Some(id) = made.get(name) {
            return Ok((*id, false));
        }
        let name = required_text("owner", name, TextKind::Line)?;
        if let Some(member) = store::team::find_by_name(self.tx, &name)? {
            made.insert(name, member.id);
            return Ok((member.id, false));
        }
        let id = store::team::insert(self.tx, &name, Role::AccountExecutive, None, self.now)?;
        made.insert(name, id);
        Ok((id, true))
    }
}

fn change(
    seq: i64,
    entity: ImportEntity,
    entity_id: i64,
    line: u64,
    before: Option<String>,
    after: Option<String>,
) -> imports::PendingChange {
    let action = if before.is_some() { ImportAction::Updated } else { ImportAction::Created };
    imports::PendingChange { seq, entity, entity_id, action, line, before, after }
}

/// The activity's stored columns as a snapshot (the form `imports::restore` writes).
fn snapshot_json(d: &Described, owner: TeamMemberId) -> String {
    serde_json::json!({
        "account_id": d.account_id.0,
        "deal_id": d.deal_id.map(|id| id.0),
        "kind": d.kind.as_str(),
        "subject": d.subject,
        "notes": d.notes,
        "owner_id": owner.0,
        "due_date": d.due_date.map(store::day_text),
        "done_at": d.done_at.map(store::instant_text),
    })
    .to_string()
}

/// A snapshot as comparable values (key order and number forms aside).
fn same_snapshot(json: &str) -> Result<serde_json::Value> {
    serde_json::from_str(json)
        .map_err(|e| KeelError::NotAllowed(format!("an activity snapshot is unreadable: {e}")))
}
