//! Field work: the changes a member may make offline (records, deals and their moves,
//! qualification, proof of concept, checklist, activities, onboarding and QBRs).

use super::{Applied, Change};
use crate::domain::{parse_date, ChecklistItem, ChecklistStatus, OnboardingStep};
use crate::services::policy::Principal;
use crate::services::{accounts, activities, contacts, deals, moves, onboarding, qualification, Workspace};
use crate::Result;

/// Applies a change a member may make offline.
pub(super) fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
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
        other => return Err(super::not_here(&other)),
    })
}
