//! Forms as people type them, for the changes whose services take typed input: each is
//! read here, once, so every front door refuses the same mistake naming the same field.

use crate::domain::{
    parse_date, BantItem, BantStatus, PartnerCategory, PartnerTier, PocOutcome, Segment, TeamMemberId,
};
use crate::money::BasisPoints;
use crate::services::{accounts, activities, qualification};
use crate::Result;
use serde::{Deserialize, Serialize};

/// "none" (any case) clears a field that may be empty; anything else sets it.
fn clearable<T>(text: Option<&str>, read: impl Fn(&str) -> Result<T>) -> Result<Option<Option<T>>> {
    match text.map(str::trim) {
        None => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("none") => Ok(Some(None)),
        Some(t) => Ok(Some(Some(read(t)?))),
    }
}

/// BANT items to set: each status (`unknown`, `partial`, `confirmed`) and note as typed;
/// an item left out is left as it is, and an empty note clears it.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct BantForm {
    pub budget: Option<String>,
    pub budget_note: Option<String>,
    pub authority: Option<String>,
    pub authority_note: Option<String>,
    pub need: Option<String>,
    pub need_note: Option<String>,
    pub timeline: Option<String>,
    pub timeline_note: Option<String>,
}

impl BantForm {
    pub fn read(self) -> Result<Vec<qualification::BantChange>> {
        let mut changes = Vec::new();
        for (item, status, note) in [
            (BantItem::Budget, self.budget, self.budget_note),
            (BantItem::Authority, self.authority, self.authority_note),
            (BantItem::Need, self.need, self.need_note),
            (BantItem::Timeline, self.timeline, self.timeline_note),
        ] {
            if status.is_some() || note.is_some() {
                let status = status.as_deref().map(|s| BantStatus::parse(item.as_str(), s)).transpose()?;
                changes.push(qualification::BantChange { item, status, note });
            }
        }
        Ok(changes)
    }
}

/// A proof of concept's fields as typed; dates `YYYY-MM-DD`, outcome `pending`, `passed`
/// or `failed`.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct PocForm {
    pub scope: Option<String>,
    pub criteria: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub outcome: Option<String>,
}

impl PocForm {
    pub fn read(self) -> Result<qualification::PocChanges> {
        Ok(qualification::PocChanges {
            scope: self.scope,
            success_criteria: self.criteria,
            start_date: self.start.as_deref().map(|d| parse_date("start_date", d)).transpose()?,
            end_date: self.end.as_deref().map(|d| parse_date("end_date", d)).transpose()?,
            outcome: self.outcome.as_deref().map(|o| PocOutcome::parse("outcome", o)).transpose()?,
        })
    }
}

/// Changes to an activity as typed: "none" clears the notes or the due date.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ActivityUpdateForm {
    pub subject: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<TeamMemberId>,
    pub due: Option<String>,
}

impl ActivityUpdateForm {
    pub fn read(self) -> Result<activities::ActivityChanges> {
        Ok(activities::ActivityChanges {
            subject: self.subject,
            notes: clearable(self.notes.as_deref(), |n| Ok(n.to_string()))?,
            owner_id: self.owner_id,
            due_date: clearable(self.due.as_deref(), |d| parse_date("due_date", d))?,
        })
    }
}

/// A new account as typed; the segment is `developers-startups`, `smb-mid-market` or
/// `enterprise`.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountForm {
    pub name: String,
    pub domain: Option<String>,
    pub segment: Option<String>,
    pub vertical: Option<String>,
    pub region: Option<String>,
}

fn segment(text: Option<&str>) -> Result<Option<Segment>> {
    text.map(|s| Segment::parse("segment", s)).transpose()
}

impl AccountForm {
    pub fn read(self) -> Result<accounts::AccountInput> {
        Ok(accounts::AccountInput {
            segment: segment(self.segment.as_deref())?,
            name: self.name,
            domain: self.domain,
            vertical: self.vertical,
            region: self.region,
        })
    }
}

/// Changes to an account as typed; `None` leaves a field alone, "" clears an optional one.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct AccountUpdateForm {
    pub name: Option<String>,
    pub domain: Option<String>,
    pub segment: Option<String>,
    pub vertical: Option<String>,
    pub region: Option<String>,
}

impl AccountUpdateForm {
    pub fn read(self) -> Result<accounts::AccountChanges> {
        Ok(accounts::AccountChanges {
            segment: segment(self.segment.as_deref())?,
            name: self.name,
            domain: self.domain,
            vertical: self.vertical,
            region: self.region,
        })
    }
}

/// A new partner as typed: tier `technology`, `reseller` or `strategic`; share in percent.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerForm {
    pub name: String,
    pub domain: String,
    pub tier: String,
    pub share: Option<String>,
    pub category: Option<String>,
    pub manager: Option<TeamMemberId>,
    /// `YYYY-MM-DD`: when the partner's team was certified.
    pub certified: Option<String>,
}

impl PartnerForm {
    pub fn read(self) -> Result<crate::services::partners::PartnerInput> {
        Ok(crate::services::partners::PartnerInput {
            category: self.category.as_deref().map(|c| PartnerCategory::parse("category", c)).transpose()?,
            tier: PartnerTier::parse("tier", &self.tier)?,
            share_bp: self
                .share
                .as_deref()
                .map(|s| BasisPoints::parse_percent("share", s).map(|bp| i64::from(bp.0)))
                .transpose()?,
            status: None,
            certified_on: self.certified.as_deref().map(|d| parse_date("certified", d)).transpose()?,
            manager_id: self.manager,
            name: self.name,
            domain: self.domain,
        })
    }
}

/// A target as typed: its period (`YYYY-MM-DD` days) and what to reach; the ARR is a
/// decimal amount in `currency` (the reporting currency by default).
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetForm {
    pub name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub customers: Option<u32>,
    pub enterprise_deals: Option<u32>,
    pub arr: Option<String>,
    pub currency: Option<String>,
}

impl TargetForm {
    pub fn read(self) -> Result<crate::services::targets::TargetInput> {
        Ok(crate::services::targets::TargetInput {
            starts_on: self.from.as_deref().map(|d| parse_date("from", d)).transpose()?,
            ends_on: self.to.as_deref().map(|d| parse_date("to", d)).transpose()?,
            name: self.name,
            customers: self.customers,
            enterprise_deals: self.enterprise_deals,
            arr: self.arr,
            currency: self.currency,
        })
    }
}

/// Where an import's file is: a path on the machine that applies the change, or, for a
/// team server, the name its upload was kept under (a server never reads a path it is sent).
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ImportFile {
    Path(String),
    Upload(String),
}

/// An import as typed: what the file holds (`deals`, `accounts`, `contacts`), its own name
/// (kept in the import's record), and how to read it.
#[cfg_attr(feature = "schema", derive(specta::Type, schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportForm {
    pub kind: String,
    pub file_name: String,
    /// Report what would be created, updated and rejected; keep nothing.
    pub dry_run: bool,
    /// Refuse the whole file if any row is bad.
    pub strict: bool,
    /// `Column=field` (or `Column=` to ignore it), or `stage:Label=Stage`.
    pub maps: Vec<String>,
    /// `auto`, `mdy` or `dmy`.
    pub date_order: String,
    /// Currency of amounts the file gives without one.
    pub currency: Option<String>,
}

impl Default for ImportForm {
    fn default() -> ImportForm {
        ImportForm {
            kind: "deals".into(),
            file_name: String::new(),
            dry_run: false,
            strict: false,
            maps: Vec::new(),
            date_order: "auto".into(),
            currency: None,
        }
    }
}
