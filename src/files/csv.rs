//! RFC 4180 CSV, read the way spreadsheet programs write it: quoted fields with
//! doubled quotes, line breaks inside quotes, CRLF, LF or CR line ends.

use super::Row;
use crate::{KeelError, Result};

const CANDIDATES: [char; 3] = [',', ';', '\t'];

/// Picks the delimiter that splits the header line into the most fields (comma on a tie).
pub fn sniff_delimiter(text: &str) -> char {
    let header = first_record_text(text);
    let mut best = (',', 0usize);
    for candidate in CANDIDATES {
        let count = count_outside_quotes(header, candidate);
        if count > best.1 {
            best = (candidate, count);
        }
    }
    best.0
}

fn first_record_text(text: &str) -> &str {
    let mut in_quotes = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes => return &text[..i],
            _ => {}
        }
    }
    text
}

fn count_outside_quotes(line: &str, delimiter: char) -> usize {
    let mut in_quotes = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                in_quotes = !in_quotes;
            }
            c == delimiter && !in_quotes
        })
        .count()
}

/// Splits text into records. An unterminated quote is an error naming the line it opened
/// on, since everything after it would otherwise be swallowed into one cell.
pub fn parse(text: &str, delimiter: char) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    let mut chars = text.chars().peekable();
    let mut at_cell_start = true;
    let mut quote_opened_on = None;
    while let Some(c) = chars.next() {
        if quote_opened_on.is_some() {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quote_opened_on = None,
                '\r' if chars.peek() == Some(&'\n') => {}
                _ => {
                    if c == '\n' || c == '\r' {
                        line += 1;
                    }
                    cell.push(if c == '\r' { '\n' } else { c });
                }
            }
            continue;
        }
        match c {
            '"' if at_cell_start => {
                quote_opened_on = Some(line);
                at_cell_start = false;
            }
            c if c == delimiter => {
                cells.push(std::mem::take(&mut cell));
                at_cell_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cells.push(std::mem::take(&mut cell));
                rows.push(Row { line: record_line, cells: std::mem::take(&mut cells) });
                line += 1;
                record_line = line;
                at_cell_start = true;
            }
            _ => {
                cell.push(c);
                at_cell_start = false;
            }
        }
    }
    if let Some(opened) = quote_opened_on {
        return Err(KeelError::invalid(
            "file",
            format!("line {opened}: a quoted field opens here and is never closed (a missing \")"),
        ));
    }
    if !at_cell_start || !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        rows.push(Row { line: record_line, cells });
    }
    Ok(rows)
}

/// Writes records as comma-separated UTF-8 with CRLF line ends, quoting where needed.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut out = csv_rows(std::slice::from_ref(&header));
    out.push_str(&csv_rows(rows));
    out
}

/// Data records only, for writers that stream a table in chunks after its header.
/// Every cell goes through [`guard_formula`]: this is the one CSV writer of every export.
pub fn csv_rows(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let cell = guard_formula(cell);
            if cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ') {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&cell);
            }
        }
        out.push_str("\r\n");
    }
    out
}

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
/// return first) gets a leading apostrophe on export, so opening an export in Excel
/// never executes a cell. A plain signed number ("-12.50") is data, not a formula.
pub fn guard_formula(text: &str) -> String {
    let plain_number = text
        .strip_prefix(['-', '+'])
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ','));
    if text.starts_with(FORMULA_STARTS) && !plain_number {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Undoes [`guard_formula`] on import.
pub fn unguard_formula(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str, delimiter: char) -> Vec<(u64, Vec<String>)> {
        parse(text, delimiter).unwrap_or_default().into_iter().map(|r| (r.line, r.cells)).collect()
    }

    #[test]
    fn quoted_fields_keep_delimiters_quotes_and_line_breaks() {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\nlast,,\n";
        assert_eq!(
            cells(text, ','),
            vec![
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["x, y".into(), "say \"hi\"".into(), "two\nlines".into()]),
                (4, vec!["last".into(), "".into(), "".into()]),
            ],
            "a record that spans lines is numbered by the line it starts on"
        );
    }

    #[test]
    fn delimiters_are_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), ';');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), '\t');
        assert_eq!(sniff_delimiter("\"a;b\",c\n"), ',', "a delimiter inside quotes does not count");
        assert_eq!(sniff_delimiter("single"), ',');
    }

    #[test]
    fn an_unterminated_quote_names_its_line() {
        let error = parse("a,b\n1,2\n\"open,3\n4,5\n", ',').err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("line 3") && error.contains("never closed"), "{error}");
    }

    #[test]
    fn written_csv_reads_back_the_same() {
        let rows = vec![vec!["a, b".to_string(), "q\"uote".into(), "multi\nline".into(), " pad ".into()]];
        let text = write_csv(&["w", "x", "y", "z"], &rows);
        let back = cells(&text, ',');
        assert_eq!(back[1].1, rows[0], "round trip");
    }

    #[test]
    fn formulas_are_guarded_and_unguarded() {
        assert_eq!(guard_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(unguard_formula(&guard_formula("@SUM(A1)")), "@SUM(A1)");
        assert_eq!(unguard_formula("'quoted"), "'quoted", "an ordinary apostrophe stays");
    }
}
