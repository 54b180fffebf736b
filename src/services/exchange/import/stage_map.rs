//! Stage labels from other systems onto Keel's stages: won and lost labels to the
//! closed stages; other labels by name, by the probability the file gives them, or
//! by their position in the source system's default pipeline. `--map` overrides all.

use super::columns::{Columns, Field};
use super::values::words;
use crate::domain::SourceSystem;
use crate::store::stages::Stage;
use crate::{KeelError, Result};
use serde::Serialize;
use std::collections::HashMap;

/// Default open stages of each system, in pipeline order.
const SALESFORCE: &[&str] = &[
    "prospecting",
    "qualification",
    "needs analysis",
    "value proposition",
    "id decision makers",
    "perception analysis",
    "proposal price quote",
    "negotiation review",
];
const HUBSPOT: &[&str] = &[
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
];
const HUBSPOT_LABELS: &[&str] = &[
    "appointment scheduled",
    "qualified to buy",
    "presentation scheduled",
    "decision maker bought in",
    "contract sent",
];
const PIPEDRIVE: &[&str] =
    &["lead in", "qualified", "contact made", "demo scheduled", "proposal made", "negotiations started"];

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StageLabelUse {
    pub label: String,
    pub stage: Option<String>,
    /// How the label was placed: "map", "won label", "lost label", "name",
    /// "probability 20%", "salesforce position 3 of 8"; or why it was not.
    pub by: String,
    pub rows: usize,
}

pub struct StageMap {
    resolved: HashMap<String, std::result::Result<Stage, String>>,
    pub report: Vec<StageLabelUse>,
}

/// Won and lost stage labels as CRMs write them, in English and the languages their
/// users export in: "Closed Won", "closedwon", "Closed: won", "Won", "Cerrada ganada",
/// "Fechado ganho", "Gewonnen"; "Closed Lost", "Closed: abandoned", "Perdido", "Verloren".
const WON_WORDS: &[&str] =
    &["won", "win", "ganado", "ganada", "ganho", "gagne", "gagné", "gewonnen", "vinto", "vinta"];
const LOST_WORDS: &[&str] = &[
    "lost",
    "abandoned",
    "disqualified",
    "cancelled",
    "canceled",
    "perdido",
    "perdida",
    "perdu",
    "perdue",
    "verloren",
    "perso",
    "persa",
    "rejected",
];
const CLOSED_WORDS: &[&str] = &[
    "closed",
    "closedwon",
    "closedlost",
    "cerrado",
    "cerrada",
    "fechado",
    "fermé",
    "ferme",
    "chiuso",
    "geschlossen",
];

pub fn is_won_label(label: &str) -> bool {
    let w = words(label);
    let parts: Vec<&str> = w.split(' ').collect();
    w == "closedwon"
        || w == "deal won"
        || (parts.len() <= 3
            && parts.iter().any(|p| WON_WORDS.contains(p))
            && parts.iter().all(|p| WON_WORDS.contains(p) || CLOSED_WORDS.contains(p)))
}

pub fn is_lost_label(label: &str) -> bool {
    let w = words(label);
    let parts: Vec<&str> = w.split(' ').collect();
    w == "closedlost"
        || w == "deal lost"
        || (parts.len() <= 3
            && parts.iter().any(|p| LOST_WORDS.contains(p))
            && parts.iter().all(|p| LOST_WORDS.contains(p) || CLOSED_WORDS.contains(p)))
}

