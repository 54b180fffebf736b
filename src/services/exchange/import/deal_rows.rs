//! One deal row: parse every field, find the deal it already is (by the source's
//! record id, else by account, name and created date), then create or update it
//! with history that makes win rate and cycle length right after the import.

use super::columns::Field;
use super::values::{self, parse_day, parse_when};
use super::{Applied, Importer, RowAction};
use crate::domain::{
    optional_text, required_text, DealId, DealSource, DealType, ForecastCategory, ImportAction, ImportEntity,
    TextKind,
};
use crate::files::Row;
use crate::money::{BasisPoints, Currency, Money};
use crate::services::export::HistoryRecord;
use crate::store::deals::{DealFields, NewStageChange, Placement};
use crate::store::stages::Stage;
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, Utc};

/// A deal row, parsed and checked; nothing written yet.
struct ParsedDeal {
    key: Option<String>,
    name: String,
    stage: Stage,
    /// For a closed deal: the open stage it closed from, when the file says.
    last_open_stage: Option<Stage>,
    closed_at: Option<DateTime<Utc>>,
    /// None when the file gives no amount: kept as unknown, not refused.
    amount: Option<Money>,
    currency: Currency,
    expected_close_date: Option<NaiveDate>,
    created_at: Option<DateTime<Utc>>,
    source: Option<DealSource>,
    /// The file's own lead source label, kept when it says more than the category.
    lead_source: Option<String>,
    /// What the row lacked or said oddly, for its line in the report.
    warnings: Vec<String>,
    deal_type: Option<DealType>,
    loss_reason: Option<String>,
    probability_override: Option<BasisPoints>,
    forecast_override: Option<ForecastCategory>,
    history: Option<Vec<HistoryRecord>>,
    /// The cell, when its amount had more decimals than its currency and was rounded.
    rounded_from: Option<String>,
}

enum Status {
    Open,
    Won,
    Lost,
    /// Closed, won or lost as its stage label says (lost when the label does not say).
    Closed,
}

pub(super) fn import(ctx: &mut Importer<'_>, row: &Row) -> Result<Applied> {
    let mut deal = parse(ctx, row)?;
    let rounded_from = deal.rounded_from.take();
    let columns = ctx.columns;
    let cell = |f| columns.get(&row.cells, f);
    let segment = cell(Field::Segment).map(|s| values::parse_segment("segment", s)).transpose()?.flatten();
    let existing = ctx.known_key(ImportEntity::Deal, deal.key.as_deref(), deal.created_at)?.map(DealId);
    // Everything is checked before the first write (see `Importer::import_row`).
    let owner_name = cell(Field::Owner).map(|n| required_text("owner", n, TextKind::Line)).transpose()?;
    let account = match (cell(Field::Account), cell(Field::AccountDomain)) {
        (None, None) => None,
        (name, domain) => Some(ctx.resolve_account(row.line, name, domain, segment)?),
    };
    let owner = match owner_name {
        Some(name) => Some(ctx.resolve_member(row.line, "owner", Some(&name))?),
        None => None,
    };
    // With a record-id column the id alone decides; without one, account, name and created date.
    let existing = match (existing, &account) {
        (Some(id), _) => Some(id),
        (None, _) if columns.has(Field::ExternalId) => None,
        (None, Some(account)) if !account.created => store::deals::find_by_natural_key(
            ctx.tx,
            Some(account.id),
            &deal.name,
            deal.created_at.map(|at| at.date_naive()),
        )?,
        (None, Some(_)) => None,
        (None, None) => store::deals::find_by_natural_key(
            ctx.tx,
            None,
            &deal.name,
            deal.created_at.map(|at| at.date_naive()),
        )?,
    };
    let account_id = account.as_ref().map(|a| a.id);
    let new_account = account.as_ref().is_some_and(|a| a.created);
    let applied = match existing {
        None => create(ctx, row, deal, account_id, owner.unwrap_or(ctx.actor), new_account)?,
        Some(id) => update(ctx, row, deal, id, account_id, owner)?,
    };
    if let Some(example) = rounded_from {
        ctx.rounded_amounts.push(example);
    }
    Ok(applied)
}

