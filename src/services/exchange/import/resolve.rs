//! Finding or creating the account and the owner a row names. Accounts match by
//! domain, then by normalized name; unknown owners join the team as account executives.

use super::Importer;
use crate::domain::{
    normalize_domain, required_text, AccountId, ImportAction, ImportEntity, Role, Segment, TeamMemberId,
    TextKind,
};
use crate::store::accounts::AccountFields;
use crate::store::{self};
use crate::{KeelError, Result};

/// A row's account, and a note for the report when it was created.
pub struct ResolvedAccount {
    pub id: AccountId,
    pub created: bool,
}

impl Importer<'_> {
    pub(super) fn resolve_account(
        &mut self,
        line: u64,
        name: Option<&str>,
        domain: Option<&str>,
        segment: Option<Segment>,
    ) -> Result<ResolvedAccount> {
        let domain = domain.map(|d| normalize_domain("account_domain", d)).transpose()?;
        if let Some(id) = domain.as_deref().and_then(|d| self.lookups.account_by_domain(d)) {
            return Ok(ResolvedAccount { id, created: false });
        }
        if let Some(id) = name.and_then(|n| self.lookups.account_by_name(n)) {
            // Same name, different company: a file's domain outranks a name match.
            if domain.is_none() || store::accounts::get(self.tx, id)?.domain.is_none() {
                return Ok(ResolvedAccount { id, created: false });
            }
        }
        let name = match (name, domain.as_deref()) {
            (Some(name), _) => required_text("account", name, TextKind::Line)?,
            (None, Some(domain)) => domain.to_string(),
            (None, None) => return Err(KeelError::invalid("account", "is required")),
        };
        let id = store::accounts::insert(
            self.tx,
            &AccountFields {
                name: &name,
                domain: domain.as_deref(),
                segment: segment.unwrap_or(Segment::SmbMidMarket),
                vertical: None,
                region: None,
            },
            self.now,
            Some(self.actor),
        )?;
        self.record_change(ImportEntity::Account, id.0, ImportAction::Created, line, None, None)?;
        self.lookups.add_account(id, &name, domain.as_deref());
        self.related.accounts_created += 1;
        Ok(ResolvedAccount { id, created: true })
    }

    /// The named team member, created as an account executive when new; the importing
    /// user when the row names nobody.
    pub(super) fn resolve_member(
        &mut self,
        line: u64,
        field: &str,
        name: Option<&str>,
    ) -> Result<TeamMemberId> {
        let Some(name) = name else { return Ok(self.actor) };
        let name = required_text(field, name, TextKind::Line)?;
        if let Some(id) = self.lookups.member(&name) {
            return Ok(id);
        }
        let id = store::team::insert(self.tx, &name, Role::AccountExecutive, None, self.now)?;
        self.record_change(ImportEntity::TeamMember, id.0, ImportAction::Created, line, None, None)?;
        self.lookups.add_member(id, &name);
        self.related.team_members_created += 1;
        Ok(id)
    }
}
