//! A payout statement as CSV (for finance tools) and as a printable PDF.

use crate::files::{windows_1252_byte, write_csv};
use crate::money::format_minor;
use crate::services::payouts::StatementView;

const CSV_COLUMNS: [&str; 14] = [
    "statement_id",
    "partner",
    "period",
    "status",
    "line_id",
    "kind",
    "deal_id",
    "deal",
    "accrued_on",
    "base_minor",
    "rate_bp",
    "amount_minor",
    "amount",
    "currency",
];

/// One row per line; amounts both in minor units (exact) and formatted. The last row is
/// the total. Written by the one CSV writer of every export, formula guard included.
pub fn csv(view: &StatementView) -> String {
    let s = &view.statement;
    let exp = s.total.currency.exponent();
    let mut rows: Vec<Vec<String>> =
        view.lines
            .iter()
            .map(|line| {
                let deal = line.deal_name.clone().or_else(|| {
                    line.carried_statement_id.map(|c| format!("balance carried from statement {c}"))
                });
                vec![
                    s.id.to_string(),
                    s.partner_name.clone(),
                    s.period.clone(),
                    s.status.to_string(),
                    line.id.to_string(),
                    line.kind.to_string(),
                    line.deal_id.map(|d| d.to_string()).unwrap_or_default(),
                    deal.unwrap_or_default(),
                    line.accrued_on.map(|d| d.to_string()).unwrap_or_default(),
                    line.base_minor.map(|b| b.to_string()).unwrap_or_default(),
                    line.rate_bp.map(|r| r.to_string()).unwrap_or_default(),
                    line.amount_minor.to_string(),
                    format_minor(line.amount_minor, exp),
                    s.total.currency.code().to_string(),
                ]
            })
            .collect();
    rows.push(vec![
        s.id.to_string(),
        s.partner_name.clone(),
        s.period.clone(),
        s.status.to_string(),
        String::new(),
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        s.total.amount_minor.to_string(),
        format_minor(s.total.amount_minor, exp),
        s.total.currency.code().to_string(),
    ]);
    write_csv(&CSV_COLUMNS, &rows)
}

/// The text lines of the printable statement.
fn printable_lines(view: &StatementView) -> Vec<(bool, String)> {
    let s = &view.statement;
    let exp = s.total.currency.exponent();
    let mut lines = vec![
        (true, format!("Revenue-share statement {}", s.id)),
        (false, String::new()),
        (false, format!("Partner: {}", s.partner_name)),
        (false, format!("Period: {}    Currency: {}    Status: {}", s.period, s.total.currency, s.status)),
    ];
    if let (Some(on), Some(reference)) = (s.paid_on, &s.paid_reference) {
        lines.push((false, format!("Paid on {on}, reference {reference}")));
    }
    lines.push((false, String::new()));
    lines.push((
        true,
        format!(
            "{:<10} {:<34} {:>10} {:>14} {:>7} {:>14}",
            "Kind", "Deal", "Date", "Revenue", "Rate", "Commission"
        ),
    ));
    for line in &view.lines {
        let deal = match (line.deal_id, &line.deal_name, line.carried_statement_id) {
            (Some(id), Some(name), _) => format!("{id} {name}"),
            (_, _, Some(c)) => format!("carried from statement {c}"),
            _ => String::new(),
        };
        let deal: String = deal.chars().take(34).collect();
        lines.push((
            false,
            format!(
                "{:<10} {:<34} {:>10} {:>14} {:>7} {:>14}",
                line.kind.to_string(),
                deal,
                line.accrued_on.map(|d| d.to_string()).unwrap_or_default(),
                line.base_minor.map(|b| format_minor(b, exp)).unwrap_or_default(),
                line.rate_bp.map(|r| crate::money::BasisPoints(r).to_string()).unwrap_or_default(),
                format_minor(line.amount_minor, exp),
            ),
        ));
    }
    lines.push((false, String::new()));
    lines.push((true, format!("Total {} {}", s.total.currency, format_minor(s.total.amount_minor, exp))));
    lines
}

/// A PDF string literal in WinAnsiEncoding (Windows-1252, the encoding the fonts are
/// declared with): Latin-1 letters, the euro, pound and yen signs print as themselves.
/// A character outside it (a script the standard fonts cannot draw) prints as '?'.
fn pdf_text(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match windows_1252_byte(c) {
            Some(b @ (b'(' | b')' | b'\\')) => out.extend([b'\\', b]),
            Some(b) if b >= 0x20 => out.push(b),
            _ => out.push(b'?'),
        }
    }
    out
}

/// A minimal PDF 1.4: A4 pages of monospaced text, built by hand (no dependency);
/// the cross-reference table carries exact byte offsets.
pub fn pdf(view: &StatementView) -> Vec<u8> {
    const PER_PAGE: usize = 56;
    let lines = printable_lines(view);
    let pages: Vec<&[(bool, String)]> = lines.chunks(PER_PAGE).collect();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 pages, 3 regular font, 4 bold font, then a page and its content per page.
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects
        .push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
    );
    for (i, page) in pages.iter().enumerate() {
        let mut content = b"BT\n/F1 9 Tf\n11 TL\n50 800 Td\n".to_vec();
        for (bold, text) in page.iter() {
            let font = if *bold { "/F2" } else { "/F1" };
            content.extend(format!("{font} 9 Tf\n(").into_bytes());
            content.extend(pdf_text(text));
            content.extend(b") Tj\nT*\n");
        }
        content.extend(b"ET\n");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            6 + 2 * i
        ).into_bytes());
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(content);
        stream.extend(b"endstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(); // the comment marks the file as binary
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n", objects.len() + 1)
            .into_bytes(),
    );
    out
}
