//! Import from Keel, Salesforce, HubSpot and Pipedrive exports (CSV in several
//! encodings, XLSX, JSON), export, re-import, revert, and malformed files.

use crate::CurrentUser;
use crate::Fixture;
use keel::domain::ImportKind;
use keel::services::deals as deal_svc;
use keel::services::export::{self, ExportFormat, ExportKind};
use keel::services::import::{self, DateOrder, ImportOptions, ImportReport, RowAction};
use keel::services::moves::{move_deal, MoveInput};
use keel::store::deals::DealFilter;

pub fn salesforce_csv() -> Vec<u8> {
    // As Salesforce writes a report export: UTF-8 with a BOM, CRLF, quoted amounts, US dates.
    let text = "Opportunity ID,Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Probability (%),\
Close Date,Created Date,Lead Source,Type,Fiscal Period\r\n\
0065g00000AbcD1,Maria Lopez,\"Nova Games, Inc.\",Nova voice rollout,Prospecting,\"$120,000.00\",10,6/30/2026,1/15/2026,Web,New Business,Q2-2026\r\n\
0065g00000AbcD2,Maria Lopez,Apex Labs,Apex expansion,Negotiation/Review,\"45,500.50\",90,4/15/2026,11/3/2025,Partner Referral,Existing Customer - Upgrade,Q2-2026\r\n\
0065g00000AbcD3,Tom Reed,Lumen Studios,Lumen platform,Closed Won,\"250,000.00\",100,2/27/2026,9/1/2025,Trade Show,New Customer,Q1-2026\r\n\
0065g00000AbcD4,Tom Reed,Orbit Media,Orbit pilot,Closed Lost,\"18,000.00\",0,1/31/2026,10/10/2025,Cold Call,New Customer,Q1-2026\r\n";
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(text.as_bytes());
    bytes
}

fn hubspot_csv() -> Vec<u8> {
    "Record ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal owner,Associated Company,Deal Type,Deal probability\n\
9001,Zephyr SDK,appointmentscheduled,Sales Pipeline,30000,2026-05-01 00:00,2026-01-10 14:30,Ana Almeida,Zephyr Play,newbusiness,\n\
9002,Helix renewal,closedwon,Sales Pipeline,8000.5,2026-02-01,2025-12-01 09:00,Ana Almeida,Helix Cloud,existingbusiness,1\n\
9003,Kite trial,contractsent,Sales Pipeline,12000,2026-04-30,2026-02-20,Sam Park,Kite Networks,newbusiness,\n"
        .as_bytes()
        .to_vec()
}

/// Pipedrive as Excel re-saves it on a European Windows machine: Windows-1252,
/// semicolons, decimal commas.
fn pipedrive_cp1252() -> Vec<u8> {
    let text = "Deal - ID;Deal - Title;Deal - Value;Deal - Currency;Deal - Stage;Deal - Status;Deal - Owner;\
Deal - Organization;Deal - Deal created;Deal - Won time;Deal - Lost time;Deal - Expected close date;Deal - Lost reason\r\n\
11;Café rollout;12.500,50;EUR;Demo Scheduled;open;José Núñez;Café Müller GmbH;2026-01-05 10:00:00;;;2026-05-31;\r\n\
12;Müller expansion;8.000;EUR;Proposal Made;won;José Núñez;Café Müller GmbH;2025-11-01 09:00:00;2026-02-10 16:45:00;;2026-02-28;\r\n\
13;Zürich pilot;3.000;CHF;Qualified;lost;José Núñez;Zürich Games AG;2025-12-01 09:00:00;;2026-01-20 11:00:00;2026-02-15;Went with a competitor\r\n";
    text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text")).collect()
}

fn options() -> ImportOptions {
    ImportOptions::default()
}

fn run(
    fx: &mut Fixture,
    kind: ImportKind,
    bytes: &[u8],
    options: &ImportOptions,
) -> keel::Result<ImportReport> {
    import::run(&mut fx.ws, fx.ae, kind, "file.csv", bytes, options, &mut |_| {})
}

