//! Calls, meetings, e-mails, notes and tasks, and the stall rule they feed.

use crate::domain::{
    check_date_range, optional_text, parse_date, required_text, AccountId, ActivityId, ActivityKind, DealId,
    TeamMemberId, TextKind,
};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::activities::{Activity, ActivityFields, ActivityFilter, NewActivity};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct ActivityInput {
    pub kind: ActivityKind,
    pub subject: String,
    pub notes: Option<String>,
    /// Either a deal (its account is implied) or an account.
    pub deal_id: Option<DealId>,
    pub account_id: Option<AccountId>,
    /// Defaults to the acting user.
    pub owner_id: Option<TeamMemberId>,
    /// Tasks and planned calls or meetings have a due date; logged ones have none.
    pub due_date: Option<NaiveDate>,
}

/// An activity as people type it (the CLI's flags, the desktop's form), read once here so
/// every front door names the same field for the same mistake.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityForm {
    /// `call`, `meeting`, `email`, `note` or `task`.
    pub kind: String,
    pub subject: String,
    pub notes: Option<String>,
    pub deal_id: Option<DealId>,
    pub account_id: Option<AccountId>,
    pub owner_id: Option<TeamMemberId>,
    /// `YYYY-MM-DD`; blank for one that happened now.
    pub due_date: Option<String>,
}

impl ActivityForm {
    /// The typed input, or the first field that cannot be read (in the form's order).
    pub fn read(self) -> Result<ActivityInput> {
        Ok(ActivityInput {
            kind: ActivityKind::parse("kind", &self.kind)?,
            subject: self.subject,
            notes: self.notes,
            deal_id: self.deal_id,
            account_id: self.account_id,
            owner_id: self.owner_id,
            due_date: self
                .due_date
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| parse_date("due_date", d))
                .transpose()?,
        })
    }
}

/// [`log`] from what people typed.
pub fn log_as_typed(ws: &mut Workspace, who: Principal, form: ActivityForm) -> Result<Activity> {
    let input = form.read()?;
    log(ws, who, input)
}

/// Logs an activity. One with no due date happened now and counts as contact with
/// the deal (it resets the stall clock); one with a due date is planned work. Every check
/// runs inside the write, on the records as they are when it happens.
pub fn log(ws: &mut Workspace, who: Principal, input: ActivityInput) -> Result<Activity> {
    let id = ws.write_as(who, |tx, now| {
        let subject = required_text("subject", &input.subject, TextKind::Line)?;
        let notes = optional_text("notes", input.notes.as_deref(), TextKind::Note)?;
        let account_id = account_of(tx, now, input.deal_id, input.account_id)?;
        if let Some(due) = input.due_date {
            check_date_range("due_date", due)?;
        }
        if input.kind == ActivityKind::Task && input.due_date.is_none() {
            return Err(KeelError::invalid("due_date", "is required for a task"));
        }
        let owner_id = input.owner_id.unwrap_or(who.member());
        store::team::get(tx, owner_id)?;
        let happened = input.due_date.is_none();
        let id = store::activities::insert(
            tx,
            &NewActivity {
                account_id,
                deal_id: input.deal_id,
                kind: input.kind,
                subject: &subject,
                notes: notes.as_deref(),
                owner_id,
                due_date: input.due_date,
                done_at: happened.then_some(now),
                created_at: now,
                created_by: Some(who.member()),
            },
        )?;
        if let (true, Some(deal)) = (happened, input.deal_id) {
            store::deals::touch_activity(tx, deal, now)?;
        }
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "activity.log",
            "activity",
            id.0,
            serde_json::json!({
                "kind": input.kind.as_str(), "subject": subject, "deal_id": input.deal_id,
            }),
        )?;
        Ok(id)
    })?;
    store::activities::get(ws.conn(), id)
}

