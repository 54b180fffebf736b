//! Files other CRMs really wrote (tests/fixtures/exports, origins in its README), imported
//! with no options: every record lands, the won / lost / open counts are the ones the
//! file's own columns give, and importing the file again changes nothing.

use crate::Fixture;
use keel::domain::ImportKind;
use keel::services::deals::{self, DealQuery};
use keel::services::import::{self, ImportOptions, ImportReport};
use keel::store::deals::DealStatus;
use std::collections::HashMap;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import(fx: &mut Fixture, name: &str) -> ImportReport {
    let ae = fx.ae;
    import::run(
        &mut fx.ws,
        ae,
        ImportKind::Deals,
        name,
        &fixture(name),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .expect("the file imports")
}

/// The file's rows as maps from column to cell, read with Python-like CSV rules by the
/// test itself (not Keel's reader): the oracle for what the file says.
fn rows_of(name: &str, encoding_1252: bool) -> Vec<HashMap<String, String>> {
    let bytes = fixture(name);
    let text: String = if encoding_1252 {
        bytes.iter().filter(|b| **b != 0).map(|&b| b as char).collect()
    } else {
        String::from_utf8(bytes).expect("utf-8").trim_start_matches('\u{feff}').to_string()
    };
    let mut records = Vec::new();
    let (mut cell, mut row, mut quoted) = (String::new(), Vec::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        records.push(row);
    }
    let header = records.remove(0);
    records
        .into_iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

/// (won, lost, open) of the deals in the workspace.
fn outcomes(fx: &Fixture) -> (usize, usize, usize) {
    let all =
        deals::list(&fx.ws, &DealQuery { status: DealStatus::Any, limit: Some(500), ..Default::default() })
            .expect("deals");
    let won = all.iter().filter(|d| d.is_won).count();
    let lost = all.iter().filter(|d| d.is_closed && !d.is_won).count();
    (won, lost, all.len() - won - lost)
}

fn lands_whole_and_again_changes_nothing(fx: &mut Fixture, name: &str, rows: usize) -> ImportReport {
    let report = import(fx, name);
    let rejected: Vec<_> =
        report.rows.iter().filter(|r| r.detail.contains(':') && r.entity_id.is_none()).collect();
    assert_eq!(report.counts.rejected, 0, "{name}: {rejected:?}");
    assert_eq!(report.counts.created as usize, rows, "{name}: every record lands");
    let again = import(fx, name);
    assert_eq!(
        (again.counts.created, again.counts.updated, again.counts.unchanged as usize),
        (0, 0, rows),
        "{name}: importing it again changes nothing"
    );
    report
}

#[test]
fn hubspot_default_view_without_a_company_column() {
    let mut fx = Fixture::seeded();
    let name = "hubspot-all-deals-default-view.csv";
    let rows = rows_of(name, false);
    assert_eq!(rows.len(), 87);
    let report = lands_whole_and_again_changes_nothing(&mut fx, name, rows.len());
    assert_eq!(report.source_system.as_str(), "hubspot");
    let stage = |r: &HashMap<String, String>| r["Deal Stage"].clone();
    let won = rows.iter().filter(|r| stage(r) == "Closed: won").count();
    let lost =
        rows.iter().filter(|r| matches!(stage(r).as_str(), "Closed: lost" | "Closed: abandoned")).count();
    assert_eq!(
        outcomes(&fx),
        (won, lost, rows.len() - won - lost),
        "the file has no flags: its stage labels decide"
    );
    let without_amount = rows.iter().filter(|r| r["Amount"].is_empty()).count();
    let metrics = keel::services::metrics::compute(&fx.ws, &Default::default()).expect("metrics");
    assert_eq!(
        metrics.figures.deals_without_amount as usize, without_amount,
        "blank amounts are kept as unknown"
    );
    let deactivated =
        deals::list(&fx.ws, &DealQuery { status: DealStatus::Any, limit: Some(500), ..Default::default() })
            .expect("deals")
            .into_iter()
            .filter(|d| d.owner_name.contains("(Deactivated User)"))
            .count();
    assert_eq!(deactivated, 1, "an owner who has left is kept as the file names them");
}

#[test]
fn hubspot_every_property_with_repeated_columns_and_closed_flags() {
    let mut fx = Fixture::seeded();
    let name = "hubspot-all-deals-every-property.csv";
    let rows = rows_of(name, false);
    let report = lands_whole_and_again_changes_nothing(&mut fx, name, rows.len());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("'Associated Company' twice") && n.contains("'Associated Company (2)'")),
        "{:?}",
        report.notes
    );
    let closed = |r: &HashMap<String, String>| r["Is Deal Closed?"] == "true";
    let won = rows.iter().filter(|r| closed(r) && r["Deal Stage"] == "Closed: won").count();
    let lost = rows.iter().filter(|r| closed(r)).count() - won;
    assert_eq!(
        outcomes(&fx),
        (won, lost, rows.len() - won - lost),
        "Is Deal Closed? decides, as HubSpot says"
    );
    let abandoned = rows.iter().filter(|r| r["Deal Stage"] == "Closed: abandoned" && !closed(r)).count();
    assert!(abandoned > 0);
    let placed = report.rows.iter().filter(|r| r.detail.contains("the file says open")).count();
    assert_eq!(placed, abandoned, "each abandoned-but-open deal says where it went");
}

