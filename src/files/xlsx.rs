//! XLSX through calamine: the first worksheet, every cell rendered to the text a
//! person sees, so the importer parses one kind of value whatever the file format.

use super::Row;
use crate::{KeelError, Result};
use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

pub fn read(bytes: &[u8]) -> Result<(String, Vec<Row>)> {
    let unreadable = |e: calamine::XlsxError| {
        KeelError::invalid("file", format!("looks like an XLSX workbook but cannot be read: {e}"))
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| KeelError::invalid("file", "is an XLSX workbook without worksheets"))?;
    let range = workbook.worksheet_range(&sheet).map_err(unreadable)?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let first_col = range.start().map_or(0, |(_, col)| col) as usize;
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut texts: Vec<String> = std::iter::repeat_n(String::new(), first_col).collect();
            texts.extend(cells.iter().map(cell_text));
            while texts.last().is_some_and(String::is_empty) {
                texts.pop();
            }
            Row { line: u64::from(first_row) + i as u64 + 1, cells: texts }
        })
        .collect();
    Ok((sheet, rows))
}

/// A number becomes its shortest exact decimal text ("12500.5"), so amounts are parsed
/// as decimals like any CSV cell and never computed with as floating point. Dates
/// become ISO text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                format!("{f:.0}")
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
