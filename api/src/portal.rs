//! The partner portal's wire: what the team server answers under `/portal/api` and what
//! the portal sends. The portal's TypeScript types (`portal/src/lib/types.ts`) are
//! generated from these, so a field renamed here fails the portal's type check. The
//! core decides what a partner's person may see; these only carry it.

use crate::dto::Int;
use keel::services::portal as core;
use serde::{Deserialize, Serialize};

/// An amount: minor units (exact in JavaScript), the currency and its decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename = "Money")]
pub struct PortalMoney {
    pub minor: Int,
    pub currency: &'static str,
    pub exponent: u8,
}

impl From<core::PortalMoney> for PortalMoney {
    fn from(money: core::PortalMoney) -> Self {
        PortalMoney { minor: Int(money.minor), currency: money.currency, exponent: money.exponent }
    }
}

/// The partner as its people see it: tier, the rate in force, their partner manager and
/// the program's terms.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "Profile")]
pub struct PortalProfile {
    pub partner: String,
    /// The signed-in person's e-mail.
    pub you: String,
    pub category: String,
    pub tier: String,
    pub rate_bp: Option<u32>,
    pub partner_manager: Option<String>,
    pub protection_days: u32,
    pub holding_days: u32,
    pub minimum_payout_major: u32,
}

impl From<core::PortalProfile> for PortalProfile {
    fn from(p: core::PortalProfile) -> Self {
        PortalProfile {
            partner: p.partner,
            you: p.you,
            category: p.category,
            tier: p.tier,
            rate_bp: p.rate_bp,
            partner_manager: p.partner_manager,
            protection_days: p.protection_days,
            holding_days: p.holding_days,
            minimum_payout_major: p.minimum_payout_major,
        }
    }
}

/// A registration as its partner follows it. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "Registration")]
pub struct PortalRegistration {
    pub id: Int,
    pub company: String,
    pub domain: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub estimated_value: PortalMoney,
    pub expected_close_date: String,
    pub use_case: Option<String>,
    pub notes: Option<String>,
    /// submitted, returned, approved, rejected, converted, expired.
    pub status: String,
    /// Overlapping other business: a manager looks at it (what it overlaps is never said).
    pub needs_review: bool,
    /// The manager's question (returned) or reason (rejected).
    pub manager_note: Option<String>,
    pub protected_until: Option<String>,
    /// The rate locked at approval.
    pub rate_bp: Option<u32>,
    /// For a converted registration: won, lost or open.
    pub deal_outcome: Option<String>,
    pub submitted_at: String,
}

impl From<core::PortalRegistration> for PortalRegistration {
    fn from(r: core::PortalRegistration) -> Self {
        PortalRegistration {
            id: Int(r.id.0),
            company: r.company,
            domain: r.domain,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            estimated_value: r.estimated_value.into(),
            expected_close_date: r.expected_close_date.to_string(),
            use_case: r.use_case,
            notes: r.notes,
            status: r.status,
            needs_review: r.needs_review,
            manager_note: r.manager_note,
            protected_until: r.protected_until.map(|d| d.to_string()),
            rate_bp: r.rate_bp,
            deal_outcome: r.deal_outcome,
            submitted_at: r.submitted_at,
        }
    }
}

/// A deal registration as the partner's person typed it; the core reads every field
/// (amounts, dates, e-mail) and names the one at fault.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
#[serde(rename = "RegistrationForm")]
pub struct PortalRegistrationForm {
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub estimated_value: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub expected_close_date: String,
    #[serde(default)]
    pub use_case: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl From<PortalRegistrationForm> for core::PortalRegistrationForm {
    fn from(f: PortalRegistrationForm) -> Self {
        core::PortalRegistrationForm {
            company: f.company,
            domain: f.domain,
            country: f.country,
            contact_name: f.contact_name,
            contact_email: f.contact_email,
            estimated_value: f.estimated_value,
            currency: f.currency,
            expected_close_date: f.expected_close_date,
            use_case: f.use_case,
            notes: f.notes,
        }
    }
}

/// The answer to a manager's question, with the registration as corrected.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct AnswerRequest {
    #[serde(default)]
    pub answer: String,
    #[serde(flatten)]
    pub form: PortalRegistrationForm,
}