#[test]
fn a_public_pipeline_data_set_with_no_name_column() {
    for (name, notes) in [
        ("crm-sales-pipeline-us-dates.csv", "dates read month first"),
        ("crm-sales-pipeline-day-first.csv", "dates read day first"),
    ] {
        let mut fx = Fixture::seeded();
        let rows = rows_of(name, false);
        let report = lands_whole_and_again_changes_nothing(&mut fx, name, rows.len());
        assert_eq!(report.source_system.as_str(), "generic", "{name}: not taken for a HubSpot export");
        assert!(report.notes.iter().any(|n| n.contains(notes)), "{name}: {:?}", report.notes);
        assert!(report.notes.iter().any(|n| n.contains("no name column")), "{:?}", report.notes);
        let stage = |r: &HashMap<String, String>| r["deal_stage"].clone();
        let won = rows.iter().filter(|r| stage(r) == "Won").count();
        let lost = rows.iter().filter(|r| stage(r) == "Lost").count();
        assert_eq!(outcomes(&fx), (won, lost, rows.len() - won - lost), "{name}");
        let first = &rows[0];
        let named = format!("{} – {}", first["account"], first["product"]);
        let deal = deals::list(
            &fx.ws,
            &DealQuery { status: DealStatus::Any, limit: Some(500), ..Default::default() },
        )
        .expect("deals")
        .into_iter()
        .find(|d| d.name == named);
        assert!(deal.is_some(), "{name}: a deal is named by its account and product ({named})");
    }
}

#[test]
fn a_salesforce_data_export_opportunity_file() {
    let mut fx = Fixture::seeded();
    let name = "salesforce-data-export/Opportunity.csv";
    let rows = rows_of(name, true);
    assert_eq!(rows.len(), 58);
    let report = lands_whole_and_again_changes_nothing(&mut fx, name, rows.len());
    assert_eq!(report.source_system.as_str(), "salesforce");
    assert!(report.notes.iter().any(|n| n.contains("NUL")), "{:?}", report.notes);
    assert!(report.notes.iter().any(|n| n.contains("rounded half-even")), "{:?}", report.notes);
    let won = rows.iter().filter(|r| r["IsWon"] == "1").count();
    let lost = rows.iter().filter(|r| r["IsClosed"] == "1" && r["IsWon"] != "1").count();
    assert_eq!(outcomes(&fx), (won, lost, rows.len() - won - lost), "IsClosed and IsWon decide");
    for label in ["Negociación", "Firmas", "Presentación Propuesta"] {
        let placed = report.stage_labels.iter().find(|l| l.label == label).expect("label");
        assert!(
            placed.by.starts_with("probability"),
            "{label} is placed by the file's own probabilities: {}",
            placed.by
        );
    }
    let currencies: std::collections::BTreeSet<String> =
        deals::list(&fx.ws, &DealQuery { status: DealStatus::Any, limit: Some(500), ..Default::default() })
            .expect("deals")
            .into_iter()
            .map(|d| d.currency.code().to_string())
            .collect();
    assert_eq!(currencies.into_iter().collect::<Vec<_>>(), ["COP", "MXN", "PEN", "USD"]);
}

