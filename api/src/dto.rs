//! What crosses IPC: plain shapes built from the core's views. Integers travel as
//! JSON numbers, so every one passes through [`Int`], which refuses |v| > 2^53 − 1
//! rather than let JavaScript round it silently.

use keel::services::policy;
use keel::store::deals::Deal;
use serde::{Deserialize, Serialize, Serializer};

/// Largest integer a JavaScript number holds exactly.
pub const MAX_SAFE: i64 = (1 << 53) - 1;

/// An integer that is exact in JavaScript: ids, minor units, counts, basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Int(pub i64);

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.abs() > MAX_SAFE {
            return Err(serde::ser::Error::custom(format!(
                "{} is beyond 2^53 and would lose precision",
                self.0
            )));
        }
        s.serialize_i64(self.0)
    }
}

impl specta::Type for Int {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        // Declared as i32 only for its TypeScript shape (`number`); the value is an i64 checked above.
        <i32 as specta::Type>::definition(types)
    }
}

impl schemars::JsonSchema for Int {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Int".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "format": "int64",
            "minimum": -MAX_SAFE,
            "maximum": MAX_SAFE,
        })
    }
}

impl From<i64> for Int {
    fn from(v: i64) -> Int {
        Int(v)
    }
}

impl From<u64> for Int {
    fn from(v: u64) -> Int {
        Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Int {
    fn from(v: u32) -> Int {
        Int(i64::from(v))
    }
}

/// Money: integer minor units and the ISO 4217 code with its decimal places.
#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
pub struct MoneyDto {
    pub minor: Int,
    pub currency: String,
    pub exponent: u8,
}

impl From<keel::money::Money> for MoneyDto {
    fn from(m: keel::money::Money) -> Self {
        MoneyDto::of(m.amount_minor, m.currency)
    }
}

impl MoneyDto {
    pub fn of(minor: i64, currency: keel::money::Currency) -> MoneyDto {
        MoneyDto { minor: Int(minor), currency: currency.code().to_string(), exponent: currency.exponent() }
    }
}

/// A deal as a card or a table row.
#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
pub struct DealCard {
    pub id: Int,
    pub name: String,
    /// Null for an imported deal that names no company yet.
    pub account_id: Option<Int>,
    pub account_name: Option<String>,
    pub segment: Option<String>,
    pub owner_id: Int,
    pub owner_name: String,
    pub stage_id: Int,
    pub stage_name: String,
    pub is_closed: bool,
    pub is_won: bool,
    /// Null while the amount is not known; `currency` is the deal's all the same.
    pub amount: Option<MoneyDto>,
    pub currency: String,
    /// Basis points: the override if set, else the stage's default.
    pub probability_bp: Int,
    /// Null when the source system had none for an open deal.
    pub expected_close_date: Option<String>,
    pub source: String,
    /// The lead source as the source system named it, when it said more than `source`.
    pub lead_source: Option<String>,
    pub deal_type: String,
    pub closed_on: Option<String>,
    pub stalled: bool,
    pub days_in_stage: Int,
    /// Changed on this machine while the team server could not be reached, and not yet
    /// confirmed by it (see [`mark_waiting`]).
    pub waiting: bool,
}

/// Marks the cards whose deals carry changes made offline that the team server has not
/// confirmed yet.
pub fn mark_waiting(ws: &keel::services::Workspace, cards: &mut [DealCard]) -> keel::Result<()> {
    if !ws.is_replica() {
        return Ok(());
    }
    let waiting = ws.waiting_deals()?;
    for card in cards.iter_mut() {
        card.waiting = waiting.contains(&card.id.0);
    }
    Ok(())
}

impl DealCard {
    pub fn of(deal: &Deal, now: chrono::DateTime<chrono::Utc>) -> DealCard {
        DealCard {
            id: deal.id.0.into(),
            name: deal.name.clone(),
            account_id: deal.account_id.map(|a| a.0.into()),
            account_name: deal.account_name.clone(),
            segment: deal.segment.map(|s| s.as_str().into()),
            owner_id: deal.owner_id.0.into(),
            owner_name: deal.owner_name.clone(),
            stage_id: deal.stage_id.0.into(),
            stage_name: deal.stage_name.clone(),
            is_closed: deal.is_closed,
            is_won: deal.is_won,
            amount: deal.amount.map(MoneyDto::from),
            currency: deal.currency.code().into(),
            probability_bp: i64::from(deal.probability.0).into(),
            expected_close_date: deal.expected_close_date.map(|d| d.to_string()),
            source: deal.source.as_str().into(),
            lead_source: deal.lead_source.clone(),
            deal_type: deal.deal_type.as_str().into(),
            closed_on: deal.closed_on.map(|d| d.to_string()),
            stalled: deal.stalled,
            days_in_stage: (now - deal.stage_entered_at).num_days().into(),
            waiting: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MemberDto {
    pub id: Int,
    pub name: String,
    /// `account-executive`, `partner-manager`, `sales-leader`...
    pub role: String,
    pub ae_segment: Option<String>,
    /// May review registrations and run payouts (the core's rule, so screens offer
    /// only what the core would accept).
    pub runs_partner_program: bool,
    /// May set targets, the reporting currency and exchange rates.
    pub leads_sales: bool,
    /// Carries deals: offered as an owner (board and dashboard filters, conversions).
    pub owns_deals: bool,
}

impl From<&keel::store::team::TeamMember> for MemberDto {
    fn from(m: &keel::store::team::TeamMember) -> Self {
        MemberDto {
            id: m.id.0.into(),
            name: m.name.clone(),
            role: m.role.as_str().into(),
            ae_segment: m.ae_segment.map(|s| s.as_str().into()),
            runs_partner_program: policy::allows(m.role, policy::Capability::RunPartnerProgram),
            leads_sales: policy::allows(m.role, policy::Capability::LeadSales),
            owns_deals: policy::allows(m.role, policy::Capability::OwnDeals),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ActivityDto {
    pub id: Int,
    pub kind: String,
    pub subject: String,
    pub notes: Option<String>,
    pub account_id: Int,
    pub account_name: String,
    pub deal_id: Option<Int>,
    pub owner_name: String,
    pub due_date: Option<String>,
    pub done_at: Option<String>,
    pub created_at: String,
}

impl From<&keel::store::activities::Activity> for ActivityDto {
    fn from(a: &keel::store::activities::Activity) -> Self {
        ActivityDto {
            id: a.id.0.into(),
            kind: a.kind.as_str().into(),
            subject: a.subject.clone(),
            notes: a.notes.clone(),
            account_id: a.account_id.0.into(),
            account_name: a.account_name.clone(),
            deal_id: a.deal_id.map(|d| d.0.into()),
            owner_name: a.owner_name.clone(),
            due_date: a.due_date.map(|d| d.to_string()),
            done_at: a.done_at.map(|d| d.to_rfc3339()),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
pub struct AccountDto {
    pub id: Int,
    pub name: String,
    pub domain: Option<String>,
    pub segment: String,
    pub vertical: Option<String>,
    pub region: Option<String>,
    pub created_at: String,
}

impl From<&keel::store::accounts::Account> for AccountDto {
    fn from(a: &keel::store::accounts::Account) -> Self {
        AccountDto {
            id: a.id.0.into(),
            name: a.name.clone(),
            domain: a.domain.clone(),
            segment: a.segment.as_str().into(),
            vertical: a.vertical.clone(),
            region: a.region.clone(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
pub struct ContactDto {
    pub id: Int,
    pub account_id: Int,
    pub account_name: String,
    pub name: String,
    pub title: Option<String>,
    pub email: String,
}

impl From<&keel::store::contacts::Contact> for ContactDto {
    fn from(c: &keel::store::contacts::Contact) -> Self {
        ContactDto {
            id: c.id.0.into(),
            account_id: c.account_id.0.into(),
            account_name: c.account_name.clone(),
            name: c.name.clone(),
            title: c.title.clone(),
            email: c.email.clone(),
        }
    }
}

/// A partner's deal registration, with where it stands now.
#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
pub struct RegistrationDto {
    pub id: Int,
    pub partner_id: Int,
    pub partner_name: String,
    pub company_name: String,
    pub domain: String,
    pub country: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: MoneyDto,
    pub expected_close_date: String,
    pub use_case: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub submitted_at: String,
    pub reviewed_at: Option<String>,
    pub decision_reason: Option<String>,
    pub override_reason: Option<String>,
    pub rate_bp: Option<Int>,
    pub protected_until: Option<String>,
    pub extension_reason: Option<String>,
    pub deal_id: Option<Int>,
    /// Where the converted deal stands now.
    pub deal_stage: Option<String>,
    /// What it collides with, checked now (empty when not under review).
    pub conflicts: Vec<String>,
    pub review_overdue: bool,
}

impl RegistrationDto {
    pub fn of(r: &keel::store::registrations::Registration) -> RegistrationDto {
        RegistrationDto {
            id: r.id.0.into(),
            partner_id: r.partner_id.0.into(),
            partner_name: r.partner_name.clone(),
            company_name: r.company_name.clone(),
            domain: r.domain.clone(),
            country: r.country.clone(),
            contact_name: r.contact_name.clone(),
            contact_email: r.contact_email.clone(),
            estimated_value: r.estimated_value.into(),
            expected_close_date: r.expected_close_date.to_string(),
            use_case: r.use_case.map(|u| u.as_str().to_string()),
            notes: r.notes.clone(),
            status: r.status.as_str().to_string(),
            submitted_at: r.submitted_at.to_rfc3339(),
            reviewed_at: r.reviewed_at.map(|t| t.to_rfc3339()),
            decision_reason: r.decision_reason.clone(),
            override_reason: r.override_reason.clone(),
            rate_bp: r.rate.map(|b| i64::from(b.0).into()),
            protected_until: r.protected_until.map(|d| d.to_string()),
            extension_reason: r.extension_reason.clone(),
            deal_id: r.deal_id.map(|d| d.0.into()),
            deal_stage: None,
            conflicts: Vec::new(),
            review_overdue: false,
        }
    }
}

impl From<keel::services::registrations::RegistrationView> for RegistrationDto {
    fn from(v: keel::services::registrations::RegistrationView) -> Self {
        RegistrationDto {
            deal_stage: v.deal_stage,
            conflicts: v.conflicts,
            review_overdue: v.review_overdue,
            ..RegistrationDto::of(&v.registration)
        }
    }
}

/// A list page and how many rows the whole list has (for a virtualized scroll).
#[derive(Debug, Clone, Serialize, specta::Type, schemars::JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    pub total: Int,
    pub offset: Int,
    pub rows: Vec<T>,
}
