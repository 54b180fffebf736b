//! One account row: matched by the source's record id, then domain, then normalized
//! name; created, or updated with the fields the file gives (blank cells leave a
//! field as it is).

use super::columns::Field;
use super::values::{self, parse_when};
use super::{Applied, Importer, RowAction};
use crate::domain::{
    normalize_domain, optional_text, required_text, AccountId, ImportAction, ImportEntity, Segment, TextKind,
};
use crate::files::Row;
use crate::store::accounts::AccountFields;
use crate::store::{self};
use crate::{KeelError, Result};

pub(super) fn import(ctx: &mut Importer<'_>, row: &Row) -> Result<Applied> {
    let columns = ctx.columns;
    let cell = |f| columns.get(&row.cells, f);
    let name = required_text("name", cell(Field::Name).unwrap_or(""), TextKind::Line)?;
    let domain = cell(Field::Domain).map(|d| normalize_domain("domain", d)).transpose()?;
    let segment = match cell(Field::Segment) {
        Some(text) => {
            let said = ctx.columns.mapped_value(Field::Segment, text).unwrap_or(text);
            values::parse_segment("segment", said)?
        }
        None => None,
    };
    let vertical = optional_text("vertical", cell(Field::Vertical), TextKind::Line)?;
    let region = optional_text("region", cell(Field::Region), TextKind::Line)?;
    let created_at =
        cell(Field::CreatedDate).map(|t| parse_when("created_date", t, ctx.date_order)).transpose()?;
    let key = cell(Field::ExternalId);
    let existing = match ctx.known_key(ImportEntity::Account, key, created_at)? {
        Some(id) => Some(AccountId(id)),
        None => match domain.as_deref().and_then(|d| ctx.lookups.account_by_domain(d)) {
            Some(id) => Some(id),
            None => ctx.lookups.account_by_name(&name).filter(|id| {
                domain.is_none() || store::accounts::get(ctx.tx, *id).is_ok_and(|a| a.domain.is_none())
            }),
        },
    };
    let Some(id) = existing else {
        let id = store::accounts::insert(
            ctx.tx,
            &AccountFields {
                name: &name,
                domain: domain.as_deref(),
                segment: segment.unwrap_or(Segment::SmbMidMarket),
                vertical: vertical.as_deref(),
                region: region.as_deref(),
            },
            created_at.unwrap_or(ctx.now),
            Some(ctx.actor),
        )?;
        ctx.record_change(ImportEntity::Account, id.0, ImportAction::Created, row.line, None, None)?;
        ctx.remember_key(ImportEntity::Account, key, id.0)?;
        ctx.lookups.add_account(id, &name, domain.as_deref());
        return Ok(Applied {
            action: RowAction::Create,
            entity_id: id.0,
            detail: format!("account '{name}'"),
            warnings: Vec::new(),
        });
    };
    let current = store::accounts::get(ctx.tx, id)?;
    let merged = AccountFields {
        name: &name,
        domain: domain.as_deref().or(current.domain.as_deref()),
        segment: segment.unwrap_or(current.segment),
        vertical: vertical.as_deref().or(current.vertical.as_deref()),
        region: region.as_deref().or(current.region.as_deref()),
    };
    if let Some(taken) =
        merged.domain.and_then(|d| ctx.lookups.account_by_domain(d)).filter(|other| *other != id)
    {
        return Err(KeelError::invalid(
            "domain",
            format!("{} already belongs to account {taken}", merged.domain.unwrap_or_default()),
        ));
    }
    ctx.remember_key(ImportEntity::Account, key, id.0)?;
    let unchanged = current.name == merged.name
        && current.domain.as_deref() == merged.domain
        && current.segment == merged.segment
        && current.vertical.as_deref() == merged.vertical
        && current.region.as_deref() == merged.region;
    if unchanged {
        return Ok(Applied {
            action: RowAction::Unchanged,
            entity_id: id.0,
            detail: format!("account '{name}'"),
            warnings: Vec::new(),
        });
    }
    ctx.update_recorded(ImportEntity::Account, id.0, row.line, |tx| {
        store::accounts::update(tx, id, &merged)
    })?;
    ctx.lookups.add_account(id, &name, merged.domain);
    Ok(Applied {
        action: RowAction::Update,
        entity_id: id.0,
        detail: format!("account '{name}'"),
        warnings: Vec::new(),
    })
}