fn salesforce_files() -> keel::services::import::salesforce::ExportFiles {
    ["Opportunity.csv", "OpportunityHistory.csv", "Account.csv", "User.csv"]
        .into_iter()
        .map(|name| (name.to_string(), fixture(&format!("salesforce-data-export/{name}"))))
        .collect()
}

#[test]
fn a_salesforce_data_export_as_a_whole_joins_accounts_owners_and_history() {
    let mut fx = Fixture::seeded();
    let ae = fx.ae;
    let files = salesforce_files();
    let report = import::salesforce::run(&mut fx.ws, ae, &files, &ImportOptions::default(), &mut |_| {})
        .expect("the export imports");
    let opportunities = rows_of("salesforce-data-export/Opportunity.csv", true);
    let accounts = rows_of("salesforce-data-export/Account.csv", true);
    assert_eq!(report.accounts.as_ref().map(|a| a.counts.created as usize), Some(accounts.len()));
    assert_eq!(
        (report.deals.counts.created as usize, report.deals.counts.rejected),
        (opportunities.len(), 0)
    );
    assert!(
        report.history_entries > opportunities.len(),
        "OpportunityHistory.csv brought stage changes back"
    );
    let all =
        deals::list(&fx.ws, &DealQuery { status: DealStatus::Any, limit: Some(500), ..Default::default() })
            .expect("deals");
    assert!(all.iter().all(|d| d.account_id.is_some()), "every opportunity found its account by AccountId");
    assert!(
        all.iter().all(|d| d.owner_name.starts_with("Usuario")),
        "owners are the export's users, by OwnerId"
    );
    let won = opportunities.iter().filter(|r| r["IsWon"] == "1").count();
    let lost = opportunities.iter().filter(|r| r["IsClosed"] == "1" && r["IsWon"] != "1").count();
    assert_eq!(outcomes(&fx), (won, lost, opportunities.len() - won - lost));
    let moved = all
        .iter()
        .filter(|d| deals::view(&fx.ws, d.id).map(|v| v.history.len() > 1).unwrap_or(false))
        .count();
    assert!(moved > opportunities.len() / 2, "most deals carry their path through the stages ({moved})");
    // The accent that arrived as UTF-8 inside the Windows-1252 file reads right.
    assert!(report.accounts.iter().flat_map(|a| &a.notes).any(|n| n.contains("UTF-8")));
    let again = import::salesforce::run(&mut fx.ws, ae, &files, &ImportOptions::default(), &mut |_| {})
        .expect("again");
    assert_eq!(
        (again.deals.counts.created, again.deals.counts.updated),
        (0, 0),
        "importing it again changes nothing"
    );
    assert_eq!(again.accounts.as_ref().map(|a| a.counts.created), Some(0));
}

#[test]
fn a_salesforce_data_export_zip_imports_as_its_folder_does() {
    use std::io::Write;
    let mut zipped = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zipped));
        let stored =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in salesforce_files() {
            writer.start_file(format!("WE_00D8a000000xxxx_1/{name}"), stored).expect("entry");
            writer.write_all(&bytes).expect("bytes");
        }
        writer.finish().expect("zip");
    }
    let files = import::salesforce::unzip(&zipped).expect("the archive reads");
    assert_eq!(files.len(), 4);
    let mut fx = Fixture::seeded();
    let ae = fx.ae;
    let report = import::salesforce::run(&mut fx.ws, ae, &files, &ImportOptions::default(), &mut |_| {})
        .expect("the zip imports");
    assert_eq!(report.deals.counts.created, 58);
    let err =
        import::salesforce::unzip(b"PK\x03\x04 not a zip").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("not a readable zip archive"), "{err}");
}
