//! Keel's own invariants, beyond SQLite's integrity and foreign-key checks: what
//! `keel check` verifies after a crash, a restore or a hand edit. Each check is one
//! query that returns the rows breaking it, described for a person.

use super::facts;
use crate::Result;
use rusqlite::Connection;

/// (what the rule is, a query returning one description per row that breaks it)
const RULES: &[(&str, &str)] = &[
    (
        "a statement's total is the sum of its lines",
        "SELECT 'statement ' || s.id || ': total ' || s.total_minor || ', lines sum to ' || coalesce(sum(l.amount_minor), 0)
         FROM payout_statements s LEFT JOIN statement_lines l ON l.statement_id = s.id
         GROUP BY s.id HAVING s.total_minor <> coalesce(sum(l.amount_minor), 0)",
    ),
    (
        "a reversal is the exact negative of the ledger entry it reverses, once",
        "SELECT 'ledger entry ' || r.id || ' reverses entry ' || r.reverses_id || ' wrongly'
         FROM commission_ledger r JOIN commission_ledger o ON o.id = r.reverses_id
         WHERE r.kind <> 'reversal' OR r.amount_minor <> -o.amount_minor OR r.currency <> o.currency
            OR o.kind = 'reversal'
            OR (SELECT count(*) FROM commission_ledger x WHERE x.reverses_id = r.reverses_id) > 1",
    ),
    (
        "a statement line pays exactly its ledger entry",
        "SELECT 'statement line ' || l.id || ': ' || l.amount_minor || ' for ledger entry ' || c.id || ' of ' || c.amount_minor
         FROM statement_lines l JOIN commission_ledger c ON c.id = l.ledger_entry_id
         WHERE l.amount_minor <> c.amount_minor",
    ),
    (
        "a partner holds at most one open registration per domain",
        "SELECT 'partner ' || partner_id || ' holds ' || count(*) || ' open registrations for ' || registrable_domain
         FROM registrations WHERE status IN ('submitted', 'returned', 'approved')
         GROUP BY partner_id, registrable_domain HAVING count(*) > 1",
    ),
    (
        "a deal stands where its stage history ends",
        "SELECT 'deal ' || d.id || ' is in stage ' || d.stage_id || ' but its history ends in '
                || coalesce((SELECT h.to_stage_id FROM stage_history h WHERE h.deal_id = d.id ORDER BY h.id DESC LIMIT 1), 'nothing')
         FROM deals d
         WHERE d.stage_id IS NOT (SELECT h.to_stage_id FROM stage_history h WHERE h.deal_id = d.id ORDER BY h.id DESC LIMIT 1)",
    ),
    (
        "each stage change starts where the one before it ended",
        "SELECT 'stage change ' || id || ' of deal ' || deal_id || ' starts from ' || coalesce(from_stage_id, 'nothing')
                || ', the one before ended in ' || coalesce(previous, 'nothing')
         FROM (SELECT id, deal_id, from_stage_id,
                      lag(to_stage_id) OVER (PARTITION BY deal_id ORDER BY id) AS previous
               FROM stage_history)
         WHERE from_stage_id IS NOT previous",
    ),
];

/// At most this many rows are reported per rule: enough to find the fault.
const SHOWN_PER_RULE: usize = 20;

/// Every broken invariant, one line each (empty when all hold). `deal_facts` is
/// compared with a full rebuild inside a transaction that is rolled back, unless the
/// file is read-only.
pub fn problems(conn: &mut Connection) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (rule, sql) in RULES {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut broken = 0usize;
        while let Some(row) = rows.next()? {
            broken += 1;
            if broken <= SHOWN_PER_RULE {
                found.push(format!("{rule}: {}", row.get::<_, String>(0)?));
            }
        }
        if broken > SHOWN_PER_RULE {
            found.push(format!("{rule}: {} more", broken - SHOWN_PER_RULE));
        }
    }
    // The rebuild is a write (rolled back); a read-only file can only be checked as it is.
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Ok(found);
    }
    let stale = super::rehearse_tx(conn, |tx| {
        let before = digest(tx)?;
        facts::rebuild_all(tx)?;
        Ok(before != digest(tx)?)
    })?;
    if stale {
        found.push(
            "deal_facts differs from a rebuild from the deals (a write bypassed Keel), so reports are off; \
             `keel check --rebuild-facts` rebuilds it"
                .to_string(),
        );
    }
    Ok(found)
}

/// An order-independent fingerprint of `deal_facts` and the frozen rates.
fn digest(conn: &Connection) -> Result<(u64, u64)> {
    use std::hash::{Hash, Hasher};
    let mut total = (0u64, 0u64);
    for (slot, sql) in [
        (0, "SELECT deal_id, closed_day, owner_id, source, segment, currency, closed_rate_e9, packed FROM deal_facts"),
        (1, "SELECT deal_id, quote, closed_on, effective_on, rate_e9 FROM closed_deal_rates"),
    ] {
        let mut stmt = conn.prepare(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut sum = 0u64;
        while let Some(row) = rows.next()? {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for i in 0..columns {
                match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => 0u8.hash(&mut hasher),
                    rusqlite::types::ValueRef::Integer(v) => v.hash(&mut hasher),
                    rusqlite::types::ValueRef::Real(v) => v.to_bits().hash(&mut hasher),
                    rusqlite::types::ValueRef::Text(v) | rusqlite::types::ValueRef::Blob(v) => v.hash(&mut hasher),
                }
            }
            sum = sum.wrapping_add(hasher.finish());
        }
        if slot == 0 {
            total.0 = sum;
        } else {
            total.1 = sum;
        }
    }
    Ok(total)
}
