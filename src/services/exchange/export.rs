//! `keel export`: deals (with their stage history), accounts, contacts and activities
//! as CSV or JSON, in columns `keel import` reads back without any mapping.

use crate::files::{csv_rows, write_csv};
use crate::money::format_minor;
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::exports::{self, ExportDeal, ExportHistory};
use crate::{KeelError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Deals,
    Accounts,
    Contacts,
    Activities,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

impl ExportFormat {
    pub fn parse(field: &str, text: &str) -> Result<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            other => Err(KeelError::invalid(field, format!("'{other}' is not csv or json"))),
        }
    }
}

/// One stage-history entry as exported (a JSON array in the deals' `stage_history` column).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub by: Option<String>,
    /// Absent while the amount was not known.
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub probability_bp: u32,
    pub reason: Option<String>,
}

impl From<ExportHistory> for HistoryRecord {
    fn from(h: ExportHistory) -> Self {
        HistoryRecord {
            at: h.at,
            from: h.from,
            to: h.to,
            by: h.by,
            amount_minor: h.amount.map(|m| m.amount_minor),
            currency: h.currency.code().to_string(),
            probability_bp: h.probability.0,
            reason: h.reason,
        }
    }
}

pub const DEAL_COLUMNS: &[&str] = &[
    "id",
    "name",
    "account",
    "account_domain",
    "owner",
    "stage",
    "amount",
    "currency",
    "probability_override",
    "forecast_override",
    "expected_close_date",
    "closed_on",
    "loss_reason",
    "created_at",
    "source",
    "type",
    "stage_history",
];

/// Rows written per CSV chunk: bounded memory whatever the table's size.
const CHUNK: usize = 2_000;

/// Writes the export to `out`; returns how many records it holds.
pub fn write(
    ws: &Workspace,
    who: Principal,
    kind: ExportKind,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64> {
    policy::reading(ws.conn(), who)?;
    let mut sink = Sink::new(format, out);
    match kind {
        ExportKind::Deals => {
            sink.start(DEAL_COLUMNS)?;
            exports::for_each_deal(ws.conn(), |deal, history| {
                let history: Vec<HistoryRecord> = history.into_iter().map(HistoryRecord::from).collect();
                sink.row(deal_cells(deal, &history)?)
            })?;
        }
        ExportKind::Accounts | ExportKind::Contacts | ExportKind::Activities => {
            let table = match kind {
                ExportKind::Accounts => &exports::ACCOUNTS,
                ExportKind::Contacts => &exports::CONTACTS,
                _ => &exports::ACTIVITIES,
            };
            sink.start(table.columns)?;
            exports::for_each_text_row(ws.conn(), table, |cells| sink.row(cells))?;
        }
    }
    sink.finish()
}

fn deal_cells(deal: ExportDeal, history: &[HistoryRecord]) -> Result<Vec<Option<String>>> {
    let history = serde_json::to_string(history).map_err(|e| {
        KeelError::NotAllowed(format!("cannot write the stage history of deal {}: {e}", deal.id))
    })?;
    Ok(vec![
        Some(deal.id.to_string()),
        Some(deal.name),
        deal.account,
        deal.account_domain,
        Some(deal.owner),
        Some(deal.stage),
        deal.amount.map(|m| format_minor(m.amount_minor, m.currency.exponent()).replace(',', "")),
        Some(deal.currency.code().to_string()),
        deal.probability_override.map(|p| p.to_string()),
        deal.forecast_override,
        deal.expected_close_date,
        deal.closed_on,
        deal.loss_reason,
        Some(crate::store::instant_text(deal.created_at)),
        Some(deal.lead_source.unwrap_or(deal.source)),
        Some(deal.deal_type),
        Some(history),
    ])
}

/// CSV or JSON output, written as rows arrive.
struct Sink<'a> {
    format: ExportFormat,
    out: &'a mut dyn Write,
    columns: &'static [&'static str],
    buffered: Vec<Vec<String>>,
    count: u64,
}

impl<'a> Sink<'a> {
    fn new(format: ExportFormat, out: &'a mut dyn Write) -> Self {
        Sink { format, out, columns: &[], buffered: Vec::new(), count: 0 }
    }

    fn io(e: std::io::Error) -> KeelError {
        KeelError::Io { context: "writing the export".into(), source: e }
    }

    fn start(&mut self, columns: &'static [&'static str]) -> Result<()> {
        self.columns = columns;
        match self.format {
            ExportFormat::Csv => self.out.write_all(write_csv(columns, &[]).as_bytes()).map_err(Self::io),
            ExportFormat::Json => self.out.write_all(b"[").map_err(Self::io),
        }
    }

    fn row(&mut self, cells: Vec<Option<String>>) -> Result<()> {
        match self.format {
            ExportFormat::Csv => {
                self.buffered.push(cells.into_iter().map(Option::unwrap_or_default).collect());
                if self.buffered.len() >= CHUNK {
                    self.flush_csv()?;
                }
            }
            ExportFormat::Json => {
                let mut object = serde_json::Map::new();
                for (column, cell) in self.columns.iter().zip(cells) {
                    let value = match (column, cell) {
                        (_, None) => serde_json::Value::Null,
                        (&"id" | &"deal_id", Some(text)) => text
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .unwrap_or(serde_json::Value::String(text)),
                        (&"stage_history", Some(text)) => {
                            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
                        }
                        (_, Some(text)) => serde_json::Value::String(text),
                    };
                    object.insert((*column).to_string(), value);
                }
                let separator: &[u8] = if self.count == 0 { b"\n" } else { b",\n" };
                self.out.write_all(separator).map_err(Self::io)?;
                serde_json::to_writer(&mut *self.out, &object)
                    .map_err(|e| Self::io(std::io::Error::other(e)))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn flush_csv(&mut self) -> Result<()> {
        self.out.write_all(csv_rows(&self.buffered).as_bytes()).map_err(Self::io)?;
        self.buffered.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        match self.format {
            ExportFormat::Csv => self.flush_csv()?,
            ExportFormat::Json => self.out.write_all(b"\n]\n").map_err(Self::io)?,
        }
        self.out.flush().map_err(Self::io)?;
        Ok(self.count)
    }
}