fn parse(ctx: &Importer<'_>, row: &Row) -> Result<ParsedDeal> {
    let cell = |f| ctx.cell(row, f);
    let order = ctx.date_order;
    let name = match cell(Field::Name) {
        Some(name) => required_text("name", name, TextKind::Line)?,
        None if !ctx.columns.has(Field::Name) => composed_name(&cell, row.line),
        None => return Err(KeelError::invalid("name", "is required")),
    };
    let mut warnings = Vec::new();
    if cell(Field::Account).is_none() && cell(Field::AccountDomain).is_none() {
        warnings.push("no account yet".to_string());
    }
    let currency = cell(Field::Currency).map(|c| Currency::parse("currency", c)).transpose()?;
    let (amount, rounded_from) = match cell(Field::Amount) {
        Some(text) => {
            let (amount, rounded) =
                values::parse_file_amount("amount", text, currency, ctx.default_currency, ctx.decimal_mark)?;
            (Some(amount), rounded.then(|| format!("{} {} → {amount}", text.trim(), amount.currency)))
        }
        None => {
            warnings.push("amount not known".to_string());
            (None, None)
        }
    };
    let currency = amount.map_or(currency.unwrap_or(ctx.default_currency), |m| m.currency);
    let status = match cell(Field::Status) {
        None => None,
        Some(text) => {
            let said = ctx.columns.mapped_value(Field::Status, text).unwrap_or(text);
            // Pipedrive writes the status in the exporting user's language too.
            Some(match values::words(said).as_str() {
                "open" | "aberto" | "offen" | "ouvert" | "ouverte" | "abierto" => Status::Open,
                "won" | "ganho" | "gewonnen" | "gagné" | "gagne" | "ganado" => Status::Won,
                "lost" | "perdido" | "verloren" | "perdu" | "perdue" => Status::Lost,
                "deleted" | "excluído" | "excluido" | "gelöscht" | "supprimé" | "eliminado" => {
                    return Err(KeelError::invalid("status", "the deal was deleted in the source system"))
                }
                _ => return Err(KeelError::invalid("status", format!("'{text}' is not open, won or lost"))),
            })
        }
    };
    // Without a status column, Salesforce's IsClosed/IsWon and HubSpot's "Is Deal
    // Closed?"/"Is Closed Won" say what the deal came to, whatever the stage is called.
    let status = match status {
        Some(status) => Some(status),
        None => {
            let closed =
                cell(Field::IsClosed).map(|t| values::parse_flag("is_closed", t)).transpose()?.flatten();
            let won = cell(Field::IsWon).map(|t| values::parse_flag("is_won", t)).transpose()?.flatten();
            match (closed, won) {
                (_, Some(true)) => Some(Status::Won),
                (Some(true), Some(false)) => Some(Status::Lost),
                // Closed, and no won flag: the stage label says which way (below).
                (Some(true), None) => Some(Status::Closed),
                (Some(false), _) => Some(Status::Open),
                (None, _) => None,
            }
        }
    };
    let labelled = cell(Field::Stage).map(|label| ctx.stage_map.stage(label)).transpose()?;
    let closed_stage = |won: bool| {
        ctx.stages
            .iter()
            .find(|s| s.is_closed && s.is_won == won)
            .cloned()
            .ok_or_else(|| KeelError::NotAllowed("the pipeline has no closed stage".into()))
    };
    let status = match (status, &labelled) {
        (Some(Status::Closed), Some(stage)) if stage.is_won => Some(Status::Won),
        (Some(Status::Closed), _) => Some(Status::Lost),
        (status, _) => status,
    };
    let first_open = || {
        ctx.stages
            .iter()
            .find(|s| !s.is_closed)
            .cloned()
            .ok_or_else(|| KeelError::NotAllowed("the pipeline has no open stage".into()))
    };
    let (stage, last_open_stage) = match (status, labelled) {
        (Some(Status::Won), label) => (closed_stage(true)?, label.filter(|s| !s.is_closed)),
        (Some(Status::Lost | Status::Closed), label) => {
            (closed_stage(false)?, label.filter(|s| !s.is_closed))
        }
        // The file's flags say open although the label reads as closed (HubSpot's
        // "Closed: abandoned" is an open stage unless the portal says otherwise): the
        // flags decide, and the deal goes to the open stage its probability is nearest.
        (Some(Status::Open), Some(stage)) if stage.is_closed => {
            let probability =
                cell(Field::Probability).and_then(|p| values::parse_probability("probability", p).ok());
            let open = ctx.stages.iter().filter(|s| !s.is_closed);
            let placed = match probability {
                Some(bp) => open.min_by_key(|s| (s.default_probability.0.abs_diff(bp.0), s.position)),
                None => ctx.stages.iter().find(|s| !s.is_closed),
            }
            .cloned()
            .ok_or_else(|| KeelError::NotAllowed("the pipeline has no open stage".into()))?;
            warnings.push(format!(
                "the file says open though its stage reads as {}: placed in {}",
                stage.name, placed.name
            ));
            (placed, None)
        }
        (_, Some(stage)) => (stage, None),
        (Some(Status::Open), None) => (first_open()?, None),
        // No stage and nothing that says how it ended: the deal starts at the top.
        (None, None) => {
            warnings.push("stage not given: placed first".to_string());
            (first_open()?, None)
        }
    };
    let created_at = cell(Field::CreatedDate).map(|t| parse_when("created_date", t, order)).transpose()?;
    let closed_at = if stage.is_closed {
        let field_text = [
            (Field::ClosedOn, "closed_on"),
            (
                if stage.is_won { Field::WonDate } else { Field::LostDate },
                if stage.is_won { "won_date" } else { "lost_date" },
            ),
            (Field::CloseDate, "close_date"),
            (Field::ExpectedCloseDate, "expected_close_date"),
        ]
        .into_iter()
        .find_map(|(f, name)| cell(f).map(|text| (name, text)));
        match (field_text, cell(Field::ModifiedDate), created_at) {
            (Some((field, text)), _, _) => Some(parse_when(field, text, order)?),
            // A closed deal must close on some day to count in its period: the last
            // change the source system saw, else its creation, and the row says so.
            (None, Some(text), _) => {
                warnings.push("close date not given: closed when last modified".to_string());
                Some(parse_when("modified_date", text, order)?)
            }
            (None, None, Some(created)) => {
                warnings.push("close date not given: closed on its created date".to_string());
                Some(created)
            }
            (None, None, None) => {
                return Err(KeelError::invalid(
                    "close_date",
                    "is required for a closed deal with no created date",
                ))
            }
        }
    } else {
        None
    };
    let expected_close_date = match cell(Field::ExpectedCloseDate).or(cell(Field::CloseDate)) {
        Some(text) => Some(parse_day("close_date", text, order)?),
        None => {
            if closed_at.is_none() {
                warnings.push("expected close date not known".to_string());
            }
            closed_at.map(|at| at.date_naive())
        }
    };
    if let Some(created) = created_at.map(|at| at.date_naive()) {
        if let Some(closed) = closed_at.filter(|at| at.date_naive() < created) {
            warnings.push(format!(
                "closed on {} before it was created ({created}), as the source had it",
                closed.date_naive()
            ));
        } else if let Some(close) = expected_close_date.filter(|close| *close < created) {
            warnings.push(format!("expected to close on {close}, before it was created ({created})"));
        }
    }
    let mapped = |field: Field, text: &str| ctx.columns.mapped_value(field, text).map(str::to_string);
    let (source, lead_source) = match cell(Field::Source) {
        Some(text) => {
            let said = mapped(Field::Source, text).unwrap_or(text.to_string());
            let source = values::parse_source("source", &said)?;
            let verbatim = source
                .filter(|s| values::words(s.as_str()) != values::words(text))
                .map(|_| text.trim().to_string());
            (source, verbatim)
        }
        None => (None, None),
    };
    let deal_type = match cell(Field::DealType) {
        Some(text) => {
            values::parse_deal_type("type", &mapped(Field::DealType, text).unwrap_or(text.to_string()))?
        }
        None => None,
    };
    let loss_reason = if stage.is_closed && !stage.is_won {
        optional_text("loss_reason", cell(Field::LossReason), TextKind::Note)?
    } else {
        None
    };
    let history =
        cell(Field::StageHistory).map(|text| parse_history(ctx, text, &stage, closed_at)).transpose()?;
    Ok(ParsedDeal {
        key: cell(Field::ExternalId).map(str::to_string),
        name,
        stage,
        last_open_stage,
        closed_at,
        amount,
        currency,
        expected_close_date,
        created_at,
        source,
        lead_source,
        warnings,
        deal_type,
        loss_reason,
        probability_override: cell(Field::ProbabilityOverride)
            .map(|p| values::parse_probability("probability_override", p))
            .transpose()?,
        forecast_override: cell(Field::ForecastOverride)
            .map(|f| ForecastCategory::parse("forecast_override", f))
            .transpose()?,
        history,
        rounded_from,
    })
}

