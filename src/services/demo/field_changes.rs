//! The demo's deal change history: earlier amounts, close dates that slipped, deals
//! handed from one owner to another, and owners' forecast calls, so that a past day
//! (`--as-of`, the pipeline waterfall) has real history to show. Drawn from a generator
//! of its own, so the deals themselves stay what each seed has always made.

use super::Rng;
use crate::domain::{DealId, ForecastCategory, TeamMemberId};
use crate::store::instant_text;
use crate::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Connection;

/// A deal's life, as the demo made it: what its changes must lead up to.
pub(super) struct DealLife<'a> {
    pub id: DealId,
    pub owner: TeamMemberId,
    /// Who else could have owned it (the owner's peers).
    pub peers: &'a [TeamMemberId],
    pub created_at: DateTime<Utc>,
    /// The last moment it could change: its closing, or now for an open deal.
    pub until: DateTime<Utc>,
    pub amount_minor: i64,
    pub expected_close: NaiveDate,
    pub forecast: Option<ForecastCategory>,
}

/// One change: when, which field, its old and new values.
type Change = (DateTime<Utc>, &'static str, Option<String>, Option<String>);

pub(super) struct ChangeMaker {
    rng: Rng,
    pub written: u64,
}

impl ChangeMaker {
    pub fn new(seed: u64) -> ChangeMaker {
        ChangeMaker { rng: Rng(seed ^ 0x00c4_a11e_d0c5), written: 0 }
    }

    /// The owner's forecast category for a deal still open: some late-stage deals are
    /// called commit or best case (decided before the deal is written).
    pub fn forecast(&mut self, open: bool, late_stage: bool) -> Option<ForecastCategory> {
        if !(open && late_stage && self.rng.chance(30)) {
            return None;
        }
        Some(if self.rng.chance(60) { ForecastCategory::Commit } else { ForecastCategory::BestCase })
    }

    /// Writes the changes that led to the deal as it stands: each field's earlier values,
    /// the last change's new value being today's.
    pub fn write(&mut self, tx: &Connection, life: &DealLife<'_>) -> Result<()> {
        let span_minutes = (life.until - life.created_at).num_minutes();
        if span_minutes < 10 {
            return Ok(());
        }
        let mut rows: Vec<Change> = Vec::new();
        if self.rng.chance(20) {
            let mut values = vec![life.amount_minor];
            for _ in 0..if self.rng.chance(25) { 2 } else { 1 } {
                let next = values[0];
                let earlier = ((next / 10_000) * self.rng.range(70, 130) / 100).max(1) * 10_000;
                if earlier != next {
                    values.insert(0, earlier);
                }
            }
            self.chain(&mut rows, life, "amount", values.iter().map(i64::to_string).collect());
        }
        if self.rng.chance(if life.forecast.is_some() { 20 } else { 30 }) {
            let mut dates = vec![life.expected_close];
            for _ in 0..self.rng.range(1, 2) {
                dates.insert(0, dates[0] - Duration::days(self.rng.range(14, 45)));
            }
            self.chain(
                &mut rows,
                life,
                "expected_close_date",
                dates.iter().map(NaiveDate::to_string).collect(),
            );
        }
        if !life.peers.is_empty() && self.rng.chance(3) {
            let before = life.peers[(self.rng.next() % life.peers.len() as u64) as usize];
            if before != life.owner {
                self.chain(&mut rows, life, "owner", vec![before.0.to_string(), life.owner.0.to_string()]);
            }
        }
        if let Some(category) = life.forecast {
            let at = self.moment(life, span_minutes);
            rows.push((at, "forecast_category", None, Some(category.as_str().to_string())));
        }
        rows.sort_by_key(|r| r.0);
        // Up to 8 rows a statement, as the stage history's batches: one statement per deal.
        for chunk in rows.chunks(8) {
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 6;
                    format!("(?{}, ?{}, ?{}, ?{}, ?{}, ?{})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6)
                })
                .collect();
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO deal_changes (deal_id, field, old_value, new_value, changed_at, changed_by) VALUES {}",
                placeholders.join(", ")
            ))?;
            let times: Vec<String> = chunk.iter().map(|r| instant_text(r.0)).collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 6);
            for ((_, field, old, new), at) in chunk.iter().zip(&times) {
                values.extend([&life.id as &dyn rusqlite::ToSql, field, old, new, at, &life.owner]);
            }
            insert.execute(values.as_slice())?;
            self.written += chunk.len() as u64;
        }
        Ok(())
    }

    /// One row per step from each value to the next, at increasing moments of the life.
    fn chain(
        &mut self,
        rows: &mut Vec<Change>,
        life: &DealLife<'_>,
        field: &'static str,
        values: Vec<String>,
    ) {
        let span_minutes = (life.until - life.created_at).num_minutes();
        let mut moments: Vec<DateTime<Utc>> =
            (1..values.len()).map(|_| self.moment(life, span_minutes)).collect();
        moments.sort();
        for (pair, at) in values.windows(2).zip(moments) {
            rows.push((at, field, Some(pair[0].clone()), Some(pair[1].clone())));
        }
    }

    /// A moment strictly inside the deal's life.
    fn moment(&mut self, life: &DealLife<'_>, span_minutes: i64) -> DateTime<Utc> {
        life.created_at + Duration::minutes(self.rng.range(1, span_minutes - 1))
    }
}
