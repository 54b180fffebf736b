//! The filters screens send, read once into the core's queries: deals (the board, the
//! table, the home screen) and the report (the dashboard).

use crate::dto::Int;
use crate::{date, given, ApiError};
use keel::domain::{DealSource, Segment, TeamMemberId};
use keel::services::deals::DealQuery;
use keel::services::metrics::{BoardQuery, MetricsQuery};
use keel::services::{team, Workspace};
use serde::Deserialize;

/// The filters shared by the board, the table and the home screen.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct DealFilter {
    pub owner_id: Option<Int>,
    pub segment: Option<String>,
    pub source: Option<String>,
    /// Expected close date bounds, `YYYY-MM-DD`.
    pub close_from: Option<String>,
    pub close_to: Option<String>,
    pub search: Option<String>,
}

/// A deal filter read: the owner (with their name), vocabulary words and dates typed.
pub struct Resolved {
    pub owner: Option<(TeamMemberId, String)>,
    pub segment: Option<Segment>,
    pub source: Option<DealSource>,
    pub close_from: Option<chrono::NaiveDate>,
    pub close_to: Option<chrono::NaiveDate>,
    pub search: Option<String>,
}

/// Reads a deal filter: an unknown owner, segment, source or date is refused, naming it.
pub fn resolve(ws: &Workspace, filter: DealFilter) -> Result<Resolved, ApiError> {
    let owner = match filter.owner_id {
        Some(id) => {
            let member = team::get(ws, TeamMemberId(id.0))?;
            Some((member.id, member.name))
        }
        None => None,
    };
    Ok(Resolved {
        owner,
        segment: given(filter.segment).map(|s| Segment::parse("segment", &s)).transpose()?,
        source: given(filter.source).map(|s| DealSource::parse("source", &s)).transpose()?,
        close_from: date("close_from", filter.close_from)?,
        close_to: date("close_to", filter.close_to)?,
        search: given(filter.search),
    })
}

impl Resolved {
    pub fn deal_query(&self) -> Result<DealQuery, ApiError> {
        Ok(DealQuery {
            owner_id: self.owner.as_ref().map(|o| o.0),
            segment: self.segment,
            source: self.source,
            close_from: self.close_from,
            close_to: self.close_to,
            search: self.search.clone(),
            ..DealQuery::default()
        })
    }

    pub fn board_query(&self) -> BoardQuery {
        BoardQuery {
            owner: self.owner.as_ref().map(|o| o.0),
            segment: self.segment,
            source: self.source,
            close_from: self.close_from,
            close_to: self.close_to,
        }
    }
}

/// The dashboard's period (close dates, `YYYY-MM-DD`, inclusive) and filters.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct DashboardQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub owner_id: Option<Int>,
    pub segment: Option<String>,
    pub source: Option<String>,
    /// The report as it stood at the end of this day (`YYYY-MM-DD`); today's when null.
    pub as_of: Option<String>,
}

/// The query, and the past day it is asked of (None: today).
pub fn metrics_query(q: DashboardQuery) -> Result<(MetricsQuery, Option<chrono::NaiveDate>), ApiError> {
    let as_of = date("as_of", q.as_of)?;
    let query = MetricsQuery {
        from: date("from", q.from)?,
        to: date("to", q.to)?,
        owner: q.owner_id.map(|id| TeamMemberId(id.0)),
        segment: given(q.segment).map(|s| keel::domain::Segment::parse("segment", &s)).transpose()?,
        source: given(q.source).map(|s| keel::domain::DealSource::parse("source", &s)).transpose()?,
    };
    Ok((query, as_of))
}
