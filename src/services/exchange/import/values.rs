//! Cell values as CRMs and spreadsheets write them: US and ISO dates, amounts with
//! thousands separators and currency symbols, percentages, and the source systems'
//! words for lead source, deal type and segment.

use crate::domain::{check_date_range, DealSource, DealType, Segment};
use crate::money::{BasisPoints, Currency, DecimalMark, Money};
use crate::{KeelError, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// How to read an all-numeric date like 03/04/2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// Month first, as Salesforce and HubSpot write for US users.
    #[default]
    MonthFirst,
    DayFirst,
}

impl DateOrder {
    /// `auto` (or nothing) means: detect it from the file.
    pub fn parse_choice(field: &str, text: &str) -> Result<Option<DateOrder>> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(None),
            other => DateOrder::parse(field, other).map(Some),
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<DateOrder> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mdy" | "m/d/y" | "us" => Ok(DateOrder::MonthFirst),
            "dmy" | "d/m/y" | "eu" => Ok(DateOrder::DayFirst),
            other => {
                Err(KeelError::invalid(field, format!("'{other}' is not a date order (auto, mdy or dmy)")))
            }
        }
    }
}

/// How a file writes all-numeric dates, from the first value only one order can
/// read (13/04/2026 is day first, 04/13/2026 month first), and that value. Files
/// that show both, or neither, are read month first, as US exports are.
pub fn detect_date_order<'a>(dates: impl Iterator<Item = &'a str>) -> (DateOrder, Option<String>) {
    let mut day_first = None;
    for text in dates {
        let date_part = text.split_whitespace().next().unwrap_or("");
        let first_len = date_part.split(['/', '.', '-']).next().map_or(0, str::len);
        if date_part.contains('.') || first_len > 2 {
            continue; // dotted dates are always day first; ISO dates say their order
        }
        match numeric_parts(text) {
            Some((first, second, _)) if second > 12 && first <= 12 => {
                return (DateOrder::MonthFirst, Some(text.into()))
            }
            Some((first, second, _)) if first > 12 && second <= 12 => {
                day_first.get_or_insert_with(|| text.to_string());
            }
            _ => {}
        }
    }
    match day_first {
        Some(text) => (DateOrder::DayFirst, Some(text)),
        None => (DateOrder::MonthFirst, None),
    }
}

/// A date, or a date and time (taken as UTC when the text gives no offset).
pub fn parse_when(field: &str, text: &str, order: DateOrder) -> Result<DateTime<Utc>> {
    let text = text.trim();
    // Slashed dates first: most CRM exports write them, and the ISO formats never match them.
    // ISO when the date leads with a four-digit year; otherwise day and month first in
    // some order ("20-10-16" is 20 October 2016, never the year 20).
    let year_first = text.split(['-', '/', '.']).next().is_some_and(|y| y.len() == 4);
    let parsed = if year_first {
        parse_iso(text).or_else(|| parse_numeric(text, order))
    } else {
        parse_numeric(text, order)
    };
    let at = parsed.ok_or_else(|| {
        let hint = match (order, numeric_parts(text)) {
            (DateOrder::MonthFirst, Some((first, _, _))) if first > 12 => {
                " (it looks like D/M/YYYY: read the file with day-first dates)"
            }
            _ => "",
        };
        KeelError::invalid(
            field,
            format!("'{text}' is not a date (write it as YYYY-MM-DD or M/D/YYYY){hint}"),
        )
    })?;
    check_date_range(field, at.date_naive())?;
    Ok(at)
}

pub fn parse_day(field: &str, text: &str, order: DateOrder) -> Result<NaiveDate> {
    Ok(parse_when(field, text, order)?.date_naive())
}

fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date.and_time(NaiveTime::MIN).and_utc());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| at.and_utc())
}