/// A name for a deal in a file with no name column (a pipeline data set has only an
/// account and a product): the account and the product, else the record id, else the line.
fn composed_name<'r>(cell: &dyn Fn(Field) -> Option<&'r str>, line: u64) -> String {
    let parts: Vec<&str> = [cell(Field::Account).or(cell(Field::AccountDomain)), cell(Field::Product)]
        .into_iter()
        .flatten()
        .collect();
    match (parts.is_empty(), cell(Field::ExternalId)) {
        (false, _) => parts.join(" – "),
        (true, Some(id)) => format!("Deal {id}"),
        (true, None) => format!("Deal on line {line}"),
    }
}

/// Keel's own `stage_history` column: entries in order, each from the stage the last
/// one went to, ending in the deal's current stage.
fn parse_history(
    ctx: &Importer<'_>,
    text: &str,
    stage: &Stage,
    closed_at: Option<DateTime<Utc>>,
) -> Result<Vec<HistoryRecord>> {
    let entries: Vec<HistoryRecord> = serde_json::from_str(text)
        .map_err(|e| KeelError::invalid("stage_history", format!("is not Keel's stage-history JSON: {e}")))?;
    let mut previous: Option<&HistoryRecord> = None;
    for (i, entry) in entries.iter().enumerate() {
        let problem = |what: String| KeelError::invalid("stage_history", format!("entry {}: {what}", i + 1));
        for name in entry.from.iter().chain([&entry.to]) {
            if !ctx.stages.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
                return Err(problem(format!("'{name}' is not a stage of the pipeline")));
            }
        }
        if entry.from.as_deref().map(str::to_lowercase) != previous.map(|p| p.to.to_lowercase()) {
            return Err(problem("does not start where the previous entry ended".into()));
        }
        if previous.is_some_and(|p| p.at > entry.at) {
            return Err(problem("is earlier than the entry before it".into()));
        }
        Currency::parse("stage_history", &entry.currency)?;
        if let Some(by) = &entry.by {
            required_text("stage_history", by, TextKind::Line)?;
        }
        BasisPoints::checked("stage_history", i64::from(entry.probability_bp))?;
        previous = Some(entry);
    }
    match previous {
        Some(last) if last.to.eq_ignore_ascii_case(&stage.name) => Ok(entries),
        // Another system's history may stop short of where the deal stands now (its
        // flags closed it, say): one more entry takes it there, and says why.
        Some(last) if ctx.columns.system != crate::domain::SourceSystem::Keel => {
            let mut closing = last.clone();
            closing.at = closed_at.map_or(last.at, |at| at.max(last.at));
            closing.from = Some(last.to.clone());
            closing.to = stage.name.clone();
            closing.by = None;
            closing.probability_bp = stage.default_probability.0;
            closing.reason = Some(format!("where {} has the deal now", ctx.columns.system));
            let mut entries = entries;
            entries.push(closing);
            Ok(entries)
        }
        Some(last) => Err(KeelError::invalid(
            "stage_history",
            format!("ends in '{}' but the deal's stage is '{}'", last.to, stage.name),
        )),
        None => Err(KeelError::invalid("stage_history", "is empty")),
    }
}