fn deal_named(fx: &Fixture, name: &str) -> keel::store::deals::Deal {
    deal_svc::list(&fx.ws, fx.ws.me(), &deal_svc::DealQuery { limit: Some(500), ..Default::default() })
        .expect("list")
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("deal {name} should exist"))
}

fn deal_count(fx: &Fixture) -> usize {
    deal_svc::list(&fx.ws, fx.ws.me(), &deal_svc::DealQuery { limit: Some(500), ..Default::default() })
        .expect("list")
        .len()
}

#[test]
fn a_salesforce_export_comes_in_with_its_history() {
    let mut fx = Fixture::seeded();
    let nova = fx.account("Nova Games", "novagames.com");
    let report = run(&mut fx, ImportKind::Deals, &salesforce_csv(), &options()).expect("import");
    assert_eq!(report.source_system.as_str(), "salesforce");
    assert_eq!((report.counts.created, report.counts.rejected), (4, 0), "{:?}", report.rows);
    assert_eq!(report.related.accounts_created, 3, "'Nova Games, Inc.' is the existing Nova Games");
    assert_eq!(report.related.team_members_created, 2, "two unknown owners join the team");
    let stage_of = |label: &str| {
        report
            .stage_labels
            .iter()
            .find(|l| l.label == label)
            .and_then(|l| l.stage.clone())
            .unwrap_or_default()
    };
    assert_eq!(stage_of("Prospecting"), "Qualification", "10% is nearest Qualification's 10%");
    assert_eq!(stage_of("Negotiation/Review"), "Negotiation", "90% is nearest Negotiation's 75%");

    let rollout = deal_named(&fx, "Nova voice rollout");
    assert_eq!(rollout.account_id, Some(nova));
    assert_eq!(rollout.amount.expect("a known amount").amount_minor, 12_000_000);
    assert_eq!(rollout.source.as_str(), "inbound");
    assert_eq!(
        rollout.created_at.date_naive().to_string(),
        "2026-01-15",
        "the creation date comes from the file"
    );
    assert_eq!(rollout.expected_close_date.expect("a close date").to_string(), "2026-06-30");
    assert_eq!(rollout.owner_name, "Maria Lopez");

    let expansion = deal_named(&fx, "Apex expansion");
    assert_eq!(expansion.amount.expect("a known amount").amount_minor, 4_550_050);
    assert_eq!((expansion.source.as_str(), expansion.deal_type.as_str()), ("partner", "expansion"));

    let won = deal_named(&fx, "Lumen platform");
    assert!(won.is_won);
    assert_eq!(
        won.closed_on.map(|d| d.to_string()).as_deref(),
        Some("2026-02-27"),
        "closed on its close date"
    );
    assert_eq!(won.created_at.date_naive().to_string(), "2025-09-01");
    let history = keel::services::deals::view(&fx.ws, fx.ws.me(), won.id).expect("view").history;
    let path: Vec<&str> = history.iter().map(|h| h.to_stage.as_str()).collect();
    assert_eq!(path, ["Lead", "Closed Won"], "entered the pipeline when created, won when closed");
    assert_eq!(history[1].changed_at.date_naive().to_string(), "2026-02-27");
    assert!(history[0].override_reason.as_deref().is_some_and(|r| r.contains("salesforce")));

    let lost = deal_named(&fx, "Orbit pilot");
    assert!(lost.is_closed && !lost.is_won);
    assert_eq!(lost.source.as_str(), "outbound");
}

