//! `keel import` and `keel export`.

use super::changes::answer;
use super::{output, require_init, Ctx};
use crate::changes::{Change, ImportFile, ImportForm, Outcome};
use crate::domain::{ImportBatchId, ImportKind};
use crate::services::export::{self, ExportFormat, ExportKind};
use crate::services::import::{self, ImportReport, RowAction};
use crate::{KeelError, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import deals (Keel, Salesforce, HubSpot or Pipedrive export; CSV or XLSX).
    Deals(ImportArgs),
    /// Import accounts.
    Accounts(ImportArgs),
    /// Import contacts.
    Contacts(ImportArgs),
    /// Import a Salesforce Data Export (its folder or .zip): accounts, contacts, owners as
    /// team members, opportunities with their stage history, joined by Salesforce's ids.
    Salesforce(SalesforceArgs),
    /// List imports, newest first.
    List {
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Undo an import: remove what it created, restore what it updated.
    Revert { batch: i64 },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// Report what would be created, updated and rejected, row by row; keep nothing.
    #[arg(long)]
    dry_run: bool,
    /// Refuse the whole file if any row is bad.
    #[arg(long)]
    strict: bool,
    /// Write the rejected rows, with a reason column, to this CSV file.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// 'Column=field' (or 'Column=' to ignore it), or 'stage:Label=Stage'; repeatable.
    #[arg(long = "map", value_name = "MAPPING")]
    maps: Vec<String>,
    /// How to read dates like 03/04/2026: auto (default: from the file's values), mdy or dmy.
    #[arg(long, default_value = "auto")]
    date_order: String,
    /// Currency of amounts the file gives without one (default USD).
    #[arg(long)]
    currency: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Deals,
    Accounts,
    Contacts,
    Activities,
}

#[derive(Debug, Args)]
pub struct SalesforceArgs {
    /// The export's folder, or the .zip it downloads as.
    path: PathBuf,
    /// Report what would happen; keep nothing.
    #[arg(long)]
    dry_run: bool,
    /// How to read dates like 03/04/2026: auto (default), mdy or dmy.
    #[arg(long, default_value = "auto")]
    date_order: String,
}

fn import_salesforce(ctx: &mut Ctx, args: SalesforceArgs) -> Result<()> {
    if ctx.ws.is_replica() && args.path.is_dir() {
        return Err(KeelError::invalid(
            "file",
            "a team server imports the export as Salesforce downloads it: give its .zip, not the unpacked folder",
        ));
    }
    let file_name =
        args.path.file_name().map_or_else(|| args.path.display().to_string(), |n| n.to_string_lossy().into());
    let form = ImportForm {
        kind: crate::changes::SALESFORCE_EXPORT.to_string(),
        file_name,
        dry_run: args.dry_run,
        date_order: args.date_order,
        ..ImportForm::default()
    };
    let change = Change::Import { file: ImportFile::Path(args.path.to_string_lossy().into_owned()), form };
    let who = ctx.principal()?;
    // A dry run writes nothing: it reads this workspace (a team copy holds what the server does).
    let applied = if args.dry_run {
        crate::changes::apply(&mut ctx.ws, who, change)?
    } else {
        crate::changes::submit(&mut ctx.ws, who, change)?.applied
    };
    let Outcome::SalesforceImported(report) = applied.outcome else {
        return Err(super::changes::unexpected(&applied.outcome));
    };
    if ctx.json {
        return output::json(&report);
    }
    for part in
        [report.accounts.as_ref(), report.contacts.as_ref(), Some(&report.deals)].into_iter().flatten()
    {
        print_report(part, None);
    }
    println!("Stage history: {} changes from OpportunityHistory.csv.", report.history_entries);
    let a = &report.activities;
    println!(
        "Activities (Task.csv, Event.csv): {} created, {} updated, {} unchanged, {} linked to nothing Keel holds.",
        a.created, a.updated, a.unchanged, a.not_linked
    );
    if a.team_members_created > 0 {
        println!("  {} owner(s) added to the team as account executives.", a.team_members_created);
    }
    for why in &a.rejected {
        println!("  not imported: {why}");
    }
    if !report.not_imported.is_empty() {
        println!("Not imported (Keel has no use for them yet): {}", report.not_imported.join(", "));
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    what: ExportWhat,
    /// csv or json.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn import(ctx: &mut Ctx, cmd: ImportCommand) -> Result<()> {
    require_init(ctx)?;
    let (kind, args) = match cmd {
        ImportCommand::Deals(args) => (ImportKind::Deals, args),
        ImportCommand::Accounts(args) => (ImportKind::Accounts, args),
        ImportCommand::Contacts(args) => (ImportKind::Contacts, args),
        ImportCommand::Salesforce(args) => return import_salesforce(ctx, args),
        ImportCommand::List { limit } => return list(ctx, limit),
        ImportCommand::Revert { batch } => {
            let change = Change::ImportRevert { batch: ImportBatchId(batch) };
            let report = answer!(ctx, change, Outcome::Reverted);
            if ctx.json {
                return output::json(&report);
            }
            println!(
                "Reverted import {}: removed {} records, restored {}.",
                report.batch, report.removed, report.restored
            );
            return Ok(());
        }
    };
    if args.rejects.is_some() && ctx.ws.is_replica() && !args.dry_run {
        return Err(KeelError::NotAllowed(
            "in a team workspace an import cannot write a rejects file yet: its report lists each rejected row".into(),
        ));
    }
    let file_name =
        args.file.file_name().map_or_else(|| args.file.display().to_string(), |n| n.to_string_lossy().into());
    let form = ImportForm {
        kind: kind.as_str().to_string(),
        file_name,
        dry_run: args.dry_run,
        strict: args.strict,
        maps: args.maps,
        date_order: args.date_order,
        currency: args.currency,
    };
    let change = Change::Import { file: ImportFile::Path(args.file.to_string_lossy().into_owned()), form };
    let show_bar = std::io::stderr().is_terminal() && !ctx.json;
    let mut bar = |done: u64, total: u64| {
        if show_bar && total > 0 {
            let width = 30;
            let filled = (done * width / total) as usize;
            eprint!("\r[{}{}] {done}/{total} rows", "#".repeat(filled), " ".repeat(width as usize - filled));
            if done == total {
                eprintln!();
            }
        }
    };
    let who = ctx.principal()?;
    // A dry run writes nothing: it reads this workspace (a team copy holds what the server does).
    let applied = if args.dry_run {
        crate::changes::apply_with_progress(&mut ctx.ws, who, change, &mut bar)?
    } else {
        crate::changes::submit_with_progress(&mut ctx.ws, who, change, &mut bar)?.applied
    };
    let Outcome::Imported(report) = applied.outcome else {
        return Err(super::changes::unexpected(&applied.outcome));
    };
    if let Some(path) = &args.rejects {
        write_rejects(path, &report)?;
    }
    if ctx.json {
        return output::json(&report);
    }
    print_report(&report, args.rejects.as_deref());
    Ok(())
}

fn write_rejects(path: &Path, report: &ImportReport) -> Result<()> {
    std::fs::write(path, report.rejects_csv())
        .map_err(|e| KeelError::Io { context: format!("writing {}", path.display()), source: e })
}

fn print_report(report: &ImportReport, rejects: Option<&Path>) {
    let title = match report.batch {
        Some(batch) => format!("Import {batch}"),
        None => "Dry run (nothing was kept)".to_string(),
    };
    println!(
        "{title}: {} {} from {}, a {} export, {}",
        report.counts.rows_total, report.kind, report.file_name, report.source_system, report.file
    );
    let ignored: Vec<&str> = report
        .columns
        .iter()
        .filter(|c| c.field.is_none() && !c.column.is_empty())
        .map(|c| c.column.as_str())
        .collect();
    let used: Vec<String> = report
        .columns
        .iter()
        .filter_map(|c| c.field.as_ref().map(|f| format!("{} → {f}", c.column)))
        .collect();
    println!("  columns: {}", used.join(", "));
    if !ignored.is_empty() {
        println!("  ignored: {}", ignored.join(", "));
    }
    for note in &report.notes {
        println!("  note: {note}");
    }
    for label in &report.stage_labels {
        println!(
            "  stage '{}' ({} rows) → {} ({})",
            label.label,
            label.rows,
            label.stage.as_deref().unwrap_or("not mapped"),
            label.by
        );
    }
    if report.dry_run {
        for row in &report.rows {
            let action = match row.action {
                RowAction::Create => "create",
                RowAction::Update => "update",
                RowAction::Unchanged => "unchanged",
                RowAction::Reject => "reject",
            };
            println!("  line {}: {action} {}", row.line, row.detail);
        }
    } else {
        for row in report.rows.iter().filter(|r| r.action == RowAction::Reject) {
            println!("  line {}: rejected: {}", row.line, super::in_cli_terms(row.detail.clone()));
        }
    }
    let c = &report.counts;
    println!(
        "{} created, {} updated, {} unchanged, {} rejected; {} new accounts, {} new team members",
        c.created,
        c.updated,
        c.unchanged,
        c.rejected,
        report.related.accounts_created,
        report.related.team_members_created
    );
    if let Some(path) = rejects {
        println!("Rejected rows written to {}", path.display());
    }
    if let Some(batch) = report.batch {
        println!("Undo with: keel import revert {batch}");
    }
}

fn list(ctx: &Ctx, limit: Option<u32>) -> Result<()> {
    let batches = import::list(&ctx.ws, ctx.principal()?, limit)?;
    if ctx.json {
        return output::json(&batches);
    }
    let rows: Vec<Vec<String>> = batches
        .iter()
        .map(|b| {
            vec![
                b.id.to_string(),
                b.imported_at.format("%Y-%m-%d %H:%M").to_string(),
                b.kind.to_string(),
                b.file_name.clone(),
                b.source_system.to_string(),
                b.created_count.to_string(),
                b.updated_count.to_string(),
                b.rejected_count.to_string(),
                b.reverted_at.map_or_else(String::new, |at| format!("reverted {}", at.date_naive())),
            ]
        })
        .collect();
    output::table(&["ID", "AT", "KIND", "FILE", "FROM", "CREATED", "UPDATED", "REJECTED", ""], &rows);
    Ok(())
}

pub fn export(ctx: &mut Ctx, args: ExportArgs) -> Result<()> {
    require_init(ctx)?;
    let kind = match args.what {
        ExportWhat::Deals => ExportKind::Deals,
        ExportWhat::Accounts => ExportKind::Accounts,
        ExportWhat::Contacts => ExportKind::Contacts,
        ExportWhat::Activities => ExportKind::Activities,
    };
    let format = ExportFormat::parse("format", &args.format)?;
    match &args.output {
        Some(path) => {
            // Written beside the target and renamed, so a failed export never leaves half a file.
            let partial = path.with_extension("partial");
            let io = |e: std::io::Error| KeelError::Io {
                context: format!("writing {}", path.display()),
                source: e,
            };
            let file = std::fs::File::create(&partial).map_err(io)?;
            let mut out = std::io::BufWriter::new(file);
            let count = export::write(&ctx.ws, ctx.principal()?, kind, format, &mut out)?;
            out.flush().map_err(io)?;
            drop(out);
            std::fs::rename(&partial, path).map_err(io)?;
            eprintln!("Exported {count} records to {}", path.display());
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            export::write(&ctx.ws, ctx.principal()?, kind, format, &mut out)?;
        }
    }
    Ok(())
}
