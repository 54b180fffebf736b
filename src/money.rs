//! Money and rates. Amounts are integer minor units with an ISO 4217 currency;
//! rates and probabilities are basis points. No floating point anywhere here.

use crate::{KeelError, Result};
use serde::{Serialize, Serializer};
use std::fmt;

/// Largest magnitude Keel accepts for any amount: 2^53 - 1 minor units, so every
/// amount survives a trip through JavaScript numbers in the desktop app unchanged.
pub const MAX_AMOUNT_MINOR: i64 = (1 << 53) - 1;

/// Active ISO 4217 codes with their minor-unit exponent.
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Looks a code up in ISO 4217 (case-insensitive). `field` names the input for errors.
    pub fn parse(field: &str, text: &str) -> Result<Currency> {
        let wanted = text.trim().to_ascii_uppercase();
        if wanted.is_empty() {
            return Err(KeelError::invalid(field, "is required (an ISO 4217 code such as USD)"));
        }
        ISO_4217
            .iter()
            .find(|(code, _)| *code == wanted)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| {
                KeelError::invalid(field, format!("'{}' is not an ISO 4217 currency code", text.trim()))
            })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point in this currency (USD 2, JPY 0, BHD 3).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse("currency", &code).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    /// A non-negative amount within [`MAX_AMOUNT_MINOR`]; what every deal amount must be.
    pub fn non_negative(field: &str, amount_minor: i64, currency: Currency) -> Result<Money> {
        if amount_minor < 0 {
            return Err(KeelError::invalid(
                field,
                format!("must not be negative (got {amount_minor} minor units)"),
            ));
        }
        if amount_minor > MAX_AMOUNT_MINOR {
            return Err(KeelError::invalid(
                field,
                format!("is too large (at most {MAX_AMOUNT_MINOR} minor units)"),
            ));
        }
        Ok(Money { amount_minor, currency })
    }

    /// Parses a decimal amount written by a person ("12,500.50", "12500", "-3") into
    /// minor units of `currency`, refusing more decimals than the currency has.
    pub fn parse(field: &str, text: &str, currency: Currency) -> Result<Money> {
        Money::parse_marked(field, text, currency, DecimalMark::Unknown)
    }

    /// A number from another system's file, which may carry more decimals than its
    /// currency has (Salesforce computes amounts like MXN 9225.225): rounded half-even
    /// to the currency's minor unit, once, here. The flag says whether it was rounded.
    pub fn parse_rounding(
        field: &str,
        text: &str,
        currency: Currency,
        mark: DecimalMark,
    ) -> Result<(Money, bool)> {
        const FINEST: u8 = 6;
        let exponent = currency.exponent();
        let fine = parse_scaled(field, text, FINEST.max(exponent), Some(currency), mark)?;
        let scale = 10i128.pow(u32::from(FINEST.max(exponent) - exponent));
        let rounded = div_round_half_even(i128::from(fine), scale);
        let rounded = i64::try_from(rounded).map_err(|_| {
            KeelError::invalid(field, format!("is too large (at most {MAX_AMOUNT_MINOR} minor units)"))
        })?;
        Ok((Money::non_negative(field, rounded, currency)?, i128::from(rounded) * scale != i128::from(fine)))
    }

    /// [`Money::parse`] for a number whose decimal mark is known (from its file).
    pub fn parse_marked(field: &str, text: &str, currency: Currency, mark: DecimalMark) -> Result<Money> {
        let amount_minor = parse_scaled(field, text, currency.exponent(), Some(currency), mark)?;
        Money::non_negative(field, amount_minor, currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.code(), format_minor(self.amount_minor, self.currency.exponent()))
    }
}