#[test]
fn a_hubspot_export_maps_internal_stage_names_by_position() {
    let mut fx = Fixture::seeded();
    let report = run(&mut fx, ImportKind::Deals, &hubspot_csv(), &options()).expect("import");
    assert_eq!(report.source_system.as_str(), "hubspot");
    assert_eq!(report.counts.created, 3, "{:?}", report.rows);
    assert_eq!(report.related.team_members_created, 1, "Ana Almeida exists; Sam Park is new");
    assert_eq!(deal_named(&fx, "Zephyr SDK").stage_name, "Lead", "first of HubSpot's five → first stage");
    assert_eq!(deal_named(&fx, "Kite trial").stage_name, "Negotiation", "last open → last open");
    let renewal = deal_named(&fx, "Helix renewal");
    assert!(renewal.is_won);
    assert_eq!(renewal.amount.expect("a known amount").amount_minor, 800_050);
    assert_eq!(renewal.deal_type.as_str(), "expansion", "existingbusiness");
    assert_eq!(deal_named(&fx, "Zephyr SDK").created_at.to_rfc3339(), "2026-01-10T14:30:00+00:00");
}

#[test]
fn a_pipedrive_export_in_windows_1252_with_decimal_commas() {
    let mut fx = Fixture::seeded();
    let report = run(&mut fx, ImportKind::Deals, &pipedrive_cp1252(), &options()).expect("import");
    assert_eq!(report.source_system.as_str(), "pipedrive");
    assert_eq!(report.file.to_string(), "CSV (Windows-1252, semicolon-separated)");
    assert_eq!(report.counts.created, 3, "{:?}", report.rows);
    let open = deal_named(&fx, "Café rollout");
    assert_eq!((open.amount.expect("a known amount").amount_minor, open.currency.code()), (1_250_050, "EUR"));
    assert_eq!(open.stage_name, "Discovery & Demo");
    assert_eq!(open.owner_name, "José Núñez");
    assert_eq!(open.account_name.as_deref(), Some("Café Müller GmbH"));
    let won = deal_named(&fx, "Müller expansion");
    assert_eq!(won.amount.expect("a known amount").amount_minor, 800_000, "8.000 is eight thousand");
    assert_eq!(won.closed_on.map(|d| d.to_string()).as_deref(), Some("2026-02-10"), "the won time");
    let history = keel::services::deals::view(&fx.ws, fx.ws.me(), won.id).expect("view").history;
    let path: Vec<&str> = history.iter().map(|h| h.to_stage.as_str()).collect();
    assert_eq!(path, ["Proof of Concept", "Closed Won"], "won from the stage Pipedrive had it in");
    assert_eq!(history[1].changed_at.to_rfc3339(), "2026-02-10T16:45:00+00:00");
    let lost = deal_named(&fx, "Zürich pilot");
    assert_eq!(lost.loss_reason.as_deref(), Some("Went with a competitor"));
    assert_eq!(lost.currency.code(), "CHF");
    assert_eq!(report.related.accounts_created, 2, "one organization, two deals");
}

#[test]
fn xlsx_and_utf16_files_read_like_csv() {
    let mut fx = Fixture::seeded();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("m/d/yyyy");
    for (col, header) in ["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date", "Created Date"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).expect("header");
    }
    let close = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 7, 31).expect("date");
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 2, 1).expect("date");
    sheet.write_string(1, 0, "Sheet deal").expect("cell");
    sheet.write_string(1, 1, "Prism Media").expect("cell");
    sheet.write_string(1, 2, "Qualification").expect("cell");
    sheet.write_number(1, 3, 98_765.43).expect("cell");
    sheet.write_datetime_with_format(1, 4, &close, &date).expect("cell");
    sheet.write_datetime_with_format(1, 5, &created, &date).expect("cell");
    let bytes = book.save_to_buffer().expect("xlsx");
    let report = run(&mut fx, ImportKind::Deals, &bytes, &options()).expect("xlsx import");
    assert!(report.file.to_string().starts_with("XLSX"), "{}", report.file);
    let deal = deal_named(&fx, "Sheet deal");
    assert_eq!(
        deal.amount.expect("a known amount").amount_minor,
        9_876_543,
        "an Excel number becomes exact minor units"
    );
    assert_eq!(deal.expected_close_date.expect("a close date").to_string(), "2026-07-31");
    assert_eq!(deal.created_at.date_naive().to_string(), "2026-02-01");

    let text = "name\taccount\tamount\tstage\tclose_date\nTab deal\tPrism Media\t1500\tLead\t2026-09-30\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let report = run(&mut fx, ImportKind::Deals, &utf16, &options()).expect("utf-16 import");
    assert_eq!(report.file.to_string(), "CSV (UTF-16LE, tab-separated)");
    assert_eq!(
        deal_named(&fx, "Tab deal").account_name.as_deref(),
        Some("Prism Media"),
        "matched the account the XLSX created"
    );
}

