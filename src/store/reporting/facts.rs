//! `deal_facts`: one narrow row per deal, everything `keel metrics` needs, so a report
//! over a million deals is one clustered scan instead of joins over deals, accounts,
//! registrations and 4 million stage-history rows.
//!
//! The table is derived. Temporary triggers, installed on every connection Keel opens,
//! note each deal a statement touches in `facts_dirty`; [`refresh_dirty`] rebuilds
//! those rows just before the transaction commits (`store::with_tx`), so the copy can
//! never be seen out of date. Only bulk loads switch tracking off ([`untracked`]); they
//! hand each deal they write to a [`FactWriter`] instead, and [`rebuild_all`] (migration
//! 0004, a reporting-currency change) derives every row from the tables.
//!
//! The one decision made here is freezing exchange rates: a closed deal keeps the rate
//! in force on its close date into the reporting currency (`closed_deal_rates`).

use crate::domain::{DealSource, DealType, Segment};
use crate::money::FxRate;
use crate::store::fx::RateTable;
use crate::store::settings;
use crate::Result;
use chrono::{Datelike, NaiveDate};
use rusqlite::{params, Connection};
use std::collections::HashMap;

const TRACKING: &str = "
CREATE TEMP TABLE IF NOT EXISTS facts_dirty (deal_id INTEGER PRIMARY KEY);
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_deal_insert AFTER INSERT ON main.deals
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (NEW.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_deal_update AFTER UPDATE OF
    account_id, owner_id, stage_id, amount_minor, currency, expected_close_date, source, deal_type,
    probability_override_bp, closed_on, created_at ON main.deals
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (NEW.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_deal_delete AFTER DELETE ON main.deals
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (OLD.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_history_insert AFTER INSERT ON main.stage_history
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (NEW.deal_id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_history_delete AFTER DELETE ON main.stage_history
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (OLD.deal_id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_segment AFTER UPDATE OF segment ON main.accounts
BEGIN INSERT OR IGNORE INTO facts_dirty SELECT id FROM main.deals WHERE account_id = NEW.id; END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_registration_insert AFTER INSERT ON main.registrations
WHEN NEW.deal_id IS NOT NULL
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (NEW.deal_id); END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_registration_update AFTER UPDATE OF deal_id, status ON main.registrations
BEGIN
    INSERT OR IGNORE INTO facts_dirty SELECT NEW.deal_id WHERE NEW.deal_id IS NOT NULL;
    INSERT OR IGNORE INTO facts_dirty SELECT OLD.deal_id WHERE OLD.deal_id IS NOT NULL;
END;
CREATE TEMP TRIGGER IF NOT EXISTS facts_on_registration_delete AFTER DELETE ON main.registrations
WHEN OLD.deal_id IS NOT NULL
BEGIN INSERT OR IGNORE INTO facts_dirty VALUES (OLD.deal_id); END;
";

const TRIGGERS: &[&str] = &[
    "facts_on_deal_insert",
    "facts_on_deal_update",
    "facts_on_deal_delete",
    "facts_on_history_insert",
    "facts_on_history_delete",
    "facts_on_segment",
    "facts_on_registration_insert",
    "facts_on_registration_update",
    "facts_on_registration_delete",
];

/// Installs change tracking on a connection (idempotent).
pub fn track_changes(conn: &Connection) -> Result<()> {
    conn.execute_batch(TRACKING)?;
    Ok(())
}

/// Turns the change-tracking triggers off for a writer that marks what it changed itself
/// ([`mark_dirty`]) before [`track_changes`] turns them back on: an import knows every
/// deal it wrote from its batch records. A trigger on each insert also makes SQLite keep
/// a statement journal per row, which cost an import a tenth of its time.
pub fn pause_tracking(conn: &Connection) -> Result<()> {
    for trigger in TRIGGERS {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS temp.{trigger}"))?;
    }
    Ok(())
}

/// Marks the deals `select` returns (one column of deal ids) for a facts rebuild at commit.
pub fn mark_dirty(conn: &Connection, select: &str, params: impl rusqlite::Params) -> Result<()> {
    conn.execute(&format!("INSERT OR IGNORE INTO temp.facts_dirty {select}"), params)?;
    Ok(())
}

/// Runs a bulk load without per-row tracking. The loader hands each deal it writes to
/// the [`FactWriter`], which writes their facts in one sorted pass at the end: reading
/// a million deals and their history back would cost seconds.
pub fn untracked<T>(conn: &Connection, load: impl FnOnce(&mut FactWriter) -> Result<T>) -> Result<T> {
    for trigger in TRIGGERS {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS temp.{trigger}"))?;
    }
    let loaded = FactWriter::new(conn).and_then(|mut writer| {
        let value = load(&mut writer)?;
        writer.finish(conn)?;
        Ok(value)
    });
    // Tracking comes back whatever happened; the caller's transaction decides the rest.
    track_changes(conn)?;
    loaded
}

/// A deal as a bulk loader wrote it: what its facts are made of.
pub struct LoadedDeal<'a> {
    pub deal_id: i64,
    pub account_id: i64,
    pub owner_id: i64,
    pub stage_id: i64,
    pub source: DealSource,
    pub segment: Segment,
    pub deal_type: DealType,
    pub created_on: NaiveDate,
    pub expected_close: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// (stage id, day entered), oldest first.
    pub history: &'a [(i64, NaiveDate)],
}

/// Collects the facts of a bulk load (see [`untracked`]).
pub struct FactWriter {
    reporting: String,
    rates: RateTable,
    rows: Vec<NewFact>,
    freezes: Vec<(i64, String, String, i64)>,
}

impl FactWriter {
    fn new(conn: &Connection) -> Result<FactWriter> {
        let reporting = settings::reporting_currency(conn)?;
        let rates = RateTable::load(conn, &reporting)?;
        Ok(FactWriter { reporting, rates, rows: Vec::new(), freezes: Vec::new() })
    }

    pub fn add(&mut self, deal: &LoadedDeal<'_>) {
        let closed_rate = deal.closed_on.and_then(|day| {
            let day = day.to_string();
            let (rate, effective_on) = rate_at_close(&self.rates, &self.reporting, deal.currency, &day)?;
            if let Some(effective_on) = effective_on {
                self.freezes.push((deal.deal_id, day, effective_on, rate));
            }
            Some(rate)
        });
        let mut history = Vec::with_capacity(deal.history.len() * ENTRY_BYTES);
        for (stage, day) in deal.history {
            pack_entry(&mut history, *stage, day.num_days_from_ce());
        }
        let fixed = Packed {
            account_id: deal.account_id,
            stage_id: deal.stage_id,
            deal_type: code_of(DealType::ALL, DealType::as_str, deal.deal_type.as_str()),
            from_registration: false,
            created_day: deal.created_on.num_days_from_ce(),
            expected_close_day: deal.expected_close.num_days_from_ce(),
            amount_minor: Some(deal.amount_minor),
            currency: deal.currency,
            probability_override_bp: None,
            closed_rate_e9: closed_rate,
        };
        self.rows.push(NewFact::new(
            deal.closed_on.map_or(0, |d| d.num_days_from_ce()),
            deal.deal_id,
            deal.owner_id,
            code_of(DealSource::ALL, DealSource::as_str, deal.source.as_str()),
            code_of(Segment::ALL, Segment::as_str, deal.segment.as_str()),
            &fixed,
            &history,
        ));
    }

    fn finish(mut self, conn: &Connection) -> Result<()> {
        insert_facts(conn, &mut self.rows, Scope::All)?;
        insert_freezes(conn, &self.reporting, self.freezes)
    }
}

/// The rate of `currency` into `reporting` in force on `day`, and the date it took
/// effect when it must be frozen (None for the reporting currency itself).
pub(crate) fn rate_at_close(
    rates: &RateTable,
    reporting: &str,
    currency: &str,
    day: &str,
) -> Option<(i64, Option<String>)> {
    if currency == reporting {
        return Some((FxRate::IDENTITY.0, None));
    }
    rates.on(currency, day).map(|(effective_on, rate)| (rate.0, Some(effective_on.to_string())))
}

/// Rebuilds the facts of the deals changed in this transaction.
pub fn refresh_dirty(conn: &Connection) -> Result<()> {
    let pending: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM temp.facts_dirty)", [], |r| r.get(0))?;
    if !pending {
        return Ok(());
    }
    rebuild(conn, Scope::Dirty)?;
    conn.execute("DELETE FROM temp.facts_dirty", [])?;
    Ok(())
}

/// Rebuilds every fact (after a bulk load, a migration or a change of reporting currency).
pub fn rebuild_all(conn: &Connection) -> Result<()> {
    rebuild(conn, Scope::All)?;
    if has_tracking(conn)? {
        conn.execute("DELETE FROM temp.facts_dirty", [])?;
    }
    Ok(())
}

fn has_tracking(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE name = 'facts_dirty')",
        [],
        |r| r.get(0),
    )?)
}