/// Formats minor units with thousands separators: 1234567 (exp 2) -> "12,345.67".
pub fn format_minor(amount_minor: i64, exponent: u8) -> String {
    let negative = amount_minor < 0;
    let digits = amount_minor.unsigned_abs().to_string();
    let exp = exponent as usize;
    let padded = if digits.len() <= exp {
        format!("{}{}", "0".repeat(exp + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (whole, frac) = padded.split_at(padded.len() - exp);
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if exp == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// Which mark a number's decimals follow. Typed amounts are `Unknown` and read as
/// described at [`read_decimal`]; a file whose amounts show their convention (an
/// importer detects it from its unambiguous values) reads every amount by it, so
/// "8.000" in a file that also has "12.500,50" is eight thousand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalMark {
    #[default]
    Unknown,
    Point,
    Comma,
}

impl DecimalMark {
    /// What one value shows of its convention, if anything: both marks (the last is the
    /// decimal one), or a lone mark that cannot be grouping (not followed by exactly
    /// three digits).
    pub fn shown_by(text: &str) -> Option<DecimalMark> {
        let (dot, comma) = (text.rfind('.'), text.rfind(','));
        let lone = |at: usize, count: usize| {
            let after = text[at + 1..].chars().take_while(char::is_ascii_digit).count();
            count == 1 && after != 3 && after > 0
        };
        match (dot, comma) {
            (Some(d), Some(c)) => Some(if d > c { DecimalMark::Point } else { DecimalMark::Comma }),
            (Some(d), None) if lone(d, text.matches('.').count()) => Some(DecimalMark::Point),
            (None, Some(c)) if lone(c, text.matches(',').count()) => Some(DecimalMark::Comma),
            _ => None,
        }
    }
}

/// Characters people group thousands with besides ',' and '.': spaces (plain, no-break,
/// narrow no-break), the Swiss apostrophe and Rust's underscore.
const GROUPING_MARKS: [char; 6] = [' ', '\u{a0}', '\u{202f}', '\'', '\u{2019}', '_'];

/// The one reading of a typed number, shared by every front door and the importer.
/// Returns the whole and fractional digits, or why the text is not one number.
/// "12,500.50", "12.500,50", "1 234,5" and "1,50" (1.50) are read as a person reads
/// them; a lone dot is always a decimal point, a lone comma before exactly three digits
/// groups thousands. Digits grouped other than in threes ("1,0,0") are refused.
fn read_decimal(text: &str, mark: DecimalMark) -> std::result::Result<(String, String), String> {
    const HOW: &str = "write it like 12500, 12,500.00 or 12.500,00";
    if text.is_empty() {
        return Err(format!("is empty ({HOW})"));
    }
    if let Some(bad) =
        text.chars().find(|c| !c.is_ascii_digit() && *c != '.' && *c != ',' && !GROUPING_MARKS.contains(c))
    {
        return Err(format!("is not an amount: '{bad}' is not a digit or separator ({HOW})"));
    }
    let spaces: Vec<char> = GROUPING_MARKS.iter().copied().filter(|m| text.contains(*m)).collect();
    if spaces.len() > 1 {
        return Err(format!("mixes {} kinds of digit grouping ({HOW})", spaces.len()));
    }
    let (dots, commas) = (text.matches('.').count(), text.matches(',').count());
    let decimal = match mark {
        DecimalMark::Point if dots > 1 => return Err(format!("has more than one decimal point ({HOW})")),
        DecimalMark::Comma if commas > 1 => return Err(format!("has more than one decimal comma ({HOW})")),
        DecimalMark::Point => (dots == 1).then_some('.'),
        DecimalMark::Comma => (commas == 1).then_some(','),
        DecimalMark::Unknown => match (dots, commas) {
            (0, 0) => None,
            (_, 0) if dots > 1 => None, // 1.234.567: dots group thousands
            (_, 0) => Some('.'),
            // One comma and exactly three digits after it groups thousands (1,500); with
            // any other count it can only be a decimal comma (1,5 and 1,50 are 1.50).
            (0, 1) if spaces.is_empty() && text.len() - text.rfind(',').map_or(0, |i| i + 1) == 3 => None,
            (0, 1) => Some(','),
            (0, _) => None,
            _ => {
                // Both: the one that comes last is the decimal mark, and it appears once.
                let mark = if text.rfind(',') > text.rfind('.') { ',' } else { '.' };
                if text.matches(mark).count() > 1 {
                    return Err(format!("mixes '.' and ',' in a way that is not one number ({HOW})"));
                }
                Some(mark)
            }
        },
    };
    let (whole, frac) = match decimal {
        Some(mark) => {
            let at = text.rfind(mark).unwrap_or(0);
            (&text[..at], &text[at + 1..])
        }
        None => (text, ""),
    };
    if decimal.is_some() && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("has no digits after its decimal mark ({HOW})"));
    }
    if whole.is_empty() {
        return Err(format!(
            "has no digits before its decimal mark (write 0{}{frac})",
            decimal.unwrap_or('.')
        ));
    }
    let groups: Vec<&str> = whole.split(|c: char| !c.is_ascii_digit()).collect();
    let separators: Vec<char> = whole.chars().filter(|c| !c.is_ascii_digit()).collect();
    if separators.iter().any(|c| *c != separators[0]) {
        return Err(format!("mixes thousands separators ({HOW})"));
    }
    let grouped_well =
        groups.len() == 1 || ((1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped_well {
        return Err(format!("groups its digits oddly: thousands come in threes ({HOW})"));
    }
    Ok((groups.concat(), frac.to_string()))
}

/// Parses a decimal number people type ("12,500.5", "12.500,50", "1 234", "-3") into
/// units of 10^-`exponent`, refusing more decimals than `exponent` and anything ambiguous.
pub fn parse_minor_units(field: &str, text: &str, exponent: u8) -> Result<i64> {
    parse_scaled(field, text, exponent, None, DecimalMark::Unknown)
}

/// [`parse_minor_units`], naming the currency when there are too many decimals.
fn parse_scaled(
    field: &str,
    text: &str,
    exponent: u8,
    currency: Option<Currency>,
    mark: DecimalMark,
) -> Result<i64> {
    let trimmed = text.trim();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    let (whole, frac) = read_decimal(unsigned, mark)
        .map_err(|why| KeelError::invalid(field, format!("'{trimmed}' {why}")))?;
    if frac.len() > exponent as usize {
        let allowed = match (currency, exponent) {
            (Some(c), 0) => format!("{c} has no minor unit"),
            (Some(c), n) => format!("{c} has {n}"),
            (None, n) => format!("at most {n} are allowed"),
        };
        return Err(KeelError::invalid(
            field,
            format!("'{trimmed}' has {} decimal places; {allowed}", frac.len()),
        ));
    }
    let too_large =
        || KeelError::invalid(field, format!("is too large (at most {MAX_AMOUNT_MINOR} minor units)"));
    let scale = 10i64.pow(exponent as u32);
    let whole_value: i64 = whole.parse().map_err(|_| too_large())?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = exponent as usize).parse().map_err(|_| too_large())?
    };
    let magnitude =
        whole_value.checked_mul(scale).and_then(|v| v.checked_add(frac_value)).ok_or_else(too_large)?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// A rate or probability in basis points: 10,000 = 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct BasisPoints(pub u32);

impl BasisPoints {
    pub const HUNDRED_PERCENT: BasisPoints = BasisPoints(10_000);

    /// Parses a percentage a person writes ("25", "25%", "12.5 %", "12.34") into basis
    /// points, refusing anything outside 0–100 % or finer than 0.01 %.
    pub fn parse_percent(field: &str, text: &str) -> Result<BasisPoints> {
        let trimmed = text.trim();
        let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
        let bp = parse_minor_units(field, number, 2).map_err(|_| {
            KeelError::invalid(field, format!("'{trimmed}' is not a percentage (write it like 25 or 12.5%)"))
        })?;
        BasisPoints::checked(field, bp)
    }

    /// Parses a fraction ("0.25" is 25 %), as some systems export probabilities.
    pub fn parse_fraction(field: &str, text: &str) -> Result<BasisPoints> {
        let bp = parse_minor_units(field, text.trim(), 4)
            .map_err(|_| KeelError::invalid(field, format!("'{}' is not a fraction", text.trim())))?;
        BasisPoints::checked(field, bp)
    }

    pub fn checked(field: &str, bp: i64) -> Result<BasisPoints> {
        if !(0..=10_000).contains(&bp) {
            return Err(KeelError::invalid(
                field,
                format!("must be between 0% and 100% (got {})", format_minor(bp, 2)),
            ));
        }
        Ok(BasisPoints(bp as u32))
    }
}

impl fmt::Display for BasisPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        let frac = self.0 % 100;
        if frac == 0 {
            write!(f, "{whole}%")
        } else {
            write!(f, "{whole}.{frac:02}%")
        }
    }
}

