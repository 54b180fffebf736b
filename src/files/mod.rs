//! Spreadsheet files as people bring them: CSV in the encodings and delimiters that
//! Excel, Salesforce, HubSpot and Pipedrive write, and XLSX. Everything here is
//! about bytes and cells; what a column means is the importer's business.

mod csv;
mod decode;
mod xlsx;

pub use csv::{csv_rows, guard_formula, unguard_formula, write_csv};
pub use decode::{windows_1252_byte, TextEncoding};

use crate::{KeelError, Result};
use serde::Serialize;

/// One data row and the line (CSV) or sheet row (XLSX) it started on, counting the header as 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// How a file was read, for the import report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum FileFormat {
    Csv {
        encoding: TextEncoding,
        delimiter: char,
    },
    Xlsx {
        sheet: String,
    },
    /// An array of flat objects, as `keel export --format json` writes.
    Json,
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileFormat::Csv { encoding, delimiter } => {
                let delimiter = match delimiter {
                    '\t' => "tab".to_string(),
                    ';' => "semicolon".to_string(),
                    ',' => "comma".to_string(),
                    other => format!("'{other}'"),
                };
                write!(f, "CSV ({}, {delimiter}-separated)", encoding.label())
            }
            FileFormat::Xlsx { sheet } => write!(f, "XLSX (sheet '{sheet}')"),
            FileFormat::Json => write!(f, "JSON"),
        }
    }
}

/// A header row and the data rows under it. Rows keep however many cells they had:
/// a ragged row is the importer's to report, with its line.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    pub format: FileFormat,
}

/// Largest file Keel reads: far above any CRM export, well under memory.
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads a CSV or XLSX file's bytes (told apart by content, not by name) into a table.
pub fn read_table(bytes: &[u8]) -> Result<Table> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(KeelError::invalid(
            "file",
            format!("is {} bytes; the largest file Keel imports is {MAX_FILE_BYTES} bytes", bytes.len()),
        ));
    }
    let (headers, rows, format) = if bytes.starts_with(ZIP_MAGIC) {
        let (sheet, records) = xlsx::read(bytes)?;
        let (headers, rows) = split_header(records)?;
        (headers, rows, FileFormat::Xlsx { sheet })
    } else if bytes.starts_with(OLE_MAGIC) {
        return Err(KeelError::invalid(
            "file",
            "is a legacy Excel .xls workbook; save it as .xlsx or CSV and import that",
        ));
    } else {
        let (text, encoding) = decode::decode(bytes)?;
        if text.trim_start().starts_with('[') {
            let (headers, rows) = json_records(&text)?;
            return Ok(Table { headers, rows, format: FileFormat::Json });
        }
        let delimiter = csv::sniff_delimiter(&text);
        let records = csv::parse(&text, delimiter)?;
        let (headers, rows) = split_header(records)?;
        (headers, rows, FileFormat::Csv { encoding, delimiter })
    };
    Ok(Table { headers, rows, format })
}

/// A JSON array of objects as a table: columns in order of first appearance; a
/// record's "line" is its position in the array. Nested values stay JSON text.
fn json_records(text: &str) -> Result<(Vec<String>, Vec<Row>)> {
    let records: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(text).map_err(|e| {
            KeelError::invalid("file", format!("is not a JSON array of records (line {}: {e})", e.line()))
        })?;
    let mut headers: Vec<String> = Vec::new();
    for record in &records {
        for key in record.keys() {
            if !headers.contains(key) {
                headers.push(key.clone());
            }
        }
    }
    if records.is_empty() {
        return Err(KeelError::invalid("file", "is an empty JSON array: there are no records"));
    }
    let rows = records
        .iter()
        .enumerate()
        .map(|(i, record)| Row {
            line: i as u64 + 1,
            cells: headers
                .iter()
                .map(|h| match record.get(h) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        })
        .collect();
    Ok((headers, rows))
}

fn split_header(mut records: Vec<Row>) -> Result<(Vec<String>, Vec<Row>)> {
    records.retain(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    if records.is_empty() {
        return Err(KeelError::invalid("file", "is empty: there is no header row and no data"));
    }
    let header = records.remove(0);
    let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
    let mut seen = std::collections::HashSet::new();
    for name in headers.iter().filter(|h| !h.is_empty()) {
        if !seen.insert(name.to_lowercase()) {
            return Err(KeelError::invalid(
                "file",
                format!("the header (line {}) names the column '{name}' twice", header.line),
            ));
        }
    }
    if records.is_empty() {
        return Err(KeelError::invalid("file", "has a header row but no data rows"));
    }
    Ok((headers, records))
}