/// Marks the closed deals in `currency` that have no frozen rate yet, after a new rate.
pub fn mark_unconverted(conn: &Connection, currency: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO temp.facts_dirty
         SELECT deal_id FROM deal_facts WHERE currency = ?1 AND closed_day > 0 AND closed_rate_e9 IS NULL",
        [currency],
    )?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Dirty,
}

impl Scope {
    fn filter(self, column: &str) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Dirty => format!("WHERE {column} IN (SELECT deal_id FROM temp.facts_dirty)"),
        }
    }
}

/// Day number of a `YYYY-MM-DD…` text, counted from 0001-01-01 (day 1), or None when
/// it is not a date. Reports compare and subtract these instead of parsing dates.
pub fn day_number(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num =
        |s: &[u8]| s.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    let date = chrono::NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)?;
    Some(chrono::Datelike::num_days_from_ce(&date))
}

/// The date of a day number.
pub fn day_date(day: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_num_days_from_ce_opt(day)
}

/// Position of a vocabulary word in its list, as stored in `deal_facts`.
fn code_of<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, text: &str) -> i64 {
    all.iter().position(|v| name(*v) == text).map_or(-1, |p| p as i64)
}

/// One stage-history entry as packed in `deal_facts.history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryEntry {
    pub stage_id: u16,
    pub day: i32,
}