#[test]
fn a_dry_run_reports_row_by_row_and_keeps_nothing() {
    let mut fx = Fixture::seeded();
    let before = fx.snapshot();
    let report =
        run(&mut fx, ImportKind::Deals, &salesforce_csv(), &ImportOptions { dry_run: true, ..options() })
            .expect("dry run");
    assert!(report.dry_run && report.batch.is_none());
    assert_eq!(report.rows.len(), 4);
    assert!(report.rows.iter().all(|r| r.action == RowAction::Create && r.entity_id.is_none()));
    assert_eq!(report.rows[0].line, 2, "the header is line 1");
    assert_eq!(before, fx.snapshot(), "a dry run writes nothing");
}

fn with_bad_rows() -> Vec<u8> {
    "Opportunity Name,Account Name,Stage,Amount,Close Date,Created Date\n\
Good one,Acme,Qualification,1000,6/30/2026,1/1/2026\n\
No amount,Acme,Qualification,,6/30/2026,1/1/2026\n\
Bad date,Acme,Qualification,1000,25/12/2026,1/1/2026\n\
Odd stage,Acme,Frobnicate,1000,6/30/2026,1/1/2026\n\
Ragged,Acme,Qualification,1000,6/30/2026,1/1/2026,extra\n\
\"Multi\nline name\",Acme,Qualification,1000,6/30/2026,1/1/2026\n\
Good two,Acme,Lead,\"2,000\",7/31/2026,1/1/2026\n"
        .as_bytes()
        .to_vec()
}

#[test]
fn bad_rows_are_reported_by_line_and_the_good_ones_go_in() {
    let mut fx = Fixture::seeded();
    let report = run(&mut fx, ImportKind::Deals, &with_bad_rows(), &options()).expect("import");
    let rejected: Vec<(u64, &str)> = report
        .rows
        .iter()
        .filter(|r| r.action == RowAction::Reject)
        .map(|r| (r.line, r.detail.as_str()))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(
        rejected[0].0 == 4 && rejected[0].1.contains("read the file with day-first dates"),
        "{rejected:?}"
    );
    assert!(rejected[1].0 == 6 && rejected[1].1.contains("7 cells"), "{rejected:?}");
    assert!(
        rejected[2].0 == 7 && rejected[2].1.contains("name"),
        "a line break in a name is refused: {rejected:?}"
    );
    let no_amount = report.rows.iter().find(|r| r.line == 3).expect("line 3");
    assert_eq!(no_amount.action, RowAction::Create, "a deal without an amount is kept");
    assert!(no_amount.detail.contains("amount not known"), "{}", no_amount.detail);
    assert_eq!(deal_named(&fx, "No amount").amount, None);
    let odd = report.stage_labels.iter().find(|l| l.label == "Frobnicate").expect("label");
    assert_eq!(odd.stage.as_deref(), Some("Lead"), "an unknown label is placed first, not refused");
    assert!(odd.by.contains("--map 'stage:Frobnicate=STAGE'"), "{}", odd.by);
    assert_eq!(report.counts.created, 4);
    assert_eq!(deal_count(&fx), 4, "the valid rows went in");
    assert_eq!(report.related.accounts_created, 1, "rejected rows created nothing, not even their account");

    let rejects = report.rejects_csv();
    let lines: Vec<&str> = rejects.lines().collect();
    assert!(lines[0].ends_with("Keel reject reason,Keel line"), "{}", lines[0]);
    assert!(lines[1].starts_with("Bad date,Acme") && lines[1].ends_with(",4"), "{}", lines[1]);
    // The rejects file re-imports: its own columns are ignored, its rows are rejected for the same reasons.
    let again =
        run(&mut fx, ImportKind::Deals, rejects.as_bytes(), &ImportOptions { dry_run: true, ..options() })
            .expect("rejects re-import");
    assert!(again.columns.iter().any(|c| c.column == "Keel reject reason" && c.field.is_none()));
}