fn stage_named<'a>(ctx: &'a Importer<'_>, name: &str) -> Result<&'a Stage> {
    ctx.stages
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| KeelError::invalid("stage_history", format!("'{name}' is not a stage")))
}

fn create(
    ctx: &mut Importer<'_>,
    row: &Row,
    deal: ParsedDeal,
    account: Option<crate::domain::AccountId>,
    owner: crate::domain::TeamMemberId,
    new_account: bool,
) -> Result<Applied> {
    let created_at = deal.created_at.unwrap_or(ctx.now);
    let reason = format!("imported from {} (import {})", ctx.columns.system, ctx.batch);
    let probability = |stage: &Stage| deal.probability_override.unwrap_or(stage.default_probability);
    let entry = |from: Option<&Stage>, to: &Stage, at: DateTime<Utc>| NewStageChange {
        deal_id: DealId(0),
        from_stage: from.map(|s| s.id),
        to_stage: to.id,
        changed_at: at,
        changed_by: Some(ctx.actor),
        amount: deal.amount,
        currency: deal.currency,
        probability: probability(to),
        override_reason: Some(reason.as_str()),
    };
    let mut history: Vec<NewStageChange<'_>> = Vec::new();
    let mut recorded_by = Vec::new();
    if let Some(records) = &deal.history {
        for record in records {
            recorded_by.push(match record.by.as_deref() {
                Some(name) => Some(ctx.resolve_member(row.line, "stage_history", Some(name))?),
                None => None,
            });
        }
        for (record, by) in records.iter().zip(&recorded_by) {
            history.push(NewStageChange {
                deal_id: DealId(0),
                from_stage: record.from.as_deref().map(|n| stage_named(ctx, n).map(|s| s.id)).transpose()?,
                to_stage: stage_named(ctx, &record.to)?.id,
                changed_at: record.at,
                changed_by: *by,
                amount: record
                    .amount_minor
                    .map(|minor| {
                        Currency::parse("stage_history", &record.currency)
                            .map(|c| Money { amount_minor: minor, currency: c })
                    })
                    .transpose()?,
                currency: Currency::parse("stage_history", &record.currency)?,
                probability: BasisPoints(record.probability_bp),
                override_reason: record.reason.as_deref(),
            });
        }
    } else if deal.stage.is_closed {
        let first_open = ctx.stages.iter().find(|s| !s.is_closed);
        let from = deal.last_open_stage.as_ref().or(first_open);
        let closed_at = deal.closed_at.unwrap_or(created_at).max(created_at);
        if let Some(from) = from {
            history.push(entry(None, from, created_at));
        }
        history.push(entry(from, &deal.stage, closed_at));
    } else {
        history.push(entry(None, &deal.stage, created_at));
    }
    let entered_at = history.last().map_or(created_at, |h| h.changed_at);
    let fields = DealFields {
        name: &deal.name,
        account_id: account,
        owner_id: owner,
        amount: deal.amount,
        currency: deal.currency,
        expected_close_date: deal.expected_close_date,
        source: deal.source.unwrap_or(DealSource::Outbound),
        lead_source: deal.lead_source.as_deref(),
        deal_type: deal.deal_type.unwrap_or(DealType::NewBusiness),
        probability_override: deal.probability_override,
        forecast_override: deal.forecast_override,
        expands_deal_id: None,
    };
    let placement = Placement {
        pipeline: deal.stage.pipeline_id,
        stage: deal.stage.id,
        created_at,
        stage_entered_at: entered_at,
        closed_on: deal.closed_at.map(|at| at.date_naive()),
        loss_reason: deal.loss_reason.as_deref(),
        last_activity_at: None,
    };
    let id = store::deals::insert(ctx.tx, &fields, &placement, Some(ctx.actor))?;
    for change in &mut history {
        change.deal_id = id;
    }
    store::deals::append_history_batch(ctx.tx, &history)?;
    // The deal's last-change stamp as the import wrote it: a revert compares it for
    // equality, not against the import's time (an imported deal may have closed, and so
    // been stamped, after today). Every later change through Keel restamps it.
    let written = serde_json::json!({ "updated_at": store::instant_text(entered_at) }).to_string();
    ctx.record_change(ImportEntity::Deal, id.0, ImportAction::Created, row.line, None, Some(&written))?;
    ctx.remember_key(ImportEntity::Deal, deal.key.as_deref(), id.0)?;
    let mut notes = deal.warnings.clone();
    if new_account {
        notes.insert(0, "new account".into());
    }
    Ok(Applied {
        action: RowAction::Create,
        entity_id: id.0,
        detail: describe(&deal, &notes),
        warnings: deal.warnings.clone(),
    })
}

