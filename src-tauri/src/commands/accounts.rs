//! Accounts and contacts: lists, pages (deals, contacts, onboarding plan, QBRs), create.

use super::{given, me};
use crate::dto::{AccountDto, ContactDto, DealCard, Int, Page};
use crate::{ApiError, AppState};
use keel::changes::{AccountForm, Change};
use keel::domain::{AccountId, ContactId, Segment};
use keel::services::accounts::{self, AccountQuery};
use keel::services::contacts::{self, ContactInput};
use serde::{Deserialize, Serialize};
use tauri::State;

/// A window of the account list, by name, with the length of the whole filtered list.
#[tauri::command(async)]
#[specta::specta]
pub fn accounts(
    state: State<'_, AppState>,
    search: Option<String>,
    segment: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<Page<AccountDto>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let query = AccountQuery {
        segment: given(segment).map(|s| Segment::parse("segment", &s)).transpose()?,
        search: given(search),
        limit: Some(limit),
        offset: Some(offset),
    };
    let rows: Vec<AccountDto> = accounts::list(&ws, actor, &query)?.iter().map(AccountDto::from).collect();
    Ok(Page { total: accounts::count(&ws, actor, &query)?.into(), offset: offset.into(), rows })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StepDto {
    pub step: String,
    pub owner_name: String,
    pub due_date: String,
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanDto {
    pub deal_id: Int,
    pub created_at: String,
    pub steps: Vec<StepDto>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct QbrDto {
    pub scheduled_on: String,
    pub owner_name: String,
    pub held_on: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AccountPage {
    pub account: AccountDto,
    pub contacts: Vec<ContactDto>,
    pub deals: Vec<DealCard>,
    pub onboarding: Vec<PlanDto>,
    pub qbrs: Vec<QbrDto>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn account_page(state: State<'_, AppState>, account_id: Int) -> Result<AccountPage, ApiError> {
    let ws = state.open()?;
    let view = accounts::view(&ws, me(&ws)?, AccountId(account_id.0))?;
    let now = ws.now();
    Ok(AccountPage {
        account: AccountDto::from(&view.account),
        contacts: view.contacts.iter().map(ContactDto::from).collect(),
        deals: view.deals.iter().map(|d| DealCard::of(d, now)).collect(),
        onboarding: view
            .onboarding
            .iter()
            .map(|p| PlanDto {
                deal_id: p.deal_id.0.into(),
                created_at: p.created_at.to_rfc3339(),
                steps: p
                    .steps
                    .iter()
                    .map(|s| StepDto {
                        step: s.step.as_str().into(),
                        owner_name: s.owner_name.clone(),
                        due_date: s.due_date.to_string(),
                        done_on: s.done_on.map(|d| d.to_string()),
                    })
                    .collect(),
            })
            .collect(),
        qbrs: view
            .qbrs
            .iter()
            .map(|q| QbrDto {
                scheduled_on: q.scheduled_on.to_string(),
                owner_name: q.owner_name.clone(),
                held_on: q.held_on.map(|d| d.to_string()),
                notes: q.notes.clone(),
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewAccount {
    pub name: String,
    pub domain: Option<String>,
    pub segment: Option<String>,
}

#[tauri::command(async)]
#[specta::specta]
pub fn create_account(state: State<'_, AppState>, input: NewAccount) -> Result<AccountDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = AccountForm {
        name: input.name,
        domain: given(input.domain),
        segment: given(input.segment),
        vertical: None,
        region: None,
    };
    let applied = crate::team::submit(&mut ws, actor, Change::AccountAdd { form })?;
    Ok(AccountDto::from(&accounts::get(&ws, actor, AccountId(applied.id))?))
}

/// A window of the contact list, by name, with the list's length.
#[tauri::command(async)]
#[specta::specta]
pub fn contacts(state: State<'_, AppState>, offset: u32, limit: u32) -> Result<Page<ContactDto>, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let rows =
        contacts::list(&ws, actor, None, Some(limit), Some(offset))?.iter().map(ContactDto::from).collect();
    Ok(Page { total: contacts::count(&ws, actor)?.into(), offset: offset.into(), rows })
}

#[tauri::command(async)]
#[specta::specta]
pub fn contact(state: State<'_, AppState>, contact_id: Int) -> Result<ContactDto, ApiError> {
    let ws = state.open()?;
    Ok(ContactDto::from(&contacts::get(&ws, me(&ws)?, ContactId(contact_id.0))?))
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewContact {
    pub account_id: Int,
    pub name: String,
    pub title: Option<String>,
    pub email: String,
}

#[tauri::command(async)]
#[specta::specta]
pub fn create_contact(state: State<'_, AppState>, input: NewContact) -> Result<ContactDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = ContactInput {
        account_id: AccountId(input.account_id.0),
        name: input.name,
        title: given(input.title),
        email: input.email,
    };
    let applied = crate::team::submit(&mut ws, actor, Change::ContactAdd { form })?;
    Ok(ContactDto::from(&contacts::get(&ws, actor, ContactId(applied.id))?))
}
