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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// What reading changed or passed over, for the import report: stray NULs and
    /// control characters dropped, a repeated column named apart, footer lines left out.
    pub notes: Vec<String>,
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
    let mut notes = Vec::new();
    let (records, format) = if bytes.starts_with(ZIP_MAGIC) {
        let (sheet, records) = xlsx::read(bytes)?;
        (records, FileFormat::Xlsx { sheet })
    } else if bytes.starts_with(OLE_MAGIC) {
        return Err(KeelError::invalid(
            "file",
            "is a legacy Excel .xls workbook; save it as .xlsx or CSV and import that",
        ));
    } else {
        let decode::Decoded { text, encoding, nuls, utf8_in_1252 } = decode::decode(bytes)?;
        if nuls > 0 {
            notes.push(format!("dropped {nuls} NUL character(s), stray bytes in rich-text cells"));
        }
        if utf8_in_1252 > 0 {
            notes.push(format!("read {utf8_in_1252} UTF-8 character(s) found inside the Windows-1252 text"));
        }
        if text.trim_start().starts_with('[') {
            let (headers, rows) = json_records(&text)?;
            return Ok(Table { headers, rows, format: FileFormat::Json, notes });
        }
        let delimiter = csv::sniff_delimiter(&text);
        (csv::parse(&text, delimiter)?, FileFormat::Csv { encoding, delimiter })
    };
    let (records, footer) = without_footer(records);
    if !footer.is_empty() {
        notes.push(format!(
            "left out {} footer line(s) after the data: {}",
            footer.len(),
            footer.join(" | ")
        ));
    }
    let (headers, mut rows, renamed) = split_header(records)?;
    notes.extend(renamed);
    let controls = drop_control_characters(&mut rows);
    if controls > 0 {
        notes.push(format!("dropped {controls} control character(s) inside cells"));
    }
    Ok(Table { headers, rows, format, notes })
}

/// Removes control characters other than tab and line breaks from every cell: they
/// are debris of other systems' rich text, never data. Returns how many went.
fn drop_control_characters(rows: &mut [Row]) -> usize {
    let unwanted = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    let mut dropped = 0;
    for cell in rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        if cell.contains(unwanted) {
            let before = cell.chars().count();
            cell.retain(|c| !unwanted(c));
            dropped += before - cell.chars().count();
        }
    }
    dropped
}

/// Report exports end with lines that are not records, after a blank line: Salesforce
/// writes "Grand Totals (N records)", "Confidential Information - Do Not Distribute" and
/// a copyright line. A trailing block after a blank line whose rows each hold at most
/// one cell, in a table of three or more columns, is such a footer. Returns the records
/// without it and the footer's text.
fn without_footer(mut records: Vec<Row>) -> (Vec<Row>, Vec<String>) {
    let filled = |r: &Row| r.cells.iter().filter(|c| !c.trim().is_empty()).count();
    let width = records.iter().find(|r| filled(r) > 0).map_or(0, |r| r.cells.len());
    let mut footer = Vec::new();
    if width < 3 {
        return (records, footer);
    }
    loop {
        while records.last().is_some_and(|r| filled(r) == 0) {
            records.pop();
        }
        let Some(blank) = records.iter().rposition(|r| filled(r) == 0) else { break };
        let tail = &records[blank + 1..];
        if tail.is_empty() || !tail.iter().all(|r| filled(r) == 1) {
            break;
        }
        let mut text: Vec<String> = records
            .drain(blank + 1..)
            .filter_map(|r| r.cells.into_iter().find(|c| !c.trim().is_empty()))
            .map(|c| c.trim().to_string())
            .collect();
        text.append(&mut footer);
        footer = text;
    }
    (records, footer)
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

/// The first non-blank record is the header. A column name given twice (HubSpot writes
/// "Associated Company" for two properties) keeps both columns, the later one named
/// apart ("Associated Company (2)"); the third value says which were renamed.
fn split_header(mut records: Vec<Row>) -> Result<(Vec<String>, Vec<Row>, Vec<String>)> {
    records.retain(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    if records.is_empty() {
        return Err(KeelError::invalid("file", "is empty: there is no header row and no data"));
    }
    let header = records.remove(0);
    let mut headers: Vec<String> = Vec::with_capacity(header.cells.len());
    let mut renamed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for name in header.cells.iter().map(|h| h.trim().to_string()) {
        if name.is_empty() || seen.insert(name.to_lowercase()) {
            headers.push(name);
            continue;
        }
        let apart = (2..).map(|n| format!("{name} ({n})")).find(|c| seen.insert(c.to_lowercase()));
        let apart = apart.unwrap_or_else(|| name.clone());
        renamed.push(format!("the header names '{name}' twice; the second is read as '{apart}'"));
        headers.push(apart);
    }
    if records.is_empty() {
        return Err(KeelError::invalid("file", "has a header row but no data rows"));
    }
    Ok((headers, records, renamed))
}
