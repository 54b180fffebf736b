//! What crosses the team server's HTTP API for integrations (`/api/v1`): the queries its
//! reads take, the shapes they answer, and a change's answer. The lists reuse the app's
//! shapes (`dto`), so a deal reads the same in the window and through the API.

use crate::dto::Int;
use keel::changes::Applied;
use keel::services::metrics::{Figures, Group};
use serde::{Deserialize, Serialize};

/// Why a change is not made through the API, if it is not: access to the team and to the
/// partner portal is given by a member (an integration that could invite would mint
/// sign-ins that outlive its token), and an import sends its file through the app or the CLI.
pub fn not_offered(change: &keel::changes::Change) -> Option<&'static str> {
    use keel::changes::{Area, Change};
    match change {
        Change::Import { .. } => Some("imports are not offered through the API: import with the app or `keel import`"),
        Change::PortalInvite { .. } | Change::PortalRemove { .. } => {
            Some("access to the partner portal is given by a member in the app or the CLI, not by an integration")
        }
        _ if change.area() == Area::Team => {
            Some("the team's members and roles are changed by a member in the app or the CLI, not by an integration")
        }
        _ => None,
    }
}

/// `GET /api/v1/deals`: deals by status, filters and order, a page at a time.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealsQuery {
    /// `open` (the default), `won`, `lost` or `all`.
    pub status: Option<String>,
    pub owner_id: Option<i64>,
    /// `enterprise`, `mid-market`, …
    pub segment: Option<String>,
    /// `direct`, `partner`, …
    pub source: Option<String>,
    /// Expected close date bounds, `YYYY-MM-DD`, inclusive.
    pub close_from: Option<String>,
    pub close_to: Option<String>,
    /// Words in the deal's or its account's name.
    pub search: Option<String>,
    /// `close_date` (the default), `amount`, `name`, `account`, `stage`, `owner`, `updated`.
    pub sort: Option<String>,
    pub descending: Option<bool>,
    pub offset: Option<u32>,
    /// 1 to 500; 100 by default.
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// `GET /api/v1/accounts`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    pub search: Option<String>,
    pub segment: Option<String>,
    pub offset: Option<u32>,
    /// 1 to 500; 100 by default.
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// `GET /api/v1/registrations`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationsQuery {
    /// One state: `submitted`, `approved`, `rejected`, `returned`, `converted`, `expired`.
    pub status: Option<String>,
}

/// `GET /api/v1/metrics`: the report's period (close dates, inclusive) and filters.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub owner_id: Option<i64>,
    pub segment: Option<String>,
    pub source: Option<String>,
}

/// The report: win rate, pipeline, cycle, deal size and partner-sourced revenue, overall
/// and by owner, source, segment and month. Money is minor units of `currency`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Metrics {
    pub currency: String,
    /// The currency's decimal places (minor units per unit = 10^exponent).
    pub exponent: u8,
    pub figures: Figures,
    pub by_owner: Vec<Group>,
    pub by_source: Vec<Group>,
    pub by_segment: Vec<Group>,
    pub by_month: Vec<Group>,
}

impl Metrics {
    pub fn of(m: keel::services::metrics::Metrics) -> Metrics {
        Metrics {
            currency: m.currency.code().to_string(),
            exponent: m.currency.exponent(),
            figures: m.figures,
            by_owner: m.by_owner,
            by_source: m.by_source,
            by_segment: m.by_segment,
            by_month: m.by_month,
        }
    }
}

/// What `POST /api/v1/changes` answers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChangeAnswer {
    /// The record the change made or changed (absent when someone had already made
    /// exactly this change).
    pub applied: Option<Applied>,
    /// True when this `Idempotency-Key` was answered before: nothing ran again.
    pub repeated: bool,
    /// The team's change feed position once the change was applied.
    pub position: Int,
}
