//! One contact row: matched by the source's record id, then e-mail; its account by
//! domain, name, or the e-mail's domain, created from the row's account name if new.

use super::columns::Field;
use super::values::parse_when;
use super::{Applied, Importer, RowAction};
use crate::domain::{
    normalize_email, optional_text, required_text, ContactId, ImportAction, ImportEntity, TextKind,
};
use crate::files::Row;
use crate::store::contacts::ContactFields;
use crate::store::{self};
use crate::{KeelError, Result};

pub(super) fn import(ctx: &mut Importer<'_>, row: &Row) -> Result<Applied> {
    let columns = ctx.columns;
    let cell = |f| columns.get(&row.cells, f);
    let full_name = match cell(Field::Name) {
        Some(name) => name.to_string(),
        None => [cell(Field::FirstName), cell(Field::LastName)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let name = required_text("name", &full_name, TextKind::Line)?;
    let email = normalize_email("email", cell(Field::Email).unwrap_or(""))?;
    let title = optional_text("title", cell(Field::Title), TextKind::Line)?;
    let created_at =
        cell(Field::CreatedDate).map(|t| parse_when("created_date", t, ctx.date_order)).transpose()?;
    let email_domain = email.split_once('@').map(|(_, d)| d.to_string());
    let account_name = cell(Field::Account);
    let account_domain = cell(Field::AccountDomain);
    let key = cell(Field::ExternalId);
    let existing = match ctx.known_key(ImportEntity::Contact, key, created_at)? {
        Some(id) => Some(ContactId(id)),
        None => store::contacts::find_by_email(ctx.tx, &email)?.map(|c| c.id),
    };
    if let Some(id) = existing {
        if let Some(other) = store::contacts::find_by_email(ctx.tx, &email)?.filter(|c| c.id != id) {
            return Err(KeelError::invalid(
                "email",
                format!("{email} already belongs to contact {}", other.id),
            ));
        }
    }
    let account = if account_name.is_none() && account_domain.is_none() {
        let by_email = email_domain.as_deref().and_then(|d| ctx.lookups.account_by_domain(d));
        by_email.ok_or_else(|| {
            KeelError::invalid(
                "account",
                "is required: the row names no account and no account has the e-mail's domain",
            )
        })?
    } else {
        ctx.resolve_account(row.line, account_name, account_domain, None)?.id
    };
    let fields = ContactFields { account_id: account, name: &name, title: title.as_deref(), email: &email };
    let Some(id) = existing else {
        let id = store::contacts::insert(ctx.tx, &fields, created_at.unwrap_or(ctx.now))?;
        ctx.record_change(ImportEntity::Contact, id.0, ImportAction::Created, row.line, None, None)?;
        ctx.remember_key(ImportEntity::Contact, key, id.0)?;
        return Ok(Applied {
            action: RowAction::Create,
            entity_id: id.0,
            detail: format!("contact {name} <{email}>"),
            warnings: Vec::new(),
        });
    };
    ctx.remember_key(ImportEntity::Contact, key, id.0)?;
    let current = store::contacts::get(ctx.tx, id)?;
    let fields = ContactFields { title: title.as_deref().or(current.title.as_deref()), ..fields };
    let unchanged = current.account_id == fields.account_id
        && current.name == fields.name
        && current.title.as_deref() == fields.title
        && current.email == fields.email;
    if unchanged {
        return Ok(Applied {
            action: RowAction::Unchanged,
            entity_id: id.0,
            detail: format!("contact {name} <{email}>"),
            warnings: Vec::new(),
        });
    }
    ctx.update_recorded(ImportEntity::Contact, id.0, row.line, |tx| {
        store::contacts::update(tx, id, &fields)
    })?;
    Ok(Applied {
        action: RowAction::Update,
        entity_id: id.0,
        detail: format!("contact {name} <{email}>"),
        warnings: Vec::new(),
    })
}
