//! `keel import salesforce`: a Salesforce weekly Data Export as a whole. Its files name
//! accounts and owners only by 18-character ids, so they are joined here: accounts
//! first (`Account.csv`), then contacts on their accounts, then opportunities with their
//! account's name, their owner's name (`User.csv`) and their `OpportunityHistory.csv`
//! as stage history. Each part goes through the ordinary import of its kind, as one
//! batch, all in one transaction; tasks and events follow as activities (`activities`).

mod activities;

use super::{execute, plan, ImportKind, ImportOptions, ImportProgress, ImportReport};
use crate::domain::SourceSystem;
use crate::files::{self, Row, Table};
use crate::money::{Currency, DecimalMark, Money};
use crate::services::export::HistoryRecord;
use crate::services::policy::Principal;
use crate::services::Workspace;
use crate::{KeelError, Result};
use serde::Serialize;
use std::collections::HashMap;

/// The export's files by name, as a folder or a zip archive holds them.
pub type ExportFiles = HashMap<String, Vec<u8>>;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SalesforceReport {
    pub accounts: Option<ImportReport>,
    pub contacts: Option<ImportReport>,
    pub deals: ImportReport,
    /// Stage changes brought back from `OpportunityHistory.csv`.
    pub history_entries: usize,
    /// Tasks and events (`Task.csv`, `Event.csv`) as activities.
    pub activities: activities::ActivityCounts,
    /// Files of the export Keel has no use for yet (campaigns, cases, leads...).
    pub not_imported: Vec<String>,
}

/// The files of a Data Export, from its folder or its zip archive.
pub fn export_files(path: &std::path::Path) -> Result<ExportFiles> {
    let io = |e| KeelError::Io { context: format!("reading {}", path.display()), source: e };
    if path.is_dir() {
        let mut files = ExportFiles::new();
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.to_lowercase().ends_with(".csv") && entry.path().is_file() {
                files.insert(name, std::fs::read(entry.path()).map_err(io)?);
            }
        }
        Ok(files)
    } else {
        unzip(&std::fs::read(path).map_err(io)?)
    }
}

/// The files of a zip archive (a Data Export downloads as one).
pub fn unzip(bytes: &[u8]) -> Result<ExportFiles> {
    let bad =
        |e: zip::result::ZipError| KeelError::invalid("file", format!("is not a readable zip archive: {e}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let mut out = ExportFiles::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(bad)?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.name().map_err(bad)?.rsplit('/').next().unwrap_or_default().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data)
            .map_err(|e| KeelError::invalid("file", format!("{name} in the archive cannot be read: {e}")))?;
        out.insert(name, data);
    }
    Ok(out)
}

/// A file of the export as rows keyed by column name.
struct Records {
    rows: Vec<(u64, HashMap<String, String>)>,
    notes: Vec<String>,
    format: files::FileFormat,
}

fn records(files: &ExportFiles, name: &str) -> Result<Option<Records>> {
    let Some((_, bytes)) = files.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else { return Ok(None) };
    let table = files::read_table(bytes).map_err(|e| match e {
        KeelError::Invalid { problem, .. } => KeelError::invalid(name, problem),
        other => other,
    })?;
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let cells = table.headers.iter().cloned().zip(row.cells.iter().cloned()).collect();
            (row.line, cells)
        })
        .collect();
    Ok(Some(Records { rows, notes: table.notes, format: table.format }))
}

/// A table for the ordinary import, made of `records` under the column names that
/// import recognizes; `cell` gives each row's value for each of them.
fn table_of(
    records: &Records,
    headers: &[&str],
    cell: impl Fn(&HashMap<String, String>, &str) -> String,
) -> Table {
    Table {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: records
            .rows
            .iter()
            .filter(|(_, r)| r.get("IsDeleted").is_none_or(|d| !matches!(d.as_str(), "1" | "true")))
            .map(|(line, r)| Row { line: *line, cells: headers.iter().map(|h| cell(r, h)).collect() })
            .collect(),
        format: records.format.clone(),
        notes: records.notes.clone(),
    }
}

fn field(r: &HashMap<String, String>, name: &str) -> String {
    r.get(name).cloned().unwrap_or_default()
}