#[test]
fn strict_refuses_the_whole_file_and_writes_nothing() {
    let mut fx = Fixture::seeded();
    let strict = ImportOptions { strict: true, ..options() };
    fx.refuses("3 of 7 rows are bad", |ws| {
        let ae = ws.principal(None)?;
        import::run(ws, ae, ImportKind::Deals, "bad.csv", &with_bad_rows(), &strict, &mut |_| {})
    });
}

#[test]
fn malformed_files_get_a_clear_message_and_write_nothing() {
    let mut fx = Fixture::seeded();
    let mut junk: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    junk[10] = 0;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("is empty", Vec::new()),
        ("is empty", b"\n\n  \n".to_vec()),
        ("header row but no data rows", b"Opportunity Name,Account Name,Amount\n".to_vec()),
        (
            "line 3: a quoted field opens here and is never closed",
            b"name,account,amount,stage,close_date\nA,B,1,Lead,2026-09-01\n\"C,D,2,Lead,2026-09-01\n"
                .to_vec(),
        ),
        ("not a text file", junk),
        ("no column holds the deals amount", b"Opportunity Name,Account Name\nA,B\n".to_vec()),
        ("legacy Excel", vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
        ("cannot be read", b"PK\x03\x04 not really a zip".to_vec()),
    ];
    for (needle, bytes) in cases {
        fx.refuses(needle, |ws| {
            let ae = ws.principal(None)?;
            import::run(ws, ae, ImportKind::Deals, "bad.csv", &bytes, &ImportOptions::default(), &mut |_| {})
        });
    }
}

#[test]
fn a_ten_megabyte_cell_rejects_its_row_only() {
    let mut fx = Fixture::seeded();
    let huge = "x".repeat(10 * 1024 * 1024);
    let text = format!(
        "name,account,amount,stage,close_date\n{huge},Acme,100,Lead,2026-09-01\nFine,Acme,100,Lead,2026-09-01\n"
    );
    let report = run(&mut fx, ImportKind::Deals, text.as_bytes(), &options()).expect("import");
    assert_eq!((report.counts.created, report.counts.rejected), (1, 1));
    let reason = &report.rows[0].detail;
    assert!(reason.contains("name: is too long"), "{reason}");
}

#[test]
fn map_overrides_columns_and_stage_labels() {
    let mut fx = Fixture::seeded();
    let file = b"Title,Client,Worth,Phase,Due\nMapped deal,Quill Labs,900,Frobnicate,2026-10-01\n";
    let options = ImportOptions {
        maps: vec![
            "Title=name".into(),
            "Client=account".into(),
            "Worth=amount".into(),
            "Phase=stage".into(),
            "Due=close_date".into(),
            "stage:Frobnicate=Discovery & Demo".into(),
        ],
        ..options()
    };
    let report = run(&mut fx, ImportKind::Deals, file, &options).expect("import");
    assert_eq!(report.counts.created, 1, "{:?}", report.rows);
    assert_eq!(deal_named(&fx, "Mapped deal").stage_name, "Discovery & Demo");
    let bad = ImportOptions { maps: vec!["Title=nonsense".into()], ..ImportOptions::default() };
    fx.refuses("'nonsense' is not a deals field", |ws| {
        let ae = ws.principal(None)?;
        import::run(ws, ae, ImportKind::Deals, "f.csv", file, &bad, &mut |_| {})
    });
    let dmy = ImportOptions { date_order: Some(DateOrder::DayFirst), ..ImportOptions::default() };
    let report = run(
        &mut fx,
        ImportKind::Deals,
        b"name,account,amount,stage,close_date\nEuro dated,Quill Labs,1,Lead,31/12/2026\n",
        &dmy,
    )
    .expect("dmy");
    assert_eq!(report.counts.created, 1);
    assert_eq!(
        deal_named(&fx, "Euro dated").expected_close_date.expect("a close date").to_string(),
        "2026-12-31"
    );
}

