//! `keel import`: deals, accounts and contacts from Keel's own export and from
//! Salesforce, HubSpot and Pipedrive exports, as CSV or XLSX. One batch per file,
//! one transaction per batch, a savepoint per row: a bad row is reported with its
//! line and reason and the good rows go in. A dry run is the same import, rolled back.

mod account_rows;
mod columns;
mod contact_rows;
mod deal_rows;
mod lookups;
mod pipedrive_headers;
mod resolve;
mod revert;
pub mod salesforce;
mod stage_map;
pub mod values;

pub use columns::{ColumnUse, REJECT_LINE_COLUMN, REJECT_REASON_COLUMN};
pub use revert::{revert, RevertReport};
pub use stage_map::StageLabelUse;
pub use values::DateOrder;

use crate::domain::{ImportAction, ImportBatchId, ImportEntity, ImportKind, SourceSystem, TeamMemberId};
use crate::files::{self, FileFormat, Row};
use crate::money::Currency;
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::imports::{self, BatchCounts, ImportBatch, NewBatch};
use crate::store::stages::Stage;
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use columns::{Columns, Field};
use lookups::Lookups;
use rusqlite::Connection;
use serde::Serialize;
use stage_map::StageMap;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    /// Refuse the whole file if any row is bad.
    pub strict: bool,
    /// `COLUMN=field`, `COLUMN=` (ignore), or `stage:LABEL=STAGE` (also source:, type:, segment:, status:).
    pub maps: Vec<String>,
    /// How to read all-numeric dates; `None` detects it from the file.
    pub date_order: Option<DateOrder>,
    /// For amounts with no currency column or symbol; USD when not given.
    pub default_currency: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Reject,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RowOutcome {
    /// The line (CSV) or sheet row (XLSX) the record starts on; the header is line 1.
    pub line: u64,
    pub action: RowAction,
    /// The record created or updated; absent on a dry run, where nothing is kept.
    pub entity_id: Option<i64>,
    /// What the row is ("deal 'Acme renewal'") or, rejected, why.
    pub detail: String,
    /// What a kept record lacks or says oddly (no amount, no account, closed before it
    /// was created...): flagged for someone to complete, never a reason to refuse it.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct RelatedCounts {
    pub accounts_created: u64,
    pub team_members_created: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ImportReport {
    /// `None` on a dry run.
    pub batch: Option<ImportBatchId>,
    pub dry_run: bool,
    pub kind: ImportKind,
    pub file_name: String,
    pub file: FileFormat,
    pub source_system: SourceSystem,
    pub columns: Vec<ColumnUse>,
    pub stage_labels: Vec<StageLabelUse>,
    pub counts: BatchCounts,
    pub related: RelatedCounts,
    pub rows: Vec<RowOutcome>,
    /// What reading and detection found: dropped characters, a repeated column, footer
    /// lines, the date order and decimal mark read from the file.
    pub notes: Vec<String>,
    #[serde(skip)]
    headers: Vec<String>,
    #[serde(skip)]
    rejected: Vec<(Row, String)>,
}

impl ImportReport {
    /// The rejected rows as CSV, original columns plus the reason and original line:
    /// fix them and import this file again.
    pub fn rejects_csv(&self) -> String {
        let mut headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        headers.push(REJECT_REASON_COLUMN);
        headers.push(REJECT_LINE_COLUMN);
        let rows: Vec<Vec<String>> = self
            .rejected
            .iter()
            .map(|(row, reason)| {
                let mut cells = row.cells.clone();
                cells.resize(self.headers.len().max(cells.len()), String::new());
                cells.truncate(self.headers.len());
                cells.push(reason.clone());
                cells.push(row.line.to_string());
                cells
            })
            .collect();
        files::write_csv(&headers, &rows)
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

/// The columns whose values are dates, for detecting the file's date order.
const DATE_FIELDS: [Field; 6] = [
    Field::CreatedDate,
    Field::CloseDate,
    Field::ExpectedCloseDate,
    Field::ClosedOn,
    Field::WonDate,
    Field::LostDate,
];

/// Change records held back before they are written together.
const PENDING_WRITES: usize = 500;

/// Rows between progress reports.
const PROGRESS_EVERY: usize = 1_000;

/// Imports one file. `progress` hears about every thousand rows (for a terminal bar
/// or the desktop app's progress events).
pub fn run(
    ws: &mut Workspace,
    who: Principal,
    kind: ImportKind,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport> {
    // A dry run reads; the import itself checks its member inside its transaction.
    crate::services::policy::reading(ws.conn(), who)?;
    let table = files::read_table(bytes)?;
    let plan = plan(ws, kind, file_name, table, None, options)?;
    // A dry run and a strict import are all or nothing: never sliced.
    let slices = ws.import_slices().filter(|_| !options.dry_run && !options.strict);
    let body = move |tx: &Connection, now: DateTime<Utc>| -> Result<ImportReport> {
        // The import marks the deals it wrote for their facts itself (see `execute`),
        // instead of a trigger per row; tracking is back on whatever happens.
        crate::store::facts::pause_tracking(tx)?;
        let imported =
            execute_sliced(&plan, tx, now, who.member(), options, progress, slices).map(|(_, report)| report);
        crate::store::facts::track_changes(tx)?;
        imported
    };
    if options.dry_run {
        ws.rehearse(body)
    } else {
        ws.write_as(who, body)
    }
}

/// What an import decides before it writes: which column is which field, how stage
/// labels place, the file's date order and decimal mark, and what reading found.
pub(crate) struct Plan {
    kind: ImportKind,
    file_name: String,
    table: files::Table,
    columns: Columns,
    default_currency: Currency,
    stages: Vec<Stage>,
    stage_map: StageMap,
    decimal_mark: crate::money::DecimalMark,
    date_order: DateOrder,
    notes: Vec<String>,
}

/// Plans the import of `table`; `system` names the source system when the caller knows
/// it (a Salesforce Data Export's files), else it is read from the columns.
pub(crate) fn plan(
    ws: &Workspace,
    kind: ImportKind,
    file_name: &str,
    table: files::Table,
    system: Option<SourceSystem>,
    options: &ImportOptions,
) -> Result<Plan> {
    plan_with_labels(ws, kind, file_name, table, system, options, &[])
}

/// [`plan`], placing `extra_labels` (with the probabilities that go with them) beside
/// the file's own stage labels: a history file's labels mean the same stages.
pub(crate) fn plan_with_labels(
    ws: &Workspace,
    kind: ImportKind,
    file_name: &str,
    table: files::Table,
    system: Option<SourceSystem>,
    options: &ImportOptions,
    extra_labels: &[(String, Vec<u32>)],
) -> Result<Plan> {
    let mut notes = table.notes.clone();
    let mut columns = Columns::resolve(kind, &table.headers, &options.maps)?;
    if let Some(system) = system {
        columns.system = system;
    }
    let default_currency = Currency::parse("currency", options.default_currency.as_deref().unwrap_or("USD"))?;
    let stages = crate::services::pipeline::stages(ws)?;
    let stage_map = match kind {
        ImportKind::Deals => {
            let mut labels = stage_labels(&columns, &table.rows);
            for (label, probabilities) in extra_labels {
                match labels.iter_mut().find(|(l, _)| values::words(l) == values::words(label)) {
                    Some((_, known)) => known.extend(probabilities),
                    None => labels.push((label.clone(), probabilities.clone())),
                }
            }
            StageMap::build(columns.system, &columns, &stages, &labels)?
        }
        _ => StageMap::build(columns.system, &columns, &stages, &[])?,
    };
    let decimal_mark = values::detect_decimal_mark(
        table.rows.iter().filter_map(|row| columns.get(&row.cells, Field::Amount)),
    );
    if kind == ImportKind::Deals && !columns.has(Field::Name) {
        notes.push(
            "the file has no name column: each deal is named by its account and product, else its record id"
                .into(),
        );
    }
    let date_order = match options.date_order {
        Some(order) => order,
        None => {
            let dates = table
                .rows
                .iter()
                .flat_map(|row| DATE_FIELDS.iter().filter_map(|f| columns.get(&row.cells, *f)));
            let (order, shown_by) = values::detect_date_order(dates);
            if let Some(value) = shown_by {
                let how = if order == DateOrder::DayFirst { "day first" } else { "month first" };
                notes.push(format!("dates read {how}: '{value}' can only be read that way"));
            }
            order
        }
    };
    match decimal_mark {
        crate::money::DecimalMark::Comma => {
            notes.push("amounts read with a decimal comma (12.500,50), as the file writes them".into())
        }
        crate::money::DecimalMark::Point => {
            notes.push("amounts read with a decimal point (12,500.50), as the file writes them".into())
        }
        crate::money::DecimalMark::Unknown => {}
    }
    Ok(Plan {
        kind,
        file_name: file_name.to_string(),
        table,
        columns,
        default_currency,
        stages,
        stage_map,
        decimal_mark,
        date_order,
        notes,
    })
}

impl Plan {
    pub(crate) fn rows(&self) -> &[Row] {
        &self.table.rows
    }

    pub(crate) fn set_cell(&mut self, row: usize, column: usize, value: String) {
        if let Some(cell) = self.table.rows.get_mut(row).and_then(|r| r.cells.get_mut(column)) {
            *cell = value;
        }
    }

    /// The Keel stage a label of this file goes to, if it has one.
    pub(crate) fn stage_name_for(&self, label: &str) -> Option<String> {
        self.stage_map.stage(label).ok().map(|s| s.name)
    }
}

/// Writes a planned import inside the caller's transaction, one batch (its id comes
/// back even in a rehearsal, for a later part of the same import to add to it).
pub(crate) fn execute(
    plan: &Plan,
    tx: &Connection,
    now: DateTime<Utc>,
    actor: TeamMemberId,
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<(ImportBatchId, ImportReport)> {
    execute_sliced(plan, tx, now, actor, options, progress, None)
}

/// [`execute`], committing every `slices.rows` rows when given (a job on the team server):
/// each slice is a whole transaction, with its rows' change records and report facts, and
/// the pause after it lets other members' commands write. The batch is finished, and the
/// command recorded, in the last slice.
fn execute_sliced(
    plan: &Plan,
    tx: &Connection,
    now: DateTime<Utc>,
    actor: TeamMemberId,
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
    slices: Option<crate::services::ImportSlices>,
) -> Result<(ImportBatchId, ImportReport)> {
    let Plan {
        kind,
        file_name,
        table,
        columns,
        default_currency,
        stages,
        stage_map,
        decimal_mark,
        date_order,
        notes,
    } = plan;
    let (kind, default_currency, decimal_mark, date_order) =
        (*kind, *default_currency, *decimal_mark, *date_order);
    let file_name = file_name.as_str();
    {
        let cache = PageCache::enlarge(tx)?;
        let batch = imports::insert_batch(
            tx,
            &NewBatch {
                kind,
                file_name,
                source_system: columns.system,
                imported_at: now,
                imported_by: actor,
            },
        )?;
        let mut importer = Importer {
            tx,
            now,
            actor,
            batch,
            columns,
            default_currency,
            decimal_mark,
            date_order,
            rounded_amounts: Vec::new(),
            stages,
            stage_map,
            lookups: Lookups::load(tx)?,
            externals: imports::externals_of(tx, columns.system)?,
            pending_changes: Vec::new(),
            pending_keys: Vec::new(),
            seq: 0,
            related: RelatedCounts::default(),
        };
        let mut counts = BatchCounts { rows_total: table.rows.len() as i64, ..BatchCounts::default() };
        // The change number up to which a committed slice marked its deals' facts.
        let mut committed_seq = 0;
        let mut outcomes = Vec::with_capacity(table.rows.len());
        let mut rejected = Vec::new();
        for (i, row) in table.rows.iter().enumerate() {
            let outcome = importer.import_row(kind, row, table.headers.len(), &table.format)?;
            match &outcome {
                Ok(applied) => match applied.action {
                    RowAction::Create => counts.created += 1,
                    RowAction::Update => counts.updated += 1,
                    _ => counts.unchanged += 1,
                },
                Err(e) => {
                    counts.rejected += 1;
                    rejected.push((row.clone(), e.to_string()));
                }
            }
            outcomes.push(match outcome {
                Ok(applied) => RowOutcome {
                    line: row.line,
                    action: applied.action,
                    entity_id: (!options.dry_run).then_some(applied.entity_id),
                    detail: applied.detail,
                    warnings: applied.warnings,
                },
                Err(e) => RowOutcome {
                    line: row.line,
                    action: RowAction::Reject,
                    entity_id: None,
                    detail: e.to_string(),
                    warnings: Vec::new(),
                },
            });
            if (i + 1).is_multiple_of(PROGRESS_EVERY) {
                progress(ImportProgress { done: i + 1, total: table.rows.len() });
            }
            if let Some(slices) =
                slices.filter(|s| (i + 1).is_multiple_of(s.rows.max(1)) && i + 1 < table.rows.len())
            {
                importer.flush()?;
                imports::mark_batch_dirty_after(tx, batch, committed_seq)?;
                committed_seq = importer.seq;
                crate::store::facts::refresh_dirty(tx)?;
                tx.execute_batch("COMMIT")?;
                std::thread::sleep(slices.pause);
                tx.execute_batch("BEGIN IMMEDIATE")?;
            }
        }
        progress(ImportProgress { done: table.rows.len(), total: table.rows.len() });
        if options.strict && !rejected.is_empty() {
            let first: Vec<String> =
                rejected.iter().take(5).map(|(row, why)| format!("line {}: {why}", row.line)).collect();
            return Err(KeelError::invalid(
                "file",
                format!(
                    "{} of {} rows are bad and a strict import refuses the whole file; nothing was imported. {}{}",
                    rejected.len(),
                    table.rows.len(),
                    first.join("; "),
                    if rejected.len() > 5 { "; …" } else { "" }
                ),
            ));
        }
        let mut notes = notes.clone();
        if let Some(first) = importer.rounded_amounts.first() {
            notes.push(format!(
                "{} amount(s) had more decimals than their currency and were rounded half-even (e.g. {first})",
                importer.rounded_amounts.len()
            ));
        }
        importer.flush()?;
        imports::finish_batch(tx, batch, &counts)?;
        imports::mark_batch_dirty_after(tx, batch, committed_seq)?;
        cache.restore(tx)?;
        crate::services::record(
            tx,
            now,
            Some(actor),
            "import.run",
            "import",
            batch.0,
            serde_json::json!({
                "kind": kind.as_str(), "file": file_name, "source_system": columns.system.as_str(),
                "counts": counts, "related": importer.related,
            }),
        )?;
        let report = ImportReport {
            batch: (!options.dry_run).then_some(batch),
            dry_run: options.dry_run,
            kind,
            file_name: file_name.to_string(),
            file: table.format.clone(),
            source_system: columns.system,
            columns: columns.uses.clone(),
            stage_labels: stage_map.report.clone(),
            counts,
            related: importer.related,
            rows: outcomes,
            notes,
            headers: table.headers.clone(),
            rejected,
        };
        Ok((batch, report))
    }
}

/// A page cache big enough that a large import never spills dirty pages mid-way
/// (the default 2 MB spills every few hundred rows); put back afterwards, since the
/// desktop app keeps its connection.
struct PageCache(i64);

impl PageCache {
    fn enlarge(tx: &Connection) -> Result<PageCache> {
        let previous: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        tx.execute_batch("PRAGMA cache_size = -131072")?;
        Ok(PageCache(previous))
    }

    fn restore(self, tx: &Connection) -> Result<()> {
        tx.execute_batch(&format!("PRAGMA cache_size = {}", self.0))?;
        Ok(())
    }
}

/// Every stage label in the file, with the probability each of its rows gives
/// (`u32::MAX` where a row gives none).
fn stage_labels(columns: &Columns, rows: &[Row]) -> Vec<(String, Vec<u32>)> {
    let mut labels: Vec<(String, Vec<u32>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for row in rows {
        let Some(label) = columns.get(&row.cells, Field::Stage) else { continue };
        let probability = columns
            .get(&row.cells, Field::Probability)
            .and_then(|p| values::parse_probability("probability", p).ok())
            .map_or(u32::MAX, |bp| bp.0);
        let slot = *index.entry(values::words(label)).or_insert_with(|| {
            labels.push((label.to_string(), Vec::new()));
            labels.len() - 1
        });
        labels[slot].1.push(probability);
    }
    labels
}

/// What one row did.
struct Applied {
    action: RowAction,
    entity_id: i64,
    detail: String,
    /// What the record lacks or says oddly; it was kept all the same.
    warnings: Vec<String>,
}

/// The state of one running import, shared by the row handlers.
struct Importer<'a> {
    tx: &'a Connection,
    now: DateTime<Utc>,
    actor: TeamMemberId,
    batch: ImportBatchId,
    columns: &'a Columns,
    default_currency: Currency,
    /// How this file writes decimals, detected from its amounts.
    decimal_mark: crate::money::DecimalMark,
    /// How this file writes all-numeric dates, given or detected.
    date_order: DateOrder,
    /// Amounts with more decimals than their currency, rounded half-even (for the report).
    rounded_amounts: Vec<String>,
    stages: &'a [Stage],
    stage_map: &'a StageMap,
    lookups: Lookups,
    /// The source system's record ids already known, loaded once (see `known_key`).
    externals: std::collections::HashMap<(ImportEntity, String), i64>,
    /// Change records and record ids not written yet: they go many rows to a statement.
    pending_changes: Vec<imports::PendingChange>,
    pending_keys: Vec<(ImportEntity, String, i64)>,
    seq: i64,
    related: RelatedCounts,
}

impl Importer<'_> {
    /// One row: `Ok(Err(..))` rejects the row, which left no trace in the database or
    /// the in-memory lookups; `Err(..)` stops the whole import.
    fn import_row(
        &mut self,
        kind: ImportKind,
        row: &Row,
        width: usize,
        format: &FileFormat,
    ) -> Result<Result<Applied>> {
        let ragged = match format {
            FileFormat::Csv { .. } => row.cells.len() != width,
            // Spreadsheets drop trailing empty cells; only extra cells are suspect.
            FileFormat::Xlsx { .. } => row.cells.len() > width,
            FileFormat::Json => false,
        };
        if ragged {
            return Ok(Err(KeelError::invalid(
                "row",
                format!(
                    "has {} cells but the header has {width}; check for a stray delimiter or quote",
                    row.cells.len()
                ),
            )));
        }
        // Handlers check everything a row says before their first write, so a bad row
        // is refused having written nothing, without a savepoint per row (which would
        // copy every touched page into a sub-journal). Should a write itself fail, the
        // row may be half done: the whole import stops and rolls back instead.
        let writes_before = self.tx.total_changes();
        let related = self.related;
        let result = match kind {
            ImportKind::Deals => deal_rows::import(self, row),
            ImportKind::Accounts => account_rows::import(self, row),
            ImportKind::Contacts => contact_rows::import(self, row),
        };
        match result {
            Ok(applied) => {
                self.lookups.commit();
                Ok(Ok(applied))
            }
            Err(e) if self.tx.total_changes() == writes_before => {
                self.lookups.roll_back();
                self.related = related;
                Ok(Err(e))
            }
            Err(e) => Err(KeelError::NotAllowed(format!(
                "line {}: the database refused the row ({e}); nothing was imported",
                row.line
            ))),
        }
    }

    fn cell<'r>(&self, row: &'r Row, field: Field) -> Option<&'r str> {
        self.columns.get(&row.cells, field)
    }

    fn record_change(
        &mut self,
        entity: ImportEntity,
        entity_id: i64,
        action: ImportAction,
        line: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        self.seq += 1;
        self.pending_changes.push(imports::PendingChange {
            seq: self.seq,
            entity,
            entity_id,
            action,
            line,
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        });
        if self.pending_changes.len() >= PENDING_WRITES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the change records and record ids held back (see `PENDING_WRITES`).
    fn flush(&mut self) -> Result<()> {
        imports::add_changes(self.tx, self.batch, &self.pending_changes)?;
        self.pending_changes.clear();
        // One statement may not upsert a key twice: the last mapping of each key wins.
        let mut seen = std::collections::HashSet::new();
        let mut keys: Vec<(ImportEntity, String, i64)> =
            self.pending_keys.drain(..).rev().filter(|(e, k, _)| seen.insert((*e, k.clone()))).collect();
        keys.reverse();
        imports::set_externals(self.tx, self.columns.system, self.batch, &keys)?;
        Ok(())
    }

    /// Runs `write` on an existing record and records the update with the record's
    /// columns before and after, which is what a revert checks and restores.
    fn update_recorded(
        &mut self,
        entity: ImportEntity,
        id: i64,
        line: u64,
        write: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<()> {
        let before = imports::snapshot(self.tx, entity, id)?;
        write(self.tx)?;
        let after = imports::snapshot(self.tx, entity, id)?;
        self.record_change(entity, id, ImportAction::Updated, line, before.as_deref(), after.as_deref())
    }

    fn remember_key(&mut self, entity: ImportEntity, key: Option<&str>, id: i64) -> Result<()> {
        match key {
            Some(key) => {
                // Written with the change records; rows look keys up in `externals`. A key
                // already known to point here needs no write (a file may repeat a record).
                if self.externals.insert((entity, key.to_string()), id) != Some(id) {
                    self.pending_keys.push((entity, key.to_string(), id));
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The record a row's record id names: one an earlier import from the same system
    /// recorded, or, in Keel's own export, the record of this workspace with that id.
    fn known_key(
        &self,
        entity: ImportEntity,
        key: Option<&str>,
        created_at: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>> {
        let Some(key) = key else { return Ok(None) };
        if let Some(id) = self.externals.get(&(entity, key.to_string())) {
            return Ok(Some(*id));
        }
        self.own_record(entity, key, created_at)
    }

    /// Keel's own export carries Keel's ids. A row whose id and creation instant are
    /// those of a record here is that record, so re-importing an export updates in
    /// place. In another workspace the same id is some other record, created at another
    /// instant, and the row is a new record there.
    fn own_record(
        &self,
        entity: ImportEntity,
        key: &str,
        created_at: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>> {
        if self.columns.system != SourceSystem::Keel {
            return Ok(None);
        }
        let (Ok(id), Some(at)) = (key.trim().parse::<i64>(), created_at) else { return Ok(None) };
        let stored = imports::created_at_of(self.tx, entity, id)?;
        Ok(stored.filter(|stored| *stored == crate::store::instant_text(at)).map(|_| id))
    }
}

/// Imports, newest first.
pub fn list(ws: &Workspace, who: Principal, limit: Option<u32>) -> Result<Vec<ImportBatch>> {
    policy::reading(ws.conn(), who)?;
    imports::list_batches(ws.conn(), crate::services::page_size(limit))
}

pub fn get(ws: &Workspace, who: Principal, id: ImportBatchId) -> Result<ImportBatch> {
    policy::reading(ws.conn(), who)?;
    imports::get_batch(ws.conn(), id)
}