/// Imports a whole Data Export. Needs `Opportunity.csv`; uses `Account.csv`,
/// `User.csv`, `Contact.csv` and `OpportunityHistory.csv` when they are there.
pub fn run(
    ws: &mut Workspace,
    who: Principal,
    export: &ExportFiles,
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<SalesforceReport> {
    // A dry run reads; the import itself checks its member inside its transaction.
    crate::services::policy::reading(ws.conn(), who)?;
    let opportunities = records(export, "Opportunity.csv")?
        .ok_or_else(|| KeelError::invalid("file", "the export has no Opportunity.csv"))?;
    let accounts = records(export, "Account.csv")?;
    let users = records(export, "User.csv")?;
    let contacts = records(export, "Contact.csv")?;
    let history = records(export, "OpportunityHistory.csv")?;
    let tasks = records(export, "Task.csv")?;
    let events = records(export, "Event.csv")?;
    let used = [
        "opportunity.csv",
        "account.csv",
        "user.csv",
        "contact.csv",
        "opportunityhistory.csv",
        "task.csv",
        "event.csv",
    ];
    let mut not_imported: Vec<String> =
        export.keys().filter(|n| !used.contains(&n.to_lowercase().as_str())).cloned().collect();
    not_imported.sort();

    let account_name: HashMap<String, String> =
        accounts.iter().flat_map(|a| &a.rows).map(|(_, r)| (field(r, "Id"), field(r, "Name"))).collect();
    let user_name: HashMap<String, String> = users
        .iter()
        .flat_map(|u| &u.rows)
        .map(|(_, r)| {
            let name = format!("{} {}", field(r, "FirstName"), field(r, "LastName")).trim().to_string();
            (field(r, "Id"), if name.is_empty() { field(r, "Username") } else { name })
        })
        .collect();
    let name_of = |map: &HashMap<String, String>, id: &str| map.get(id).cloned().unwrap_or_default();

    let account_table = accounts.as_ref().map(|a| {
        table_of(
            a,
            &["Account ID", "Account Name", "Website", "Industry", "Billing Country", "Created Date"],
            |r, h| match h {
                "Account ID" => field(r, "Id"),
                "Account Name" => field(r, "Name"),
                "Billing Country" => field(r, "BillingCountry"),
                "Created Date" => field(r, "CreatedDate"),
                other => field(r, other),
            },
        )
    });
    let contact_table = contacts.as_ref().map(|c| {
        table_of(
            c,
            &["Contact ID", "First Name", "Last Name", "Email", "Title", "Account Name", "Created Date"],
            |r, h| match h {
                "Contact ID" => field(r, "Id"),
                "First Name" => field(r, "FirstName"),
                "Last Name" => field(r, "LastName"),
                "Account Name" => name_of(&account_name, &field(r, "AccountId")),
                "Created Date" => field(r, "CreatedDate"),
                other => field(r, other),
            },
        )
    });
    const DEAL_COLUMNS: [&str; 15] = [
        "Opportunity ID",
        "Opportunity Name",
        "Account Name",
        "Opportunity Owner",
        "Stage",
        "Amount",
        "Currency",
        "Probability (%)",
        "Close Date",
        "Created Date",
        "Lead Source",
        "Type",
        "IsClosed",
        "IsWon",
        "stage_history",
    ];
    let deal_table = table_of(&opportunities, &DEAL_COLUMNS, |r, h| match h {
        "Opportunity ID" => field(r, "Id"),
        "Opportunity Name" => field(r, "Name"),
        "Account Name" => name_of(&account_name, &field(r, "AccountId")),
        "Opportunity Owner" => name_of(&user_name, &field(r, "OwnerId")),
        "Stage" => field(r, "StageName"),
        "Currency" => field(r, "CurrencyIsoCode"),
        "Probability (%)" => field(r, "Probability"),
        "Close Date" => field(r, "CloseDate"),
        "Created Date" => field(r, "CreatedDate"),
        "Lead Source" => field(r, "LeadSource"),
        "stage_history" => String::new(), // filled below, once stage labels are placed
        other => field(r, other),
    });

    // OpportunityHistory: one row per change of stage, amount or date. Its stage labels
    // place alongside the opportunities' own, so a label means one stage everywhere.
    let mut changes: HashMap<String, Vec<HashMap<String, String>>> = HashMap::new();
    for (_, r) in history.iter().flat_map(|h| &h.rows) {
        changes.entry(field(r, "OpportunityId")).or_default().push(r.clone());
    }
    for list in changes.values_mut() {
        list.sort_by_key(|r| field(r, "CreatedDate"));
    }
    let extra_labels: Vec<(String, Vec<u32>)> = changes
        .values()
        .flatten()
        .map(|r| {
            let probability = super::values::parse_probability("probability", &field(r, "Probability")).ok();
            (field(r, "StageName"), vec![probability.map_or(u32::MAX, |p| p.0)])
        })
        .collect();

    let account_plan = account_table
        .map(|t| plan(ws, ImportKind::Accounts, "Account.csv", t, Some(SourceSystem::Salesforce), options))
        .transpose()?;
    let contact_plan = contact_table
        .map(|t| plan(ws, ImportKind::Contacts, "Contact.csv", t, Some(SourceSystem::Salesforce), options))
        .transpose()?;
    // The history's labels are placed with the opportunities' own, so that a label means
    // one stage everywhere; then each opportunity gets its history in Keel's form.
    let mut deal_plan = super::plan_with_labels(
        ws,
        ImportKind::Deals,
        "Opportunity.csv",
        deal_table,
        Some(SourceSystem::Salesforce),
        options,
        &extra_labels,
    )?;
    let mut filled = Vec::new();
    for (i, row) in deal_plan.rows().iter().enumerate() {
        let Some(list) = changes.get(&row.cells[0]) else { continue };
        let entries = history_of(list, &user_name, |label| deal_plan.stage_name_for(label));
        if !entries.is_empty() {
            let json = serde_json::to_string(&entries)
                .map_err(|e| KeelError::NotAllowed(format!("cannot write a stage history: {e}")))?;
            filled.push((i, json, entries.len()));
        }
    }
    let history_entries = filled.iter().map(|f| f.2).sum();
    for (i, json, _) in filled {
        deal_plan.set_cell(i, DEAL_COLUMNS.len() - 1, json);
    }

    let body = |tx: &rusqlite::Connection, now: chrono::DateTime<chrono::Utc>| -> Result<SalesforceReport> {
        crate::store::facts::pause_tracking(tx)?;
        let imported = (|| {
            let mut quiet = |_: ImportProgress| {};
            let accounts = match &account_plan {
                Some(plan) => Some(execute(plan, tx, now, who.member(), options, &mut quiet)?.1),
                None => None,
            };
            let contacts = match &contact_plan {
                Some(plan) => Some(execute(plan, tx, now, who.member(), options, &mut quiet)?.1),
                None => None,
            };
            let (batch, deals) = execute(&deal_plan, tx, now, who.member(), options, progress)?;
            let activities =
                activities::ActivityImport { tx, now, actor: who.member(), batch, users: &user_name }
                    .run(tasks.as_ref(), events.as_ref())?;
            // No derived fact depends on activities: the stall clock they feed is the
            // deal's own column, so the batch's marking above stands.
            Ok(SalesforceReport {
                accounts,
                contacts,
                deals,
                history_entries,
                activities,
                not_imported: not_imported.clone(),
            })
        })();
        crate::store::facts::track_changes(tx)?;
        imported
    };
    if options.dry_run {
        ws.rehearse(body)
    } else {
        ws.write_as(who, body)
    }
}

/// An opportunity's stage changes in Keel's stage-history form: one entry each time its
/// stage (placed by `stage_of`) changes; the export's rows for amount or date changes
/// alone add nothing. Rows whose label has no place, or whose date cannot be read, are
/// passed over.
fn history_of(
    changes: &[HashMap<String, String>],
    users: &HashMap<String, String>,
    stage_of: impl Fn(&str) -> Option<String>,
) -> Vec<HistoryRecord> {
    let mut entries: Vec<HistoryRecord> = Vec::new();
    for r in changes {
        let Some(stage) = stage_of(&field(r, "StageName")) else { continue };
        let previous = entries.last().map(|e| e.to.clone());
        if previous.as_deref() == Some(stage.as_str()) {
            continue;
        }
        let Ok(at) =
            super::values::parse_when("created_date", &field(r, "CreatedDate"), super::DateOrder::MonthFirst)
        else {
            continue;
        };
        let currency = Currency::parse("currency", &field(r, "CurrencyIsoCode")).ok();
        let amount_minor = currency.and_then(|c| {
            Money::parse_rounding("amount", &field(r, "Amount"), c, DecimalMark::Point)
                .ok()
                .map(|(m, _)| m.amount_minor)
        });
        entries.push(HistoryRecord {
            at,
            from: previous,
            to: stage,
            by: users.get(&field(r, "CreatedById")).cloned(),
            amount_minor,
            currency: currency.map_or_else(|| "USD".to_string(), |c| c.code().to_string()),
            probability_bp: super::values::parse_probability("probability", &field(r, "Probability"))
                .map_or(0, |p| p.0),
            reason: None,
        });
    }
    entries
}