fn edited_salesforce() -> Vec<u8> {
    String::from_utf8(salesforce_csv())
        .expect("utf-8")
        .replace("\"$120,000.00\"", "\"$150,000.00\"")
        .replace("Negotiation/Review,\"45,500.50\",90", "Closed Won,\"45,500.50\",100")
        .into_bytes()
}

#[test]
fn reimporting_updates_instead_of_duplicating_and_revert_undoes_each_batch() {
    let mut fx = Fixture::seeded();
    fx.account("Nova Games", "novagames.com");
    let before_any = fx.snapshot();
    let first = run(&mut fx, ImportKind::Deals, &salesforce_csv(), &options()).expect("first import");
    let same = run(&mut fx, ImportKind::Deals, &salesforce_csv(), &options()).expect("same file again");
    assert_eq!((same.counts.created, same.counts.unchanged), (0, 4), "the same file changes nothing");
    let after_first = fx.snapshot_without_batches();
    let second = run(&mut fx, ImportKind::Deals, &edited_salesforce(), &options()).expect("edited file");
    assert_eq!((second.counts.created, second.counts.updated, second.counts.unchanged), (0, 2, 2));
    assert_eq!(deal_count(&fx), 4, "matched on the Opportunity ID, not duplicated");
    assert_eq!(deal_named(&fx, "Nova voice rollout").amount.map(|m| m.amount_minor), Some(15_000_000));
    let won = deal_named(&fx, "Apex expansion");
    assert!(won.is_won, "the stage change is applied");
    assert_eq!(won.closed_on.map(|d| d.to_string()).as_deref(), Some("2026-04-15"));

    fx.refuses("revert import 3 first", |ws| {
        let ae = ws.principal(None)?;
        import::revert(ws, ae, first.batch.expect("batch"))
    });
    let undone = import::revert(&mut fx.ws, fx.ae, second.batch.expect("batch")).expect("revert second");
    assert_eq!((undone.removed, undone.restored), (0, 2));
    let restored = deal_named(&fx, "Apex expansion");
    assert_eq!((restored.stage_name.as_str(), restored.closed_on), ("Negotiation", None));
    let history = keel::services::deals::view(&fx.ws, fx.ws.me(), restored.id).expect("view").history;
    let path: Vec<&str> = history.iter().map(|h| h.to_stage.as_str()).collect();
    assert_eq!(path, ["Negotiation", "Closed Won", "Negotiation"], "history is appended to, never erased");
    assert_eq!(deal_named(&fx, "Nova voice rollout").amount.map(|m| m.amount_minor), Some(12_000_000));
    assert_ne!(after_first, fx.snapshot_without_batches(), "the revert's own history entry remains");

    import::revert(&mut fx.ws, fx.ae, first.batch.expect("batch")).expect("revert first");
    assert_eq!(deal_count(&fx), 0, "every created deal is gone");
    let conn = rusqlite::Connection::open(&fx.path).expect("open");
    let accounts: i64 = conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).expect("count");
    assert_eq!(accounts, 1, "created accounts are gone; the existing Nova Games stays");
    let members: i64 = conn.query_row("SELECT count(*) FROM team_members", [], |r| r.get(0)).expect("count");
    assert_eq!(members, 2, "created owners are gone");
    assert!(before_any.len() < fx.snapshot().len(), "batches and the audit log keep the story");
    assert!(
        import::list(&fx.ws, fx.ws.me(), None)
            .expect("list")
            .iter()
            .filter(|b| b.reverted_at.is_some())
            .count()
            == 2
    );
}