pub(crate) const ENTRY_BYTES: usize = 6;

pub fn unpack_history(bytes: &[u8]) -> impl Iterator<Item = HistoryEntry> + '_ {
    bytes.chunks_exact(ENTRY_BYTES).map(|c| HistoryEntry {
        stage_id: u16::from_le_bytes([c[0], c[1]]),
        day: i32::from_le_bytes([c[2], c[3], c[4], c[5]]),
    })
}

fn pack_entry(into: &mut Vec<u8>, stage_id: i64, day: i32) {
    into.extend_from_slice(&(stage_id as u16).to_le_bytes());
    into.extend_from_slice(&day.to_le_bytes());
}

/// The fixed part of `deal_facts.packed`, little-endian, before the history entries:
/// account id i64 (0: none yet), stage id u32, deal type u8, from registration u8,
/// created day i32, expected close day i32 (0: not known), amount i64 (-1: not known),
/// currency 3 bytes, probability override i32 (-1: none), closed rate i64 (0: none).
struct Packed<'a> {
    account_id: i64,
    stage_id: i64,
    deal_type: i64,
    from_registration: bool,
    created_day: i32,
    expected_close_day: i32,
    amount_minor: Option<i64>,
    currency: &'a str,
    probability_override_bp: Option<i64>,
    closed_rate_e9: Option<i64>,
}

/// How an unknown amount is packed: amounts are never negative.
const AMOUNT_UNKNOWN: i64 = -1;