/// Accepting an invitation: the code from the partner manager, and the password chosen.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct AcceptRequest {
    pub code: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// One commission entry and where it stands.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "Earning")]
pub struct PortalEarning {
    pub deal_name: String,
    /// `accrual`, `clawback` or `reversal`.
    pub kind: String,
    pub amount: PortalMoney,
    pub accrued_on: String,
    pub payable_on: String,
    pub statement_period: Option<String>,
    /// in holding, payable, on a statement, paid, clawed back.
    pub standing: String,
}

/// Per currency: everything earned, and how much of it stands where.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct EarningTotals {
    pub earned: PortalMoney,
    pub in_holding: PortalMoney,
    pub payable: PortalMoney,
    pub on_statements: PortalMoney,
    pub paid: PortalMoney,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "Earnings")]
pub struct PortalEarnings {
    pub entries: Vec<PortalEarning>,
    pub totals: Vec<EarningTotals>,
}

impl From<core::PortalEarnings> for PortalEarnings {
    fn from(e: core::PortalEarnings) -> Self {
        PortalEarnings {
            entries: e
                .entries
                .into_iter()
                .map(|x| PortalEarning {
                    deal_name: x.deal_name,
                    kind: x.kind,
                    amount: x.amount.into(),
                    accrued_on: x.accrued_on.to_string(),
                    payable_on: x.payable_on.to_string(),
                    statement_period: x.statement_period,
                    standing: x.standing,
                })
                .collect(),
            totals: e
                .totals
                .into_iter()
                .map(|t| EarningTotals {
                    earned: t.earned.into(),
                    in_holding: t.in_holding.into(),
                    payable: t.payable.into(),
                    on_statements: t.on_statements.into(),
                    paid: t.paid.into(),
                })
                .collect(),
        }
    }
}

/// A statement as its partner sees it; `lines` only on one statement's page.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "Statement")]
pub struct PortalStatement {
    pub id: Int,
    pub period: String,
    pub status: String,
    pub total: PortalMoney,
    pub approved_at: Option<String>,
    pub paid_on: Option<String>,
    pub paid_reference: Option<String>,
    pub lines: Vec<PortalStatementLine>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename = "StatementLine")]
pub struct PortalStatementLine {
    /// payment, clawback, reversal or carried.
    pub kind: String,
    pub deal_name: Option<String>,
    pub accrued_on: Option<String>,
    pub base: Option<PortalMoney>,
    pub rate_bp: Option<u32>,
    pub amount: PortalMoney,
}

impl From<core::PortalStatement> for PortalStatement {
    fn from(s: core::PortalStatement) -> Self {
        PortalStatement {
            id: Int(s.id.0),
            period: s.period,
            status: s.status,
            total: s.total.into(),
            approved_at: s.approved_at,
            paid_on: s.paid_on.map(|d| d.to_string()),
            paid_reference: s.paid_reference,
            lines: s
                .lines
                .into_iter()
                .map(|l| PortalStatementLine {
                    kind: l.kind,
                    deal_name: l.deal_name,
                    accrued_on: l.accrued_on.map(|d| d.to_string()),
                    base: l.base.map(Into::into),
                    rate_bp: l.rate_bp,
                    amount: l.amount.into(),
                })
                .collect(),
        }
    }
}

/// Every type the portal's TypeScript is generated from.
pub fn types() -> specta::Types {
    specta::Types::default()
        .register::<crate::ApiError>()
        .register::<PortalProfile>()
        .register::<PortalRegistration>()
        .register::<PortalRegistrationForm>()
        .register::<AnswerRequest>()
        .register::<AcceptRequest>()
        .register::<SignInRequest>()
        .register::<PortalEarnings>()
        .register::<PortalStatement>()
}