/// The account an activity belongs to: its deal's (which must agree with an account
/// named as well), or the account named.
fn account_of(
    tx: &rusqlite::Connection,
    now: chrono::DateTime<chrono::Utc>,
    deal: Option<DealId>,
    account: Option<AccountId>,
) -> Result<AccountId> {
    match (deal, account) {
        (Some(deal), account) => {
            let deal = store::deals::get(tx, deal, now)?;
            match (deal.account_id, account) {
                (Some(own), Some(other)) if own != other => {
                    Err(KeelError::invalid("account", format!("deal {} belongs to account {own}", deal.id)))
                }
                (Some(own), _) => Ok(own),
                // An imported deal without a company: the activity names the account, or
                // the deal gets one first.
                (None, Some(other)) => Ok(store::accounts::get(tx, other)?.id),
                (None, None) => Err(KeelError::invalid(
                    "account",
                    format!(
                        "deal {} has no account yet: attach one to the deal, or name the account",
                        deal.id
                    ),
                )),
            }
        }
        (None, Some(account)) => Ok(store::accounts::get(tx, account)?.id),
        (None, None) => Err(KeelError::invalid("deal", "an activity needs a deal or an account")),
    }
}

pub fn get(ws: &Workspace, who: Principal, id: ActivityId) -> Result<Activity> {
    policy::reading(ws.conn(), who)?;
    store::activities::get(ws.conn(), id)
}

/// Changes to an activity; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ActivityChanges {
    pub subject: Option<String>,
    pub notes: Option<Option<String>>,
    pub owner_id: Option<TeamMemberId>,
    pub due_date: Option<Option<NaiveDate>>,
}

pub fn update(
    ws: &mut Workspace,
    who: Principal,
    id: ActivityId,
    changes: ActivityChanges,
) -> Result<Activity> {
    ws.write_as(who, |tx, now| {
        let current = store::activities::get(tx, id)?;
        let subject =
            required_text("subject", changes.subject.as_deref().unwrap_or(&current.subject), TextKind::Line)?;
        let notes = match &changes.notes {
            Some(notes) => optional_text("notes", notes.as_deref(), TextKind::Note)?,
            None => current.notes.clone(),
        };
        let due_date = changes.due_date.unwrap_or(current.due_date);
        if let Some(due) = due_date {
            check_date_range("due_date", due)?;
        }
        if current.kind == ActivityKind::Task && due_date.is_none() {
            return Err(KeelError::invalid("due_date", "is required for a task"));
        }
        let owner_id = changes.owner_id.unwrap_or(current.owner_id);
        store::team::get(tx, owner_id)?;
        let fields = ActivityFields { subject: &subject, notes: notes.as_deref(), owner_id, due_date };
        store::activities::update(tx, id, &fields)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "activity.update",
            "activity",
            id.0,
            serde_json::json!({
                "subject": subject, "due_date": due_date, "owner_id": owner_id,
            }),
        )
    })?;
    store::activities::get(ws.conn(), id)
}

/// Marks planned work done; it then counts as contact with its deal.
pub fn complete(ws: &mut Workspace, who: Principal, id: ActivityId) -> Result<Activity> {
    ws.write_as(who, |tx, now| {
        let activity = store::activities::get(tx, id)?;
        store::activities::mark_done(tx, id, now)?;
        if let Some(deal) = activity.deal_id {
            store::deals::touch_activity(tx, deal, now)?;
        }
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "activity.done",
            "activity",
            id.0,
            serde_json::json!({}),
        )
    })?;
    store::activities::get(ws.conn(), id)
}

#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub deal_id: Option<DealId>,
    pub account_id: Option<AccountId>,
    pub owner_id: Option<TeamMemberId>,
    /// Only open items due today or earlier: the "due and overdue" list.
    pub due_only: bool,
    pub open_only: bool,
    pub limit: Option<u32>,
}

pub fn list(ws: &Workspace, who: Principal, query: &ActivityQuery) -> Result<Vec<Activity>> {
    policy::reading(ws.conn(), who)?;
    store::activities::list(
        ws.conn(),
        &ActivityFilter {
            deal: query.deal_id,
            account: query.account_id,
            owner: query.owner_id,
            open_only: query.open_only || query.due_only,
            due_by: query.due_only.then(|| ws.today()),
            limit: crate::services::page_size(query.limit),
        },
    )
}