const PACKED_BYTES: usize = 45;

/// A row of `deal_facts`, ready to insert.
struct NewFact {
    closed_day: i32,
    deal_id: i64,
    owner_id: i64,
    source: i64,
    segment: i64,
    currency: String,
    closed_rate_e9: Option<i64>,
    packed: Vec<u8>,
}

impl NewFact {
    fn new(
        closed_day: i32,
        deal_id: i64,
        owner_id: i64,
        source: i64,
        segment: i64,
        fixed: &Packed<'_>,
        history: &[u8],
    ) -> NewFact {
        let mut packed = Vec::with_capacity(PACKED_BYTES + history.len());
        fixed.write(&mut packed);
        packed.extend_from_slice(history);
        NewFact {
            closed_day,
            deal_id,
            owner_id,
            source,
            segment,
            currency: fixed.currency.to_string(),
            closed_rate_e9: fixed.closed_rate_e9,
            packed,
        }
    }
}

impl Packed<'_> {
    fn write(&self, into: &mut Vec<u8>) {
        into.extend_from_slice(&self.account_id.to_le_bytes());
        into.extend_from_slice(&(self.stage_id as u32).to_le_bytes());
        into.push(self.deal_type as u8);
        into.push(u8::from(self.from_registration));
        into.extend_from_slice(&self.created_day.to_le_bytes());
        into.extend_from_slice(&self.expected_close_day.to_le_bytes());
        into.extend_from_slice(&self.amount_minor.unwrap_or(AMOUNT_UNKNOWN).to_le_bytes());
        let mut code = [b' '; 3];
        for (slot, byte) in code.iter_mut().zip(self.currency.bytes()) {
            *slot = byte;
        }
        into.extend_from_slice(&code);
        into.extend_from_slice(&(self.probability_override_bp.map_or(-1, |bp| bp as i32)).to_le_bytes());
        into.extend_from_slice(&self.closed_rate_e9.unwrap_or(0).to_le_bytes());
    }
}

fn rebuild(conn: &Connection, scope: Scope) -> Result<()> {
    if scope == Scope::All {
        // Reads and writes a million rows: a page cache to match (restored after).
        let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA cache_size = -262144")?;
        let rebuilt = rebuild_in(conn, scope);
        conn.execute_batch(&format!("PRAGMA cache_size = {cache}"))?;
        return rebuilt;
    }
    rebuild_in(conn, scope)
}

