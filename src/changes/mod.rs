//! The application layer: a write any front door makes, as one typed value ([`Change`]),
//! applied by one function ([`apply`]) wherever it runs (a solo workspace, a team copy
//! while offline, the team server). The CLI turns its flags into a `Change`, the desktop
//! its forms; both hand it to [`submit`], which applies it, sends it to the team server,
//! or keeps it in the outbox while the server cannot be reached.
//!
//! A change carries what people typed, as typed (amounts, dates, statuses as text), and
//! the records it names by id, so the one reading in the core names the one field a
//! mistake is in, whichever door it came through.

mod forms;
mod submit;

pub use forms::{AccountForm, AccountUpdateForm, ActivityUpdateForm, BantForm, PocForm};
pub use submit::{submit, Submitted};

use crate::domain::{
    parse_date, AccountId, ActivityId, ChecklistItem, ChecklistStatus, ContactId, DealId, OnboardingPlanId,
    OnboardingStep, QbrId, TeamMemberId,
};
use crate::services::policy::Principal;
use crate::services::{accounts, activities, contacts, deals, moves, onboarding, qualification, Workspace};
use crate::Result;
use serde::{Deserialize, Serialize};

/// One write, as a front door asks for it. The variants are the changes a member may
/// make through a team copy; `may_queue` says which may wait offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    DealAdd { form: deals::DealForm },
    DealUpdate { deal: DealId, form: deals::DealUpdateForm },
    DealMove { deal: DealId, form: moves::MoveInput },
    DealBant { deal: DealId, form: BantForm },
    DealPoc { deal: DealId, form: PocForm },
    DealChecklist { deal: DealId, item: String, status: String, date: Option<String> },
    ActivityAdd { form: activities::ActivityForm },
    ActivityDone { activity: ActivityId },
    ActivityUpdate { activity: ActivityId, form: ActivityUpdateForm },
    AccountAdd { form: AccountForm },
    AccountUpdate { account: AccountId, form: AccountUpdateForm },
    ContactAdd { form: contacts::ContactInput },
    ContactUpdate { contact: ContactId, form: contacts::ContactChanges },
    OnboardingStepDone { plan: OnboardingPlanId, step: String, date: Option<String> },
    QbrAdd { account: AccountId, date: String, owner: Option<TeamMemberId> },
    QbrHeld { qbr: QbrId, date: Option<String>, notes: Option<String> },
}

/// What a change came to: the record it made or changed, as it now stands wherever it
/// was applied (read it back by `table` and `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// The replicated table of the record (`deals`, `activities`, …).
    pub table: String,
    pub id: i64,
    /// A move made despite missing criteria: the criteria overridden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<String>,
}

impl Applied {
    fn of(table: &str, id: i64) -> Applied {
        Applied { table: table.to_string(), id, overridden: Vec::new() }
    }
}

/// Applies a change as `who`, in one transaction (each service call writes once).
pub fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
    Ok(match change {
        Change::DealAdd { form } => {
            let deal = deals::create(ws, who, form.read()?)?;
            Applied::of("deals", deal.id.0)
        }
        Change::DealUpdate { deal, form } => {
            let deal = deals::update_as_typed(ws, who, deal, form)?;
            Applied::of("deals", deal.id.0)
        }
        Change::DealMove { deal, form } => {
            let outcome = moves::move_deal(ws, who, deal, form)?;
            Applied { overridden: outcome.overridden, ..Applied::of("deals", outcome.deal.id.0) }
        }
        Change::DealBant { deal, form } => {
            qualification::set_bant(ws, who, deal, form.read()?)?;
            Applied::of("deals", deal.0)
        }
        Change::DealPoc { deal, form } => {
            qualification::set_poc(ws, who, deal, form.read()?)?;
            Applied::of("deals", deal.0)
        }
        Change::DealChecklist { deal, item, status, date } => {
            let item = ChecklistItem::parse("item", &item)?;
            let status = ChecklistStatus::parse("status", &status)?;
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            qualification::set_checklist_item(ws, who, deal, item, status, on)?;
            Applied::of("deals", deal.0)
        }
        Change::ActivityAdd { form } => {
            let activity = activities::log_as_typed(ws, who, form)?;
            Applied::of("activities", activity.id.0)
        }
        Change::ActivityDone { activity } => {
            let activity = activities::complete(ws, who, activity)?;
            Applied::of("activities", activity.id.0)
        }
        Change::ActivityUpdate { activity, form } => {
            let activity = activities::update(ws, who, activity, form.read()?)?;
            Applied::of("activities", activity.id.0)
        }
        Change::AccountAdd { form } => {
            let account = accounts::create(ws, who, form.read()?)?;
            Applied::of("accounts", account.id.0)
        }
        Change::AccountUpdate { account, form } => {
            let account = accounts::update(ws, who, account, form.read()?)?;
            Applied::of("accounts", account.id.0)
        }
        Change::ContactAdd { form } => {
            let contact = contacts::create(ws, who, form)?;
            Applied::of("contacts", contact.id.0)
        }
        Change::ContactUpdate { contact, form } => {
            let contact = contacts::update(ws, who, contact, form)?;
            Applied::of("contacts", contact.id.0)
        }
        Change::OnboardingStepDone { plan, step, date } => {
            let step = OnboardingStep::parse("step", &step)?;
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            onboarding::complete_step(ws, who, plan, step, on)?;
            Applied::of("onboarding_plans", plan.0)
        }
        Change::QbrAdd { account, date, owner } => {
            let on = parse_date("date", &date)?;
            let qbr = onboarding::schedule_qbr(ws, who, account, on, owner)?;
            Applied::of("qbrs", qbr.0)
        }
        Change::QbrHeld { qbr, date, notes } => {
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            onboarding::record_qbr(ws, who, qbr, on, notes)?;
            Applied::of("qbrs", qbr.0)
        }
    })
}

