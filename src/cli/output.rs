//! Printing: JSON for machines, aligned plain-text tables for people.

use crate::money::Money;
use crate::Result;
use serde::Serialize;
use std::cell::RefCell;

thread_local! {
    /// Set while the team server runs a member's command for them: what the command
    /// prints is collected here and sent back instead of going to the server's stdout.
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// One line of the command's output (what `println!` means inside the CLI).
pub fn emit(line: String) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some(buffer) => {
            buffer.push_str(&line);
            buffer.push('\n');
            true
        }
        None => false,
    });
    if !captured {
        std::println!("{line}");
    }
}

/// Where a job's progress goes: rows done, rows in all.
pub type ProgressSink = Box<dyn FnMut(u64, u64)>;

thread_local! {
    /// Set while the team server runs a long command as a job: progress goes there.
    static PROGRESS: RefCell<Option<ProgressSink>> = const { RefCell::new(None) };
}

/// Reports progress to the job that runs this command, if one does; false otherwise.
pub fn report_progress(done: u64, total: u64) -> bool {
    PROGRESS.with(|p| match p.borrow_mut().as_mut() {
        Some(sink) => {
            sink(done, total);
            true
        }
        None => false,
    })
}

/// Runs `f` with its progress going to `sink`.
pub fn with_progress<T>(sink: ProgressSink, f: impl FnOnce() -> T) -> T {
    PROGRESS.with(|p| *p.borrow_mut() = Some(sink));
    let value = f();
    PROGRESS.with(|p| *p.borrow_mut() = None);
    value
}

/// Runs `f`, collecting what it prints.
pub fn captured<T>(f: impl FnOnce() -> T) -> (T, String) {
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let value = f();
    let text = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (value, text)
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| crate::KeelError::NotAllowed(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// Prints rows under a header, each column as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let text: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Prints "label: value" lines, labels aligned.
pub fn fields(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        println!("{k:>width$}: {v}");
    }
}

pub fn money(m: &Money) -> String {
    m.to_string()
}

/// A deal's amount, or that it is not known yet.
pub fn deal_amount(amount: &Option<Money>, currency: crate::money::Currency) -> String {
    amount.as_ref().map_or_else(|| format!("{currency} —"), Money::to_string)
}

pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "—".to_string(), ToString::to_string)
}