fn update(
    ctx: &mut Importer<'_>,
    row: &Row,
    deal: ParsedDeal,
    id: DealId,
    account: Option<crate::domain::AccountId>,
    owner: Option<crate::domain::TeamMemberId>,
) -> Result<Applied> {
    let current = store::deals::get(ctx.tx, id, ctx.now)?;
    let has = |f| ctx.columns.has(f);
    let fields = DealFields {
        name: &deal.name,
        // What the file leaves unknown does not erase what the workspace knows.
        account_id: account.or(current.account_id),
        owner_id: owner.unwrap_or(current.owner_id),
        amount: deal.amount.or(current.amount),
        currency: if deal.amount.is_some() { deal.currency } else { current.currency },
        expected_close_date: deal.expected_close_date.or(current.expected_close_date),
        source: deal.source.unwrap_or(current.source),
        lead_source: deal.lead_source.as_deref().or(current.lead_source.as_deref()),
        deal_type: deal.deal_type.unwrap_or(current.deal_type),
        probability_override: if has(Field::ProbabilityOverride) {
            deal.probability_override
        } else {
            current.probability_override
        },
        forecast_override: if has(Field::ForecastOverride) {
            deal.forecast_override
        } else {
            current.forecast_override
        },
        expands_deal_id: current.expands_deal_id,
    };
    let closed_on = deal.closed_at.map(|at| at.date_naive());
    let stage_changed = current.stage_id != deal.stage.id || current.closed_on != closed_on;
    let loss_reason =
        if has(Field::LossReason) { deal.loss_reason.clone() } else { current.loss_reason.clone() };
    let unchanged = !stage_changed
        && current.name == fields.name
        && current.account_id == fields.account_id
        && current.owner_id == fields.owner_id
        && current.amount == fields.amount
        && current.currency == fields.currency
        && current.expected_close_date == fields.expected_close_date
        && current.source == fields.source
        && current.lead_source.as_deref() == fields.lead_source
        && current.deal_type == fields.deal_type
        && current.probability_override == fields.probability_override
        && current.forecast_override == fields.forecast_override
        && (current.loss_reason == loss_reason || !deal.stage.is_closed || deal.stage.is_won);
    ctx.remember_key(ImportEntity::Deal, deal.key.as_deref(), id.0)?;
    if unchanged {
        return Ok(Applied {
            action: RowAction::Unchanged,
            entity_id: id.0,
            detail: format!("deal '{}'", deal.name),
            warnings: Vec::new(),
        });
    }
    let (now, actor) = (ctx.now, ctx.actor);
    let reason = format!("updated by import {} from {}", ctx.batch, ctx.columns.system);
    ctx.update_recorded(ImportEntity::Deal, id.0, row.line, |tx| {
        store::deals::update(tx, id, &fields, now, Some(actor))?;
        if stage_changed {
            store::deals::set_stage(tx, id, deal.stage.id, now, closed_on, loss_reason.as_deref())?;
            if current.stage_id != deal.stage.id {
                store::deals::append_history(
                    tx,
                    &NewStageChange {
                        deal_id: id,
                        from_stage: Some(current.stage_id),
                        to_stage: deal.stage.id,
                        changed_at: now,
                        changed_by: Some(actor),
                        amount: fields.amount,
                        currency: fields.currency,
                        probability: fields.probability_override.unwrap_or(deal.stage.default_probability),
                        override_reason: Some(&reason),
                    },
                )?;
            }
        } else if loss_reason != current.loss_reason && deal.stage.is_closed {
            store::deals::set_loss_reason(tx, id, loss_reason.as_deref(), now)?;
        }
        Ok(())
    })?;
    Ok(Applied {
        action: RowAction::Update,
        entity_id: id.0,
        detail: describe(&deal, &deal.warnings),
        warnings: deal.warnings.clone(),
    })
}

/// A row's line in the report: the deal, where it went, its amount, and what it lacked.
fn describe(deal: &ParsedDeal, notes: &[String]) -> String {
    let amount = deal.amount.map_or_else(|| format!("{} amount not known", deal.currency), |m| m.to_string());
    let notes = notes.iter().filter(|n| !n.starts_with("amount not known")).cloned().collect::<Vec<_>>();
    let notes = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
    format!("deal '{}' in {} ({amount}{notes})", deal.name, deal.stage.name)
}
