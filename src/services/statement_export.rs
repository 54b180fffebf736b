//! A payout statement as CSV (for finance tools) and as a printable PDF.

use super::payouts::StatementView;
use crate::money::format_minor;

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per line; amounts both in minor units (exact) and formatted. The last row is the total.
pub fn csv(view: &StatementView) -> String {
    let s = &view.statement;
    let exp = s.total.currency.exponent();
    let mut out = String::from("statement_id,partner,period,status,line_id,kind,deal_id,deal,accrued_on,base_minor,rate_bp,amount_minor,amount,currency\n");
    for line in &view.lines {
        let deal = line
            .deal_name
            .clone()
            .or_else(|| line.carried_statement_id.map(|c| format!("balance carried from statement {c}")));
        let row = [
            s.id.to_string(),
            csv_field(&s.partner_name),
            s.period.clone(),
            s.status.to_string(),
            line.id.to_string(),
            line.kind.to_string(),
            line.deal_id.map(|d| d.to_string()).unwrap_or_default(),
            csv_field(&deal.unwrap_or_default()),
            line.accrued_on.map(|d| d.to_string()).unwrap_or_default(),
            line.base_minor.map(|b| b.to_string()).unwrap_or_default(),
            line.rate_bp.map(|r| r.to_string()).unwrap_or_default(),
            line.amount_minor.to_string(),
            csv_field(&format_minor(line.amount_minor, exp)),
            s.total.currency.code().to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    let total = [
        s.id.to_string(),
        csv_field(&s.partner_name),
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
        csv_field(&format_minor(s.total.amount_minor, exp)),
        s.total.currency.code().to_string(),
    ];
    out.push_str(&total.join(","));
    out.push('\n');
    out
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

fn pdf_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            c if (' '..='~').contains(&c) => c.to_string(),
            _ => "?".to_string(), // the standard Courier font only covers Latin-1 reliably
        })
        .collect()
}

/// A minimal PDF 1.4: A4 pages of monospaced text, built by hand (no dependency);
/// the cross-reference table carries exact byte offsets.
pub fn pdf(view: &StatementView) -> Vec<u8> {
    const PER_PAGE: usize = 56;
    let lines = printable_lines(view);
    let pages: Vec<&[(bool, String)]> = lines.chunks(PER_PAGE).collect();
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 regular font, 4 bold font, then a page and its content per page.
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".into());
    objects
        .push("<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>".into());
    for (i, page) in pages.iter().enumerate() {
        let mut content = String::from("BT\n/F1 9 Tf\n11 TL\n50 800 Td\n");
        for (bold, text) in page.iter() {
            let font = if *bold { "/F2" } else { "/F1" };
            content.push_str(&format!("{font} 9 Tf\n({}) Tj\nT*\n", pdf_text(text)));
        }
        content.push_str("ET\n");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            6 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{}endstream", content.len(), content));
    }
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{}\nendobj\n", i + 1, object));
    }
    let xref_at = out.len();
    out.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}
