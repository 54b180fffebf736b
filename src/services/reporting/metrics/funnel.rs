//! The stage funnel, from each deal's stage history: for each stage, the deals that
//! first entered it in the period, the share of them that later reached a further
//! stage (won counts, lost does not), and the median days spent in it.

use super::tally::median;
use crate::money::div_round_half_even;
use crate::store::facts::HistoryEntry;
use crate::store::stages::Stage;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStage {
    pub stage: String,
    pub entered_count: u64,
    /// Of those, how many went on to a later stage of the pipeline (not to lost).
    pub advanced_count: u64,
    /// advanced / entered in basis points; null for closed stages and empty ones.
    pub conversion_rate: Option<u32>,
    /// Over deals that have left the stage: whole days from entering to leaving,
    /// summed over their visits. Null for closed stages.
    pub median_days_in_stage: Option<f64>,
}

pub struct Funnel<'s> {
    stages: &'s [Stage],
    /// Stage id → index in `stages`.
    index_of: Vec<Option<usize>>,
    entered: Vec<u64>,
    advanced: Vec<u64>,
    days: Vec<Vec<i32>>,
    // Per-deal scratch, reused.
    first: Vec<Option<(usize, i32)>>,
    spent: Vec<Option<i32>>,
    visits: Vec<usize>,
}

impl<'s> Funnel<'s> {
    pub fn new(stages: &'s [Stage]) -> Funnel<'s> {
        let max_id = stages.iter().map(|s| s.id.0).max().unwrap_or(0).max(0) as usize;
        let mut index_of = vec![None; max_id + 1];
        for (i, stage) in stages.iter().enumerate() {
            index_of[stage.id.0 as usize] = Some(i);
        }
        let n = stages.len();
        Funnel {
            stages,
            index_of,
            entered: vec![0; n],
            advanced: vec![0; n],
            days: vec![Vec::new(); n],
            first: vec![None; n],
            spent: vec![None; n],
            visits: Vec::new(),
        }
    }

    fn index(&self, stage_id: u16) -> Option<usize> {
        self.index_of.get(usize::from(stage_id)).copied().flatten()
    }

    /// Adds one deal's history; entries count when their stage was first entered
    /// within `from..=to` (day numbers).
    pub fn add(&mut self, history: impl Iterator<Item = HistoryEntry>, from: i32, to: i32) {
        self.first.iter_mut().for_each(|f| *f = None);
        self.spent.iter_mut().for_each(|s| *s = None);
        self.visits.clear();
        let mut previous: Option<(usize, i32)> = None;
        for entry in history {
            if let Some((left, since)) = previous {
                *self.spent[left].get_or_insert(0) += entry.day - since;
            }
            // A stage outside this pipeline ends the visit before it and counts for nothing.
            previous = self.index(entry.stage_id).map(|stage| (stage, entry.day));
            let Some((stage, day)) = previous else { continue };
            if self.first[stage].is_none() {
                self.first[stage] = Some((self.visits.len(), day));
            }
            self.visits.push(stage);
        }
        for (stage, first) in self.first.iter().enumerate() {
            let Some((at, day)) = *first else { continue };
            if day < from || day > to {
                continue;
            }
            self.entered[stage] += 1;
            let this = &self.stages[stage];
            if this.is_closed {
                continue;
            }
            let went_further = self.visits[at + 1..].iter().any(|&later| {
                let later = &self.stages[later];
                later.position > this.position && (later.is_won || !later.is_closed)
            });
            if went_further {
                self.advanced[stage] += 1;
            }
            if let Some(spent) = self.spent[stage] {
                self.days[stage].push(spent);
            }
        }
    }

    /// Whether the deal last passed to [`Funnel::add`] first entered stage `index`
    /// (position in the pipeline) within `from..=to`: the deals behind a funnel row.
    pub fn entered_last(&self, index: usize, from: i32, to: i32) -> bool {
        self.first.get(index).copied().flatten().is_some_and(|(_, day)| day >= from && day <= to)
    }

    pub fn finish(self) -> Vec<FunnelStage> {
        let Funnel { stages, entered, advanced, mut days, .. } = self;
        stages
            .iter()
            .enumerate()
            .map(|(i, stage)| FunnelStage {
                stage: stage.name.clone(),
                entered_count: entered[i],
                advanced_count: advanced[i],
                conversion_rate: (!stage.is_closed && entered[i] > 0).then(|| {
                    div_round_half_even(i128::from(advanced[i]) * 10_000, i128::from(entered[i])) as u32
                }),
                median_days_in_stage: if stage.is_closed { None } else { median(&mut days[i]) },
            })
            .collect()
    }
}