impl Change {
    /// The change in a few words, for a list of what waits to be sent.
    pub fn summary(&self) -> String {
        match self {
            Change::DealAdd { form } => format!("add deal \"{}\" to account {}", form.name, form.account_id),
            Change::DealUpdate { deal, .. } => format!("update deal {deal}"),
            Change::DealMove { deal, form } => format!("move deal {deal} to {}", form.stage),
            Change::DealBant { deal, .. } => format!("qualify deal {deal} (BANT)"),
            Change::DealPoc { deal, .. } => format!("record deal {deal}'s proof of concept"),
            Change::DealChecklist { deal, item, status, .. } => {
                format!("set deal {deal}'s {item} to {status}")
            }
            Change::ActivityAdd { form } => format!("log {} \"{}\"", form.kind, form.subject),
            Change::ActivityDone { activity } => format!("mark activity {activity} done"),
            Change::ActivityUpdate { activity, .. } => format!("update activity {activity}"),
            Change::AccountAdd { form } => format!("add account \"{}\"", form.name),
            Change::AccountUpdate { account, .. } => format!("update account {account}"),
            Change::ContactAdd { form } => {
                format!("add contact \"{}\" at account {}", form.name, form.account_id)
            }
            Change::ContactUpdate { contact, .. } => format!("update contact {contact}"),
            Change::OnboardingStepDone { plan, step, .. } => {
                format!("mark onboarding plan {plan}'s {step} done")
            }
            Change::QbrAdd { account, date, .. } => {
                format!("schedule a QBR with account {account} on {date}")
            }
            Change::QbrHeld { qbr, .. } => format!("record QBR {qbr} as held"),
        }
    }

    /// Whether the change may wait in the outbox while the team server cannot be
    /// reached. Field work may (records, deals and their moves, qualification, proof of
    /// concept, checklist, activities and tasks, onboarding and QBRs); money, the partner
    /// program, plans, rates, targets, the team and the pipeline's settings are decided
    /// online only.
    pub fn may_queue(&self) -> bool {
        // Every variant today is field work; a new one must say so here.
        match self {
            Change::DealAdd { .. }
            | Change::DealUpdate { .. }
            | Change::DealMove { .. }
            | Change::DealBant { .. }
            | Change::DealPoc { .. }
            | Change::DealChecklist { .. }
            | Change::ActivityAdd { .. }
            | Change::ActivityDone { .. }
            | Change::ActivityUpdate { .. }
            | Change::AccountAdd { .. }
            | Change::AccountUpdate { .. }
            | Change::ContactAdd { .. }
            | Change::ContactUpdate { .. }
            | Change::OnboardingStepDone { .. }
            | Change::QbrAdd { .. }
            | Change::QbrHeld { .. } => true,
        }
    }