impl StageMap {
    /// `labels` are every stage label in the file with the probabilities its rows give.
    pub fn build(
        system: SourceSystem,
        columns: &Columns,
        stages: &[Stage],
        labels: &[(String, Vec<u32>)],
    ) -> Result<StageMap> {
        let open: Vec<&Stage> = stages.iter().filter(|s| !s.is_closed).collect();
        let won = stages.iter().find(|s| s.is_won);
        let lost = stages.iter().find(|s| s.is_closed && !s.is_won);
        let mut resolved = HashMap::new();
        let mut report = Vec::new();
        for (label, probabilities) in labels {
            let key = words(label);
            let outcome: std::result::Result<(Stage, String), String> = if let Some(target) =
                columns.mapped_value(Field::Stage, label)
            {
                let stage = stages.iter().find(|s| words(&s.name) == words(target)).ok_or_else(|| {
                    KeelError::invalid(
                        "map",
                        format!("stage:{label}={target}: '{target}' is not a stage of the pipeline"),
                    )
                })?;
                Ok((stage.clone(), "map".into()))
            } else if let Some(stage) = stages.iter().find(|s| words(&s.name) == key) {
                Ok((stage.clone(), "name".into()))
            } else if is_won_label(label) {
                won.map(|s| (s.clone(), "won label".into()))
                    .ok_or_else(|| "the pipeline has no won stage".into())
            } else if is_lost_label(label) {
                lost.map(|s| (s.clone(), "lost label".into()))
                    .ok_or_else(|| "the pipeline has no lost stage".into())
            } else if let Some(bp) = median(probabilities) {
                nearest_by_probability(&open, bp)
                    .map(|s| (s.clone(), format!("probability {}", crate::money::BasisPoints(bp))))
                    .ok_or_else(|| "the pipeline has no open stages".into())
            } else if let Some((system_name, position, of)) = known_position(system, &key) {
                let index = proportional(position, of, open.len());
                open.get(index)
                    .map(|s| ((*s).clone(), format!("{system_name} position {} of {of}", position + 1)))
                    .ok_or_else(|| "the pipeline has no open stages".into())
            } else {
                // A record is never dropped for an unfamiliar stage: it starts at the
                // top of the funnel, and the report says how to place it elsewhere.
                open.first()
                        .map(|s| {
                            (
                                (*s).clone(),
                                format!(
                                    "placed first: not a Keel stage, no probability in the file, not a default \
                                     stage of Salesforce, HubSpot or Pipedrive; --map 'stage:{label}=STAGE' places it"
                                ),
                            )
                        })
                        .ok_or_else(|| "the pipeline has no open stages".into())
            };
            let rows = probabilities.len();
            match outcome {
                Ok((stage, by)) => {
                    report.push(StageLabelUse {
                        label: label.clone(),
                        stage: Some(stage.name.clone()),
                        by,
                        rows,
                    });
                    resolved.insert(key, Ok(stage));
                }
                Err(why) => {
                    report.push(StageLabelUse { label: label.clone(), stage: None, by: why.clone(), rows });
                    resolved.insert(key, Err(why));
                }
            }
        }
        Ok(StageMap { resolved, report })
    }

    pub fn stage(&self, label: &str) -> Result<Stage> {
        match self.resolved.get(&words(label)) {
            Some(Ok(stage)) => Ok(stage.clone()),
            Some(Err(why)) => Err(KeelError::invalid("stage", why.clone())),
            None => {
                Err(KeelError::invalid("stage", format!("'{label}' was not seen when the file was read")))
            }
        }
    }
}

fn median(values: &[u32]) -> Option<u32> {
    let mut sorted: Vec<u32> = values.iter().copied().filter(|v| *v != u32::MAX).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable();
    Some(sorted[sorted.len() / 2])
}

/// The open stage whose default probability is nearest; the earlier one on a tie.
fn nearest_by_probability<'a>(open: &[&'a Stage], bp: u32) -> Option<&'a Stage> {
    open.iter().min_by_key(|s| (s.default_probability.0.abs_diff(bp), s.position)).copied()
}

fn known_position(system: SourceSystem, key: &str) -> Option<(&'static str, usize, usize)> {
    let tables: [(&str, SourceSystem, &[&str]); 4] = [
        ("salesforce", SourceSystem::Salesforce, SALESFORCE),
        ("hubspot", SourceSystem::Hubspot, HUBSPOT),
        ("hubspot", SourceSystem::Hubspot, HUBSPOT_LABELS),
        ("pipedrive", SourceSystem::Pipedrive, PIPEDRIVE),
    ];
    // The file's own system first: "qualification" means different places in different pipelines.
    let mut ordered: Vec<_> = tables.iter().filter(|t| t.1 == system).collect();
    ordered.extend(tables.iter().filter(|t| t.1 != system));
    ordered
        .into_iter()
        .find_map(|(name, _, table)| table.iter().position(|s| *s == key).map(|p| (*name, p, table.len())))
}

/// Places position `i` of `n` onto `m` stages, first to first and last to last.
fn proportional(i: usize, n: usize, m: usize) -> usize {
    if n <= 1 || m == 0 {
        return 0;
    }
    (i * (m - 1) * 2 + (n - 1)) / ((n - 1) * 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_spread_first_to_first_and_last_to_last() {
        let placed: Vec<usize> = (0..8).map(|i| proportional(i, 8, 5)).collect();
        assert_eq!(placed, vec![0, 1, 1, 2, 2, 3, 3, 4]);
        assert_eq!(proportional(0, 1, 5), 0);
        assert_eq!((0..5).map(|i| proportional(i, 5, 5)).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn won_and_lost_labels() {
        for won in
            ["Closed Won", "closedwon", "Won", "Closed - Won", "Closed: won", "Cerrada ganada", "Gewonnen"]
        {
            assert!(is_won_label(won), "{won}");
        }
        for lost in ["Closed Lost", "closedlost", "lost", "Closed: lost", "Closed: abandoned", "Perdido"] {
            assert!(is_lost_label(lost), "{lost}");
        }
        for open in ["Negotiation", "Closed", "On hold / future opportunity", "Awaiting outcome"] {
            assert!(!is_won_label(open) && !is_lost_label(open), "{open}");
        }
    }
}