/// An exchange rate: one unit of a currency is worth `rate_e9` / 10^9 units of the
/// quote currency. Nine decimals hold every published reference rate exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FxRate(pub i64);

impl FxRate {
    pub const SCALE: i64 = 1_000_000_000;
    /// The rate of a currency into itself.
    pub const IDENTITY: FxRate = FxRate(FxRate::SCALE);
    /// Far beyond any real pair (1 BTC-sized unit in the weakest currency), and small
    /// enough that amount × rate fits an i128 with room to spare.
    const MAX: i64 = 1_000_000_000 * FxRate::SCALE;

    /// Parses "1.0832": positive, at most nine decimals.
    pub fn parse(field: &str, text: &str) -> Result<FxRate> {
        let trimmed = text.trim();
        let scaled = parse_minor_units(field, trimmed, 9).map_err(|_| {
            KeelError::invalid(
                field,
                format!("'{trimmed}' is not an exchange rate (write it like 1.0832, at most 9 decimals)"),
            )
        })?;
        if scaled <= 0 {
            return Err(KeelError::invalid(field, format!("must be greater than zero (got {trimmed})")));
        }
        if scaled > FxRate::MAX {
            return Err(KeelError::invalid(field, format!("'{trimmed}' is too large")));
        }
        Ok(FxRate(scaled))
    }