    /// Every record the change names by id, as (table, the id), in a fixed order: the
    /// walk that points a queued change at the server's ids.
    pub fn references_mut(&mut self) -> Vec<(&'static str, &mut i64)> {
        let mut refs: Vec<(&'static str, &mut i64)> = Vec::new();
        match self {
            Change::DealAdd { form } => {
                refs.push(("accounts", &mut form.account_id.0));
                if let Some(expands) = &mut form.expands_deal_id {
                    refs.push(("deals", &mut expands.0));
                }
            }
            Change::DealUpdate { deal, form } => {
                refs.push(("deals", &mut deal.0));
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::DealMove { deal, .. }
            | Change::DealBant { deal, .. }
            | Change::DealPoc { deal, .. }
            | Change::DealChecklist { deal, .. } => refs.push(("deals", &mut deal.0)),
            Change::ActivityAdd { form } => {
                if let Some(deal) = &mut form.deal_id {
                    refs.push(("deals", &mut deal.0));
                }
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::ActivityDone { activity } | Change::ActivityUpdate { activity, .. } => {
                refs.push(("activities", &mut activity.0))
            }
            Change::AccountAdd { .. } => {}
            Change::AccountUpdate { account, .. } => refs.push(("accounts", &mut account.0)),
            Change::ContactAdd { form } => refs.push(("accounts", &mut form.account_id.0)),
            Change::ContactUpdate { contact, form } => {
                refs.push(("contacts", &mut contact.0));
                if let Some(account) = &mut form.account_id {
                    refs.push(("accounts", &mut account.0));
                }
            }
            Change::OnboardingStepDone { plan, .. } => refs.push(("onboarding_plans", &mut plan.0)),
            Change::QbrAdd { account, .. } => refs.push(("accounts", &mut account.0)),
            Change::QbrHeld { qbr, .. } => refs.push(("qbrs", &mut qbr.0)),
        }
        refs
    }

    /// What the change came to, from the records it created: for a server that applied it
    /// but stopped before it could keep its answer (a retry then gets this one; a move's
    /// overridden criteria are in the deal's stage history).
    pub fn applied_from(&self, created: &[(String, i64)]) -> Option<Applied> {
        let made =
            |table: &str| created.iter().find(|(t, _)| t == table).map(|(_, id)| Applied::of(table, *id));
        match self {
            Change::DealAdd { .. } => made("deals"),
            Change::ActivityAdd { .. } => made("activities"),
            Change::AccountAdd { .. } => made("accounts"),
            Change::ContactAdd { .. } => made("contacts"),
            Change::QbrAdd { .. } => made("qbrs"),
            // Every other change's first reference is the record it changes.
            _ => self.references().first().map(|(table, id)| Applied::of(table, *id)),
        }
    }

    /// The records the change names, as (table, id).
    pub fn references(&self) -> Vec<(&'static str, i64)> {
        let mut copy = self.clone();
        copy.references_mut().into_iter().map(|(table, id)| (table, *id)).collect()
    }

    /// The fields (table, column) the change sets as typed: each is expected when the
    /// change waits offline, even when the value typed equals the one shown, so sending
    /// it cannot silently undo another member's change to that field.
    pub fn fields_set(&self) -> Vec<(String, String)> {
        let mut set: Vec<(&str, &str)> = Vec::new();
        let mut when = |given: bool, table: &'static str, column: &'static str| {
            if given {
                set.push((table, column));
            }
        };
        match self {
            Change::DealUpdate { form, .. } => {
                when(form.name.is_some(), "deals", "name");
                when(form.account_id.is_some(), "deals", "account_id");
                when(form.owner_id.is_some(), "deals", "owner_id");
                when(form.amount.is_some(), "deals", "amount_minor");
                when(form.currency.is_some(), "deals", "currency");
                when(form.expected_close_date.is_some(), "deals", "expected_close_date");
                when(form.source.is_some(), "deals", "source");
                when(form.deal_type.is_some(), "deals", "deal_type");
                when(form.probability.is_some(), "deals", "probability_override_bp");
                when(form.forecast.is_some(), "deals", "forecast_override");
            }
            Change::DealMove { .. } => when(true, "deals", "stage_id"),
            Change::DealBant { form, .. } => {
                when(form.budget.is_some(), "qualifications", "budget_status");
                when(form.budget_note.is_some(), "qualifications", "budget_note");
                when(form.authority.is_some(), "qualifications", "authority_status");
                when(form.authority_note.is_some(), "qualifications", "authority_note");
                when(form.need.is_some(), "qualifications", "need_status");
                when(form.need_note.is_some(), "qualifications", "need_note");
                when(form.timeline.is_some(), "qualifications", "timeline_status");
                when(form.timeline_note.is_some(), "qualifications", "timeline_note");
            }
            Change::AccountUpdate { form, .. } => {
                when(form.name.is_some(), "accounts", "name");
                when(form.domain.is_some(), "accounts", "domain");
                when(form.segment.is_some(), "accounts", "segment");
                when(form.vertical.is_some(), "accounts", "vertical");
                when(form.region.is_some(), "accounts", "region");
            }
            Change::ContactUpdate { form, .. } => {
                when(form.account_id.is_some(), "contacts", "account_id");
                when(form.name.is_some(), "contacts", "name");
                when(form.email.is_some(), "contacts", "email");
                when(form.title.is_some(), "contacts", "title");
            }
            Change::ActivityUpdate { form, .. } => {
                when(form.subject.is_some(), "activities", "subject");
                when(form.notes.is_some(), "activities", "notes");
                when(form.owner_id.is_some(), "activities", "owner_id");
                when(form.due.is_some(), "activities", "due_date");
            }
            _ => {}
        }
        set.into_iter().map(|(t, c)| (t.to_string(), c.to_string())).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