fn rebuild_in(conn: &Connection, scope: Scope) -> Result<()> {
    let reporting = settings::reporting_currency(conn)?;
    let rates = RateTable::load(conn, &reporting)?;
    let history = load_history(conn, scope)?;
    let mut frozen = load_frozen(conn, scope, &reporting)?;
    let mut freezes: Vec<(i64, String, String, i64)> = Vec::new();
    let mut thawed: Vec<i64> = Vec::new();

    match scope {
        Scope::All => conn.execute("DELETE FROM deal_facts", [])?,
        Scope::Dirty => conn
            .execute("DELETE FROM deal_facts WHERE deal_id IN (SELECT deal_id FROM temp.facts_dirty)", [])?,
    };
    // In id order, the order of the history: one merge, no lookups.
    let mut stmt = conn.prepare(&format!(
        "SELECT d.id, d.closed_on, d.account_id, d.owner_id, d.stage_id, d.source, a.segment, d.deal_type,
                d.created_at, d.expected_close_date, d.amount_minor, d.currency, d.probability_override_bp,
                EXISTS (SELECT 1 FROM registrations r
                        WHERE r.deal_id = d.id AND r.status IN ('approved', 'converted'))
         FROM deals d LEFT JOIN accounts a ON a.id = d.account_id {} ORDER BY d.id",
        scope.filter("d.id")
    ))?;
    let mut found = stmt.query([])?;
    let mut rows = Vec::new();
    let mut packed = Vec::with_capacity(ENTRY_BYTES * 8);
    let mut cursor = 0;
    while let Some(r) = found.next()? {
        let deal_id: i64 = r.get(0)?;
        packed.clear();
        while cursor < history.len() && history[cursor].0 < deal_id {
            cursor += 1;
        }
        while cursor < history.len() && history[cursor].0 == deal_id {
            pack_entry(&mut packed, history[cursor].1, history[cursor].2);
            cursor += 1;
        }
        let closed_on: Option<String> = r.get(1)?;
        let currency: String = r.get(11)?;
        let closed_rate = match closed_on.as_deref() {
            None => {
                if frozen.remove(&deal_id).is_some() {
                    thawed.push(deal_id);
                }
                None
            }
            Some(_) if currency == reporting => Some(FxRate::IDENTITY.0),
            Some(day) => match frozen.remove(&deal_id) {
                Some((on, rate)) if on == day => Some(rate),
                earlier => {
                    if earlier.is_some() {
                        thawed.push(deal_id);
                    }
                    rate_at_close(&rates, &reporting, &currency, day).map(|(rate, effective_on)| {
                        if let Some(effective_on) = effective_on {
                            freezes.push((deal_id, day.to_string(), effective_on, rate));
                        }
                        rate
                    })
                }
            },
        };
        let day = |i: usize| -> rusqlite::Result<i32> {
            Ok(r.get_ref(i)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?
                .and_then(day_number)
                .unwrap_or(0))
        };
        let fixed = Packed {
            account_id: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            stage_id: r.get(4)?,
            deal_type: code_of(DealType::ALL, DealType::as_str, text(r, 7)?),
            from_registration: r.get(13)?,
            created_day: day(8)?,
            expected_close_day: day(9)?,
            amount_minor: r.get(10)?,
            currency: &currency,
            probability_override_bp: r.get(12)?,
            closed_rate_e9: closed_rate,
        };
        rows.push(NewFact::new(
            closed_on.as_deref().and_then(day_number).unwrap_or(0),
            deal_id,
            r.get(3)?,
            code_of(DealSource::ALL, DealSource::as_str, text(r, 5)?),
            r.get_ref(6)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?
                .map_or(-1, |s| code_of(Segment::ALL, Segment::as_str, s)),
            &fixed,
            &packed,
        ));
    }
    drop(found);
    insert_facts(conn, &mut rows, scope)?;
    // Deals reopened (or gone) keep no frozen rate in any currency.
    thawed.extend(frozen.into_keys());
    let mut thaw = conn.prepare("DELETE FROM closed_deal_rates WHERE deal_id = ?1")?;
    for deal in thawed {
        thaw.execute([deal])?;
    }
    insert_freezes(conn, &reporting, freezes)
}

/// Writes fact rows in primary-key order, so the clustered table is appended to, not
/// shuffled; a full rebuild also builds the secondary indexes once, at the end.
fn insert_facts(conn: &Connection, rows: &mut [NewFact], scope: Scope) -> Result<()> {
    rows.sort_unstable_by_key(|f| (f.closed_day, f.deal_id));
    let write = || -> Result<()> {
        let mut insert = conn.prepare_cached(
            "INSERT INTO deal_facts (closed_day, deal_id, owner_id, source, segment, currency, closed_rate_e9, packed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for f in rows.iter() {
            insert.execute(params![
                f.closed_day,
                f.deal_id,
                f.owner_id,
                f.source,
                f.segment,
                f.currency,
                f.closed_rate_e9,
                f.packed
            ])?;
        }
        Ok(())
    };
    match scope {
        Scope::All => crate::store::with_indexes_deferred(conn, &["deal_facts"], write),
        Scope::Dirty => write(),
    }
}

/// Freezes the rates deals closed at: (deal, close date, effective date, rate ×10^9).
fn insert_freezes(
    conn: &Connection,
    reporting: &str,
    freezes: Vec<(i64, String, String, i64)>,
) -> Result<()> {
    let mut freeze = conn.prepare_cached(
        "INSERT OR REPLACE INTO closed_deal_rates (deal_id, quote, closed_on, effective_on, rate_e9)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (deal, closed_on, effective_on, rate) in freezes {
        freeze.execute(params![deal, reporting, closed_on, effective_on, rate])?;
    }
    Ok(())
}