#[test]
fn revert_is_refused_when_an_imported_deal_was_worked_on() {
    let mut fx = Fixture::seeded();
    let report = run(&mut fx, ImportKind::Deals, &hubspot_csv(), &options()).expect("import");
    let deal = deal_named(&fx, "Zephyr SDK");
    fx.clock.advance(chrono::Duration::hours(1));
    move_deal(&mut fx.ws, fx.ae, deal.id, MoveInput { stage: "Qualification".into(), ..Default::default() })
        .expect("move");
    let batch = report.batch.expect("batch");
    fx.refuses("was changed after the import", |ws| {
        let ae = ws.principal(None)?;
        import::revert(ws, ae, batch)
    });
}

/// Exports from one workspace, imports into an empty one: the same records, history included.
#[test]
fn export_then_import_reproduces_the_records_with_their_history() {
    let source_dir = tempfile::tempdir().expect("dir");
    let clock = keel::clock::FixedClock::at(crate::start());
    let mut source =
        keel::services::Workspace::open(&source_dir.path().join("a.db"), std::sync::Arc::new(clock.clone()))
            .expect("open");
    keel::services::demo::generate(&mut source, keel::services::demo::DemoOptions { deals: 150, seed: 7 })
        .expect("demo");
    let export_of = |ws: &keel::services::Workspace, kind, format| {
        let mut out = Vec::new();
        export::write(ws, ws.me(), kind, format, &mut out).expect("export");
        out
    };
    let activities =
        String::from_utf8(export_of(&source, ExportKind::Activities, ExportFormat::Json)).expect("utf-8");
    let activities: serde_json::Value = serde_json::from_str(&activities).expect("activities JSON");
    let first = &activities[0];
    assert!(
        first["subject"].is_string() && first["account"].is_string() && first["owner"].is_string(),
        "{first}"
    );
    assert!(activities.as_array().is_some_and(|a| a.len() > 150), "the demo's activities are exported");
    for format in [ExportFormat::Csv, ExportFormat::Json] {
        let mut fx = Fixture::seeded();
        for (kind, export_kind) in [
            (ImportKind::Accounts, ExportKind::Accounts),
            (ImportKind::Contacts, ExportKind::Contacts),
            (ImportKind::Deals, ExportKind::Deals),
        ] {
            let file = export_of(&source, export_kind, format);
            let report = run(&mut fx, kind, &file, &options()).expect("import");
            assert_eq!(
                report.counts.rejected,
                0,
                "{kind}: {:?}",
                report.rows.iter().find(|r| r.detail.contains(':'))
            );
            assert_eq!(report.source_system.as_str(), "keel");
        }
        for kind in [ExportKind::Accounts, ExportKind::Contacts, ExportKind::Deals] {
            let without_ids = |bytes: Vec<u8>| -> Vec<String> {
                let text = String::from_utf8(bytes).expect("utf-8");
                text.lines()
                    .map(|l| match format {
                        ExportFormat::Csv => l.split_once(',').map_or(l, |(_, rest)| rest).to_string(),
                        ExportFormat::Json => {
                            l.split_once(",\"name\"").map_or(l.to_string(), |(_, rest)| rest.to_string())
                        }
                    })
                    .collect()
            };
            let original = without_ids(export_of(&source, kind, format));
            let copy = without_ids(export_of(&fx.ws, kind, format));
            assert_eq!(original.len(), copy.len(), "{kind:?} {format:?}: same number of records");
            for (a, b) in original.iter().zip(&copy) {
                assert_eq!(
                    a, b,
                    "{kind:?} {format:?}: every field and history entry survives the round trip"
                );
            }
        }
    }
}