    /// Converts minor units of `from` into minor units of `to` at this rate, rounded
    /// half-even once. The result may exceed [`MAX_AMOUNT_MINOR`]; callers sum in i128.
    pub fn convert(self, amount_minor: i64, from: Currency, to: Currency) -> i128 {
        let up = 10i128.pow(u32::from(to.exponent()));
        let down = 10i128.pow(u32::from(from.exponent())) * i128::from(FxRate::SCALE);
        div_round_half_even(i128::from(amount_minor) * i128::from(self.0) * up, down)
    }
}

impl fmt::Display for FxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_minor(self.0, 9).replace(',', "");
        let text = text.trim_end_matches('0');
        f.write_str(text.strip_suffix('.').unwrap_or(text))
    }
}

/// Divides with banker's rounding (half to even). Keel's single rounding rule.
pub fn div_round_half_even(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "denominator must be positive");
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    match (2 * remainder).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("currency", "usd").expect("USD is ISO 4217")
    }

    #[test]
    fn parses_amounts_as_people_write_them() {
        assert_eq!(parse_minor_units("amount", "12,500.5", 2).ok(), Some(1_250_050));
        assert_eq!(parse_minor_units("amount", "7", 0).ok(), Some(7));
        assert!(parse_minor_units("amount", "1.234", 2).is_err(), "USD has two decimals");
        assert!(parse_minor_units("amount", "1e5", 2).is_err(), "no exponent notation");
        assert!(parse_minor_units("amount", "", 2).is_err());
        assert!(parse_minor_units("amount", "99999999999999999999", 2).is_err(), "overflow is refused");
    }

    #[test]
    fn converts_at_exchange_rates_with_one_half_even_rounding() {
        let eur = Currency::parse("currency", "EUR").expect("EUR");
        let jpy = Currency::parse("currency", "JPY").expect("JPY");
        let rate = FxRate::parse("rate", "1.0832").expect("rate");
        assert_eq!(rate, FxRate(1_083_200_000));
        assert_eq!(rate.to_string(), "1.0832");
        assert_eq!(rate.convert(10_000, eur, usd()), 10_832, "EUR 100.00 is USD 108.32");
        assert_eq!(
            FxRate::parse("rate", "0.5").expect("rate").convert(1, eur, usd()),
            0,
            "0.5 rounds to even 0"
        );
        assert_eq!(
            FxRate::parse("rate", "1.5").expect("rate").convert(1, eur, usd()),
            2,
            "1.5 rounds to even 2"
        );
        assert_eq!(FxRate::parse("rate", "0.0067").expect("rate").convert(1_000, jpy, usd()), 670);
        assert_eq!(FxRate::IDENTITY.convert(MAX_AMOUNT_MINOR, usd(), usd()), i128::from(MAX_AMOUNT_MINOR));
        for bad in ["0", "-1.2", "abc", "1.0000000001", ""] {
            assert!(FxRate::parse("rate", bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn refuses_negative_and_oversize_money() {
        let err = Money::parse("amount", "-5", usd()).expect_err("negative");
        assert!(err.to_string().contains("amount: must not be negative"), "{err}");
        assert!(Money::non_negative("amount", MAX_AMOUNT_MINOR + 1, usd()).is_err());
        assert!(Money::non_negative("amount", MAX_AMOUNT_MINOR, usd()).is_ok());
    }

    #[test]
    fn formats_with_the_currency_exponent() {
        assert_eq!(format_minor(1_234_567, 2), "12,345.67");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(1_000, 0), "1,000");
        assert_eq!(format_minor(-100_000, 3), "-100.000");
    }

    #[test]
    fn rounds_half_to_even() {
        assert_eq!(div_round_half_even(25, 10), 2);
        assert_eq!(div_round_half_even(35, 10), 4);
        assert_eq!(div_round_half_even(-25, 10), -2);
        assert_eq!(div_round_half_even(26, 10), 3);
    }

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(BasisPoints::parse_percent("p", "12.5%").ok(), Some(BasisPoints(1250)));
        assert_eq!(BasisPoints::parse_percent("p", "100").ok(), Some(BasisPoints(10_000)));
        assert!(BasisPoints::parse_percent("p", "101").is_err());
        assert!(BasisPoints::parse_percent("p", "-1").is_err());
        assert_eq!(BasisPoints(1250).to_string(), "12.50%");
    }
}