/// (deal id, stage id, day) of every entry in scope, grouped by deal, oldest first.
fn load_history(conn: &Connection, scope: Scope) -> Result<Vec<(i64, i64, i32)>> {
    let order = match scope {
        // Rowid order is id order; the stable sort below then groups by deal.
        Scope::All => "ORDER BY h.id",
        Scope::Dirty => "ORDER BY h.deal_id, h.id",
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT h.deal_id, h.to_stage_id, substr(h.changed_at, 1, 10) FROM stage_history h {} {order}",
        scope.filter("h.deal_id")
    ))?;
    let mut rows = stmt.query([])?;
    let mut entries = Vec::new();
    while let Some(r) = rows.next()? {
        let day = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        entries.push((r.get(0)?, r.get(1)?, day_number(day).unwrap_or(0)));
    }
    entries.sort_by_key(|e| e.0);
    Ok(entries)
}

/// Frozen rates into `quote` in scope: deal id → (close date, rate).
fn load_frozen(conn: &Connection, scope: Scope, quote: &str) -> Result<HashMap<i64, (String, i64)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT c.deal_id, c.closed_on, c.rate_e9 FROM closed_deal_rates c {} {} c.quote = ?1",
        scope.filter("c.deal_id"),
        if scope == Scope::All { "WHERE" } else { "AND" }
    ))?;
    let rows = stmt.query_map([quote], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Which facts a report reads. Open deals are always included by [`scan_sql`].
#[derive(Debug, Clone, Default)]
pub struct FactFilter {
    /// Closed deals closed on or after this day number (all when None).
    pub closed_since: Option<i32>,
    pub owner_id: Option<i64>,
    pub segment: Option<Segment>,
    pub source: Option<DealSource>,
}

impl FactFilter {
    /// Whether a fact read some other way (a past day's) has the filter's owner, segment
    /// and source; its closing day is the caller's to weigh.
    pub fn matches_dimensions(&self, fact: &FactRef<'_>) -> bool {
        let code = |all_index: usize| i64::try_from(all_index).unwrap_or(-1);
        self.owner_id.is_none_or(|o| o == fact.owner_id)
            && self
                .segment
                .is_none_or(|s| code_of(Segment::ALL, Segment::as_str, s.as_str()) == code(fact.segment))
            && self
                .source
                .is_none_or(|s| code_of(DealSource::ALL, DealSource::as_str, s.as_str()) == code(fact.source))
    }
}

/// One fact, borrowed from the row being read. Days are day numbers ([`day_number`]).
#[derive(Clone, Copy)]
pub struct FactRef<'a> {
    /// 0 while the deal is open.
    pub closed_day: i32,
    pub deal_id: i64,
    /// 0 for a deal with no account yet.
    pub account_id: i64,
    pub owner_id: i64,
    pub stage_id: i64,
    /// Index in `DealSource::ALL`.
    pub source: usize,
    /// Index in `Segment::ALL` (past its end for a deal with no account).
    pub segment: usize,
    /// Index in `DealType::ALL`.
    pub deal_type: usize,
    pub created_day: i32,
    /// 0 when not known.
    pub expected_close_day: i32,
    /// None while the amount is not known: the deal counts, its money does not.
    pub amount_minor: Option<i64>,
    pub currency: &'a str,
    pub probability_override_bp: Option<i64>,
    pub closed_rate_e9: Option<i64>,
    pub from_registration: bool,
    pub history: &'a [u8],
}

const FACT_COLUMNS: &str = "closed_day, deal_id, owner_id, source, segment, packed";

pub type FactQuery = (String, Vec<rusqlite::types::Value>);