fn numeric_parts(text: &str) -> Option<(u32, u32, i32)> {
    let date_part = text.split_whitespace().next()?;
    let parts: Vec<&str> = date_part.split(['/', '.', '-']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let year_text = parts[2];
    let year: i32 = year_text.parse().ok()?;
    let year = match year_text.len() {
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    Some((parts[0].parse().ok()?, parts[1].parse().ok()?, year))
}

/// M/D/YYYY or D/M/YYYY (or with dots, always day first), optionally with a time such
/// as "10:30", "10:30:15" or "10:30 AM".
fn parse_numeric(text: &str, order: DateOrder) -> Option<DateTime<Utc>> {
    let (first, second, year) = numeric_parts(text)?;
    let dotted = text.split_whitespace().next()?.contains('.');
    let (month, day) = match (order, dotted) {
        (DateOrder::DayFirst, _) | (_, true) => (second, first),
        (DateOrder::MonthFirst, false) => (first, second),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let rest: Vec<&str> = text.split_whitespace().skip(1).collect();
    let time = match rest.as_slice() {
        [] => NaiveTime::MIN,
        [clock] => NaiveTime::parse_from_str(clock, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
            .ok()?,
        [clock, meridiem] => {
            let with = format!("{clock} {}", meridiem.to_ascii_uppercase());
            NaiveTime::parse_from_str(&with, "%I:%M:%S %p")
                .or_else(|_| NaiveTime::parse_from_str(&with, "%I:%M %p"))
                .ok()?
        }
        _ => return None,
    };
    Some(date.and_time(time).and_utc())
}

const SYMBOLS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("NZ$", "NZD"),
    ("R$", "BRL"),
    ("S$", "SGD"),
    ("HK$", "HKD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("$", "USD"),
];

/// What an amount cell says about its currency.
enum Marked {
    None,
    /// A bare "$": dollars, but which dollars is the currency column's to say.
    Dollar,
    Currency(Currency),
}

/// Splits a currency symbol or ISO code off either end of an amount.
fn split_currency(field: &str, text: &str) -> Result<(Marked, String)> {
    let mut rest = text.trim().to_string();
    let mut found = None;
    for (symbol, code) in SYMBOLS {
        let stripped = rest.strip_prefix(symbol).or_else(|| rest.strip_suffix(symbol)).map(str::to_string);
        if let Some(stripped) = stripped {
            if *symbol == "$" {
                return Ok((Marked::Dollar, stripped.trim().to_string()));
            }
            found = Some(Currency::parse(field, code)?);
            rest = stripped;
            break;
        }
    }
    let trimmed = rest.trim().to_string();
    let code = |s: &str| -> Option<Currency> {
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| Currency::parse(field, s).ok())
            .flatten()
    };
    if found.is_none() {
        if let Some(currency) = trimmed.get(..3).and_then(code) {
            found = Some(currency);
            rest = trimmed[3..].to_string();
        } else if let Some(currency) =
            trimmed.len().checked_sub(3).and_then(|at| trimmed.get(at..)).and_then(code)
        {
            found = Some(currency);
            rest = trimmed[..trimmed.len() - 3].to_string();
        }
    }
    Ok((found.map_or(Marked::None, Marked::Currency), rest.trim().to_string()))
}

/// Reads an amount such as "12,500.00", "$12,500", "12.500,00 €", "1 234,5" or
/// "USD 900" in the currency given by the file (`currency`), else by a symbol or
/// code in the cell, else `default`. A symbol that contradicts the currency column
/// is an error, not a guess.
pub fn parse_amount(
    field: &str,
    text: &str,
    currency: Option<Currency>,
    default: Currency,
    mark: DecimalMark,
) -> Result<Money> {
    let (money, rounded) = parse_file_amount(field, text, currency, default, mark)?;
    if rounded {
        let exponent = money.currency.exponent();
        return Err(KeelError::invalid(
            field,
            format!(
                "'{}' has more than {exponent} decimal places; {} has {exponent}",
                text.trim(),
                money.currency
            ),
        ));
    }
    Ok(money)
}

/// [`parse_amount`] for a cell of another system's file: more decimals than the
/// currency has are rounded half-even, and the flag says so.
pub fn parse_file_amount(
    field: &str,
    text: &str,
    currency: Option<Currency>,
    default: Currency,
    mark: DecimalMark,
) -> Result<(Money, bool)> {
    let (marked, number) = split_currency(field, text)?;
    let currency = match (currency, marked) {
        (Some(column), Marked::Currency(marked)) if column != marked => {
            return Err(KeelError::invalid(
                field,
                format!(
                    "'{}' is in {} but the currency column says {}",
                    text.trim(),
                    marked.code(),
                    column.code()
                ),
            ));
        }
        (Some(column), _) => column,
        (None, Marked::Currency(marked)) => marked,
        (None, Marked::Dollar) => Currency::parse(field, "USD")?,
        (None, Marked::None) => default,
    };
    // Accounting negatives "(1,234.00)" read as "-1,234.00"; the number itself goes
    // through the same parser as every typed amount.
    let number = match number.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
        Some(inner) => format!("-{}", inner.trim()),
        None => number,
    };
    Money::parse_rounding(field, &number, currency, mark)
}

/// The decimal mark a file's amounts follow, from the values that show it; `Unknown`
/// when none does, or when they disagree (each value is then read on its own).
pub fn detect_decimal_mark<'a>(amounts: impl Iterator<Item = &'a str>) -> DecimalMark {
    let mut seen = None;
    for text in amounts {
        let number = split_currency("amount", text).map(|(_, n)| n).unwrap_or_default();
        match (seen, DecimalMark::shown_by(&number)) {
            (_, None) => {}
            (None, Some(mark)) => seen = Some(mark),
            (Some(a), Some(b)) if a != b => return DecimalMark::Unknown,
            _ => {}
        }
    }
    seen.unwrap_or_default()
}

/// "25", "25%", "12.5 %" are percentages; "0.25" (a fraction with a decimal point,
/// at most 1) is how HubSpot writes 25%.
pub fn parse_probability(field: &str, text: &str) -> Result<BasisPoints> {
    let trimmed = text.trim();
    if !trimmed.ends_with('%') && trimmed.contains('.') {
        if let Ok(bp) = BasisPoints::parse_fraction(field, trimmed) {
            return Ok(bp);
        }
    }
    BasisPoints::parse_percent(field, trimmed)
}

/// A yes/no cell ("true", "1", "Yes", "False", "0", "No"); `None` when blank.
pub fn parse_flag(field: &str, text: &str) -> Result<Option<bool>> {
    match words(text).as_str() {
        "" => Ok(None),
        "true" | "1" | "yes" | "y" | "si" | "sí" | "sim" | "ja" | "oui" | "x" => Ok(Some(true)),
        "false" | "0" | "no" | "n" | "não" | "nao" | "nein" | "non" => Ok(Some(false)),
        _ => Err(KeelError::invalid(field, format!("'{}' is not yes or no (true/false, 1/0)", text.trim()))),
    }
}

/// Lower-case words of a label, without punctuation: "Closed - Won" becomes "closed won".
pub fn words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lead-source labels of Salesforce, HubSpot and Pipedrive. `Ok(None)` means "not
/// given": the row takes the default.
pub fn parse_source(field: &str, text: &str) -> Result<Option<DealSource>> {
    let w = words(text);
    let has = |needles: &[&str]| needles.iter().any(|n| w.contains(n));
    if w.is_empty() || w == "other" || w == "none" || w == "unknown" {
        return Ok(None);
    }
    if let Ok(source) = DealSource::parse(field, text) {
        return Ok(Some(source));
    }
    let source = if has(&["partner", "reseller", "channel"]) {
        DealSource::Partner
    } else if has(&["referral", "refer", "word of mouth"]) {
        DealSource::Referral
    } else if has(&["event", "trade show", "tradeshow", "seminar", "webinar", "conference", "meetup"]) {
        DealSource::Event
    } else if has(&["outbound", "cold", "purchased list", "prospecting", "outreach", "sdr"]) {
        DealSource::Outbound
    } else if has(&[
        "inbound",
        "web",
        "phone inquiry",
        "search",
        "social",
        "advertis",
        "public relations",
        "direct traffic",
        "email marketing",
        "content",
        "chat",
    ]) {
        DealSource::Inbound
    } else {
        // A lead source of the workspace's own (its label is kept on the deal): counted
        // under "other" until a --map 'source:LABEL=CATEGORY' places it.
        DealSource::Other
    };
    Ok(Some(source))
}

/// Deal-type labels ("New Business", "Existing Customer - Upgrade", "newbusiness", "Renewal").
pub fn parse_deal_type(field: &str, text: &str) -> Result<Option<DealType>> {
    let w = words(text);
    if w.is_empty() {
        return Ok(None);
    }
    if let Ok(kind) = DealType::parse(field, text) {
        return Ok(Some(kind));
    }
    let has = |needles: &[&str]| needles.iter().any(|n| w.contains(n));
    if has(&["renew"]) {
        Ok(Some(DealType::Renewal))
    } else if has(&["upgrade", "upsell", "expan", "existing", "add on", "cross", "addon"]) {
        Ok(Some(DealType::Expansion))
    } else if has(&["new"]) {
        Ok(Some(DealType::NewBusiness))
    } else {
        Err(KeelError::invalid(
            field,
            format!(
                "'{}' is not a deal type Keel knows; map it with --map 'type:{}=new-business' \
                 (or expansion, renewal)",
                text.trim(),
                text.trim()
            ),
        ))
    }
}

pub fn parse_segment(field: &str, text: &str) -> Result<Option<Segment>> {
    let w = words(text);
    if w.is_empty() {
        return Ok(None);
    }
    if let Ok(segment) = Segment::parse(field, text) {
        return Ok(Some(segment));
    }
    let has = |needles: &[&str]| needles.iter().any(|n| w.contains(n));
    if has(&["enterprise", "strategic", "large"]) {
        Ok(Some(Segment::Enterprise))
    } else if has(&["mid", "smb", "small", "medium", "commercial"]) {
        Ok(Some(Segment::SmbMidMarket))
    } else if has(&["startup", "developer", "self serve", "self service"]) {
        Ok(Some(Segment::DevelopersStartups))
    } else {
        Err(KeelError::invalid(
            field,
            format!("'{}' is not a segment (enterprise, smb-mid-market, developers-startups)", text.trim()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("c", "USD").unwrap_or_else(|_| unreachable!())
    }

    fn amount(text: &str) -> Option<(i64, &'static str)> {
        parse_amount("amount", text, None, usd(), DecimalMark::Unknown)
            .ok()
            .map(|m| (m.amount_minor, m.currency.code()))
    }

    #[test]
    fn amounts_as_crms_and_spreadsheets_write_them() {
        assert_eq!(amount("12,500.00"), Some((1_250_000, "USD")));
        assert_eq!(amount("$12,500"), Some((1_250_000, "USD")));
        assert_eq!(amount("12.500,50 €"), Some((1_250_050, "EUR")));
        assert_eq!(amount("1 234,5"), Some((123_450, "USD")));
        assert_eq!(amount("EUR 900"), Some((90_000, "EUR")));
        assert_eq!(amount("900 GBP"), Some((90_000, "GBP")));
        assert_eq!(amount("1,234"), Some((123_400, "USD")), "three digits after one comma are thousands");
        assert_eq!(amount("1,5"), Some((150, "USD")), "one decimal after a comma is a decimal comma");
        assert_eq!(amount("1.234.567"), Some((123_456_700, "USD")));
        assert_eq!(amount("¥1,000"), Some((1_000, "JPY")), "yen has no minor unit");
        assert_eq!(amount("1'250.75"), Some((125_075, "USD")));
        assert!(amount("12.345").is_none(), "a lone dot is a decimal point, and USD has two decimals");
        assert!(amount("1,0,0").is_none(), "digits grouped other than in threes");
        assert!(amount("(500)").is_none(), "a negative amount is refused");
        assert!(amount("12.5.0,1").is_none());
        assert!(amount("abc").is_none());
        assert!(amount("1.005,123").is_none(), "more decimals than USD has");
        let eur = Currency::parse("c", "EUR").ok();
        let clash = parse_amount("amount", "£5", eur, usd(), DecimalMark::Unknown)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(clash.contains("GBP") && clash.contains("EUR"), "{clash}");
    }

    #[test]
    fn dates_in_iso_and_us_forms() {
        let day = |t: &str, o| parse_day("d", t, o).ok().map(|d| d.to_string());
        assert_eq!(day("2026-03-04", DateOrder::MonthFirst).as_deref(), Some("2026-03-04"));
        assert_eq!(day("3/4/2026", DateOrder::MonthFirst).as_deref(), Some("2026-03-04"));
        assert_eq!(day("3/4/2026", DateOrder::DayFirst).as_deref(), Some("2026-04-03"));
        assert_eq!(day("04.03.2026", DateOrder::MonthFirst).as_deref(), Some("2026-03-04"), "dots are D.M.Y");
        assert_eq!(day("3/4/26 10:30 PM", DateOrder::MonthFirst).as_deref(), Some("2026-03-04"));
        assert_eq!(day("2026-03-04 23:30:00", DateOrder::MonthFirst).as_deref(), Some("2026-03-04"));
        assert_eq!(day("2026-03-04T23:30:00-05:00", DateOrder::MonthFirst).as_deref(), Some("2026-03-05"));
        let hint = parse_day("close_date", "25/12/2026", DateOrder::MonthFirst)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(hint.contains("read the file with day-first dates"), "{hint}");
        assert!(day("2/30/2026", DateOrder::MonthFirst).is_none());
        assert!(day("1/1/1800", DateOrder::MonthFirst).is_none(), "out of range");
    }

    #[test]
    fn probabilities_and_labels() {
        let p = |t: &str| parse_probability("p", t).ok().map(|b| b.0);
        assert_eq!(p("25"), Some(2_500));
        assert_eq!(p("12.5 %"), Some(1_250));
        assert_eq!(p("0.25"), Some(2_500), "HubSpot writes fractions");
        assert_eq!(p("100"), Some(10_000));
        assert!(p("120").is_none());
        let s = |t: &str| parse_source("s", t).ok().flatten().map(|s| s.as_str());
        assert_eq!(s("Partner Referral"), Some("partner"));
        assert_eq!(s("Employee Referral"), Some("referral"));
        assert_eq!(s("Trade Show"), Some("event"));
        assert_eq!(s("Web"), Some("inbound"));
        assert_eq!(s("Other"), None);
        assert_eq!(
            s("Carrier pigeon"),
            Some("other"),
            "a source of its own is kept under other, not refused"
        );
        let t = |x: &str| parse_deal_type("t", x).ok().flatten().map(|t| t.as_str());
        assert_eq!(t("Existing Customer - Upgrade"), Some("expansion"));
        assert_eq!(t("newbusiness"), Some("new-business"));
        assert_eq!(t("Renewal"), Some("renewal"));
    }
}
