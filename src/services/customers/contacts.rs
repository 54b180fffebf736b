use crate::domain::{normalize_email, optional_text, required_text, AccountId, ContactId, TextKind};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::contacts::{Contact, ContactFields};
use crate::store::{self};
use crate::Result;

#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub account_id: AccountId,
    pub name: String,
    pub title: Option<String>,
    pub email: String,
}

#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ContactChanges {
    pub account_id: Option<AccountId>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
}

struct ValidContact {
    account_id: AccountId,
    name: String,
    title: Option<String>,
    email: String,
}

fn validate(ws: &Workspace, input: &ContactInput) -> Result<ValidContact> {
    let contact = ValidContact {
        account_id: input.account_id,
        name: required_text("name", &input.name, TextKind::Line)?,
        title: optional_text("title", input.title.as_deref(), TextKind::Line)?,
        email: normalize_email("email", &input.email)?,
    };
    store::accounts::get(ws.conn(), contact.account_id)?;
    Ok(contact)
}

fn fields(c: &ValidContact) -> ContactFields<'_> {
    ContactFields { account_id: c.account_id, name: &c.name, title: c.title.as_deref(), email: &c.email }
}

pub fn create(ws: &mut Workspace, who: Principal, input: ContactInput) -> Result<Contact> {
    let contact = validate(ws, &input)?;
    let id = ws.write_as(who, |tx, now| {
        let id = store::contacts::insert(tx, &fields(&contact), now)?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "contact.create",
            "contact",
            id.0,
            serde_json::json!({
                "name": contact.name, "email": contact.email, "account_id": contact.account_id,
            }),
        )?;
        Ok(id)
    })?;
    store::contacts::get(ws.conn(), id)
}

pub fn update(ws: &mut Workspace, who: Principal, id: ContactId, changes: ContactChanges) -> Result<Contact> {
    let current = store::contacts::get(ws.conn(), id)?;
    let merged = ContactInput {
        account_id: changes.account_id.unwrap_or(current.account_id),
        name: changes.name.unwrap_or(current.name),
        title: changes.title.or(current.title),
        email: changes.email.unwrap_or(current.email),
    };
    let contact = validate(ws, &merged)?;
    ws.write_as(who, |tx, now| {
        store::contacts::update(tx, id, &fields(&contact))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "contact.update",
            "contact",
            id.0,
            serde_json::json!({
                "name": contact.name, "email": contact.email,
            }),
        )
    })?;
    store::contacts::get(ws.conn(), id)
}

pub fn get(ws: &Workspace, who: Principal, id: ContactId) -> Result<Contact> {
    policy::reading(ws.conn(), who)?;
    store::contacts::get(ws.conn(), id)
}

/// Every contact in the workspace.
pub fn count(ws: &Workspace, who: Principal) -> Result<i64> {
    policy::reading(ws.conn(), who)?;
    store::contacts::count(ws.conn())
}

pub fn list(
    ws: &Workspace,
    who: Principal,
    account: Option<AccountId>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<Vec<Contact>> {
    policy::reading(ws.conn(), who)?;
    if let Some(account) = account {
        store::accounts::get(ws.conn(), account)?;
    }
    store::contacts::list(ws.conn(), account, crate::services::page_size(limit), offset.unwrap_or(0))
}