/// The report scan: open deals plus deals closed since the filter's day, matching its
/// owner, segment and source, in primary-key order.
pub fn scan_sql(filter: &FactFilter) -> FactQuery {
    let mut clauses = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(since) = filter.closed_since {
        values.push(i64::from(since).into());
        clauses.push(format!("(closed_day = 0 OR closed_day >= ?{})", values.len()));
    }
    add_dimensions(filter, &mut clauses, &mut values);
    (select_facts(&clauses), values)
}

/// Deals closed on or before `until` (a day number), any time before.
pub fn closed_until_sql(filter: &FactFilter, until: i32) -> FactQuery {
    let mut values: Vec<rusqlite::types::Value> = vec![i64::from(until).into()];
    let mut clauses = vec!["closed_day > 0 AND closed_day <= ?1".to_string()];
    add_dimensions(filter, &mut clauses, &mut values);
    (select_facts(&clauses), values)
}

fn add_dimensions(filter: &FactFilter, clauses: &mut Vec<String>, values: &mut Vec<rusqlite::types::Value>) {
    let mut add = |column: &str, value: i64| {
        values.push(value.into());
        clauses.push(format!("{column} = ?{}", values.len()));
    };
    if let Some(owner) = filter.owner_id {
        add("owner_id", owner);
    }
    if let Some(segment) = filter.segment {
        add("segment", code_of(Segment::ALL, Segment::as_str, segment.as_str()));
    }
    if let Some(source) = filter.source {
        add("source", code_of(DealSource::ALL, DealSource::as_str, source.as_str()));
    }
}

fn select_facts(clauses: &[String]) -> String {
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    format!("SELECT {FACT_COLUMNS} FROM deal_facts{filter}")
}

/// Runs a query built by [`scan_sql`] or [`closed_until_sql`], handing each fact to `each`.
pub fn scan(conn: &Connection, (sql, values): &FactQuery, mut each: impl FnMut(&FactRef<'_>)) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
    let int = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<i64> {
        r.get_ref(i)?.as_i64().map_err(Into::into)
    };
    while let Some(r) = rows.next()? {
        let packed = r.get_ref(5)?.as_blob().map_err(rusqlite::Error::from)?;
        if packed.len() < PACKED_BYTES {
            return Err(crate::KeelError::Schema(
                "deal_facts holds a malformed row; run `keel check`".into(),
            ));
        }
        let (fixed, history) = packed.split_at(PACKED_BYTES);
        let i64_at = |at: usize| i64::from_le_bytes(fixed[at..at + 8].try_into().expect("8 bytes"));
        let i32_at = |at: usize| i32::from_le_bytes(fixed[at..at + 4].try_into().expect("4 bytes"));
        let override_bp = i32_at(33);
        let rate = i64_at(37);
        let fact = FactRef {
            closed_day: int(r, 0)? as i32,
            deal_id: int(r, 1)?,
            owner_id: int(r, 2)?,
            source: int(r, 3)? as usize,
            segment: usize::try_from(int(r, 4)?).unwrap_or(usize::MAX),
            account_id: i64_at(0),
            stage_id: i64::from(u32::from_le_bytes(fixed[8..12].try_into().expect("4 bytes"))),
            deal_type: usize::from(fixed[12]),
            from_registration: fixed[13] != 0,
            created_day: i32_at(14),
            expected_close_day: i32_at(18),
            amount_minor: Some(i64_at(22)).filter(|a| *a != AMOUNT_UNKNOWN),
            currency: std::str::from_utf8(&fixed[30..33]).unwrap_or(""),
            probability_override_bp: (override_bp >= 0).then_some(i64::from(override_bp)),
            closed_rate_e9: (rate > 0).then_some(rate),
            history,
        };
        each(&fact);
    }
    Ok(())
}

fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(column)?.as_str().map_err(rusqlite::Error::from)
}

/// SQLite's plan for a report query, one line per step (for the plan tests).
pub fn plan(conn: &Connection, (sql, values): &FactQuery) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