#[test]
fn contacts_and_accounts_import_and_match_by_email_and_domain() {
    let mut fx = Fixture::seeded();
    let accounts = b"Account ID,Account Name,Website,Industry,Billing Country\n\
001A,Nova Games,https://www.novagames.com/,Gaming,Germany\n001B,Apex Labs,apexlabs.io,SaaS,France\n";
    let report = run(&mut fx, ImportKind::Accounts, accounts, &options()).expect("accounts");
    assert_eq!(report.counts.created, 2);
    let contacts = b"Contact ID,First Name,Last Name,Title,Email,Account Name\n\
003A,Lena,Fischer,CTO,lena@novagames.com,Nova Games\n\
003B,Omar,Haddad,VP Eng,omar@apexlabs.io,\n\
003C,No,Account,CEO,ceo@unknown.example,\n";
    let report = run(&mut fx, ImportKind::Contacts, contacts, &options()).expect("contacts");
    assert_eq!((report.counts.created, report.counts.rejected), (2, 1), "{:?}", report.rows);
    assert!(
        report.rows[2].detail.contains("no account has the e-mail's domain"),
        "{}",
        report.rows[2].detail
    );
    let retitled = String::from_utf8_lossy(contacts).replace("CTO", "Chief Technology Officer");
    let again = run(&mut fx, ImportKind::Contacts, retitled.as_bytes(), &options()).expect("again");
    assert_eq!((again.counts.created, again.counts.updated), (0, 1), "matched on the Contact ID");
}

#[test]
fn duplicate_accounts_are_found_and_merged() {
    let mut fx = Fixture::seeded();
    let acme = fx.account("Acme", "acme.com");
    let acme_eu = fx.account("Acme Europe", "eu.acme.com");
    let acme_inc = keel::services::accounts::create(
        &mut fx.ws,
        fx.ae,
        keel::services::accounts::AccountInput { name: "ACME, Inc.".into(), ..Default::default() },
    )
    .expect("account")
    .id;
    let labs = fx.account("Nova Labs", "novalabs.io");
    let lab = fx.account("Nova Lab", "novalab.io");
    fx.account("Nova Games 2", "novagames2.com");
    fx.account("Nova Games 3", "novagames3.com");
    let groups = keel::services::duplicates::account_duplicates(&fx.ws, fx.ws.me()).expect("duplicates");
    let ids: Vec<Vec<keel::domain::AccountId>> =
        groups.iter().map(|g| g.accounts.iter().map(|a| a.id).collect()).collect();
    assert_eq!(ids, vec![vec![acme, acme_eu, acme_inc], vec![labs, lab]], "numbers apart are not duplicates");
    assert!(groups[0].reasons.iter().any(|r| r.contains("same domain acme.com")), "{:?}", groups[0].reasons);

    let input = fx.deal_input(acme_eu);
    let deal = deal_svc::create(&mut fx.ws, fx.ae, input).expect("deal").id;
    fx.refuses("cannot be merged into itself", |ws| {
        let ae = ws.principal(None)?;
        keel::services::duplicates::merge(ws, ae, acme, acme)
    });
    let report = keel::services::duplicates::merge(&mut fx.ws, fx.ae, acme, acme_eu).expect("merge");
    assert_eq!(report.moved.deals, 1);
    assert_eq!(
        deal_svc::get(&fx.ws, fx.ws.me(), deal).expect("deal").account_id,
        Some(acme),
        "the deal moved to the survivor"
    );
    assert!(
        keel::services::accounts::get(&fx.ws, fx.ws.me(), acme_eu).is_err(),
        "the merged account is gone"
    );
    let audit = fx.ws.audit_log(Some("account"), Some(acme.0), None).expect("audit");
    assert!(audit.iter().any(|e| e.action == "account.merge"), "the merge is recorded");
    let inc_merge = keel::services::duplicates::merge(&mut fx.ws, fx.ae, acme_inc, acme).expect("merge");
    assert_eq!(inc_merge.kept.domain.as_deref(), Some("acme.com"), "the survivor takes a domain it lacked");
    let listed = keel::store::deals::list(
        &rusqlite::Connection::open(&fx.path).expect("open"),
        &DealFilter { account: Some(acme_inc), limit: 10, ..Default::default() },
        crate::start(),
    )
    .expect("list");
    assert_eq!(listed.len(), 1);
}
