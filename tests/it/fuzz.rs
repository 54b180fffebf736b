//! Property tests of everything that parses outside input: money, dates, percentages,
//! exchange rates, and whole import files. Bounded (a fixed number of cases, run by the
//! test command); each case must neither panic nor leave a partial write.

use crate::Fixture;
use keel::domain::{parse_date, ImportKind};
use keel::money::{BasisPoints, Currency, FxRate, Money};
use keel::services::import::{self, ImportOptions};
use proptest::prelude::*;

const MAX_SAFE: i64 = (1 << 53) - 1;

/// Cells an export can hold, the awkward ones on purpose.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("$1,000.00".to_string()),
        Just("9007199254740993".to_string()),
        Just("-5".to_string()),
        Just("1e9".to_string()),
        Just("13/45/2026".to_string()),
        Just("2026-02-30".to_string()),
        Just("2/29/2028".to_string()),
        Just("Closed Won".to_string()),
        Just("Prospecting".to_string()),
        Just("Ana Almeida".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        Just("tab\there".to_string()),
        Just("bell\u{7}".to_string()),
        Just("ünïcödé 🚀".to_string()),
        "[ -~]{0,24}",
        "[0-9.,$€ -]{0,14}",
    ]
}

fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::collection::vec(cell(), 8), 0..12).prop_map(|rows| {
        let mut out = String::from(
            "Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Close Date,Created Date\r\n",
        );
        for row in rows {
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out.into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn money_parsing_never_panics_and_stays_exact(text in "\\PC{0,30}", exponent in 0u8..=3) {
        let currency = match exponent { 0 => "JPY", 3 => "KWD", _ => "USD" };
        let currency = Currency::parse("currency", currency).expect("known currency");
        if let Ok(money) = Money::parse("amount", &text, currency) {
            prop_assert!((0..=MAX_SAFE).contains(&money.amount_minor), "{text:?} → {}", money.amount_minor);
        }
    }

    #[test]
    fn amounts_read_back_exactly(minor in 0i64..=MAX_SAFE) {
        let currency = Currency::parse("currency", "USD").expect("USD");
        let text = format!("{}.{:02}", minor / 100, minor % 100);
        prop_assert_eq!(Money::parse("amount", &text, currency).expect("valid").amount_minor, minor);
    }

    #[test]
    fn dates_percentages_and_rates_never_panic(text in "\\PC{0,24}") {
        if let Ok(date) = parse_date("date", &text) {
            prop_assert!((1900..=2200).contains(&chrono::Datelike::year(&date)));
        }
        if let Ok(bp) = BasisPoints::parse_percent("share", &text) {
            prop_assert!(bp.0 <= 10_000, "{text:?} → {}", bp.0);
        }
        let _ = FxRate::parse("rate", &text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any CSV of awkward cells: the import either refuses it and writes nothing, or
    /// writes whole rows that keep every invariant. A dry run never writes.
    #[test]
    fn any_import_file_is_taken_whole_or_refused_whole(bytes in csv_file(), strict in any::<bool>()) {
        let mut fx = Fixture::seeded();
        let before = fx.snapshot();
        let dry = ImportOptions { dry_run: true, strict, ..Default::default() };
        let _ = import::run(&mut fx.ws, fx.ae, ImportKind::Deals, "fuzz.csv", &bytes, &dry, &mut |_| {});
        prop_assert_eq!(&fx.snapshot(), &before, "a dry run writes nothing");
        let real = ImportOptions { strict, ..Default::default() };
        match import::run(&mut fx.ws, fx.ae, ImportKind::Deals, "fuzz.csv", &bytes, &real, &mut |_| {}) {
            Err(_) => prop_assert_eq!(&fx.snapshot(), &before, "a refused file writes nothing"),
            Ok(_) => prop_assert_eq!(fx.ws.invariant_problems().expect("check"), Vec::<String>::new()),
        }
    }

    /// Arbitrary bytes (invalid UTF-8, binary, truncated XLSX headers) are refused cleanly.
    #[test]
    fn arbitrary_bytes_never_panic_the_import(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut fx = Fixture::seeded();
        let before = fx.snapshot();
        let options = ImportOptions::default();
        if import::run(&mut fx.ws, fx.ae, ImportKind::Deals, "fuzz.csv", &bytes, &options, &mut |_| {}).is_err() {
            prop_assert_eq!(&fx.snapshot(), &before);
        }
    }
}
