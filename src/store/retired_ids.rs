//! Ids that stay retired. A replicated table's key is `id INTEGER PRIMARY KEY
//! AUTOINCREMENT`: SQLite then never gives a new row the id of a deleted one, so a
//! change queued offline against an account merged away on the server is refused as
//! not found rather than applied to whichever account took the id next.

use super::feed::is_replicated;
use crate::Result;
use rusqlite::{params, Connection};

/// The CREATE TABLE text with its `id INTEGER PRIMARY KEY` column made AUTOINCREMENT,
/// or `None` when the table has no such column or already has it. Keel's tables
/// declare one column per line, so the column is found by its line.
pub(crate) fn with_autoincrement(create: &str) -> Option<String> {
    let mut changed = false;
    let lines: Vec<String> = create
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let is_id_key = words.len() >= 4
                && words[0] == "id"
                && words[1].eq_ignore_ascii_case("INTEGER")
                && words[2].eq_ignore_ascii_case("PRIMARY")
                && words[3].trim_end_matches(',').eq_ignore_ascii_case("KEY")
                && !words
                    .get(4)
                    .is_some_and(|w| w.trim_end_matches(',').eq_ignore_ascii_case("AUTOINCREMENT"));
            match line.find("PRIMARY KEY").filter(|_| is_id_key) {
                Some(at) => {
                    changed = true;
                    let end = at + "PRIMARY KEY".len();
                    format!("{} AUTOINCREMENT{}", &line[..end], &line[end..])
                }
                None => line.to_string(),
            }
        })
        .collect();
    changed.then(|| lines.join("\n"))
}

/// Schema 15: rebuilds every replicated table keyed by `id INTEGER PRIMARY KEY` as
/// AUTOINCREMENT, in the migration's transaction (foreign keys are off there, and
/// checked in full before the commit). Indexes and triggers are put back as they were.
pub(crate) fn rebuild_with_autoincrement(conn: &Connection) -> Result<()> {
    // Renaming the rebuilt table into place must not re-check other tables' triggers
    // against a schema that, for that instant, lacks the table.
    conn.execute_batch("PRAGMA legacy_alter_table = ON")?;
    let result = rebuild_all(conn);
    conn.execute_batch("PRAGMA legacy_alter_table = OFF")?;
    result
}

fn rebuild_all(conn: &Connection) -> Result<()> {
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM main.sqlite_schema WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let has_feed = tables.iter().any(|(name, _)| name == "change_feed");
    for (name, create) in tables.iter().filter(|(name, _)| is_replicated(name)) {
        let Some(rebuilt) = with_autoincrement(create) else { continue };
        let dependents: Vec<String> = conn
            .prepare(
                "SELECT sql FROM main.sqlite_schema WHERE tbl_name = ?1 AND type IN ('index', 'trigger') \
                 AND sql IS NOT NULL ORDER BY type, name",
            )?
            .query_map([name], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let staging = format!("{name}__autoincrement");
        let rest = [format!("CREATE TABLE {name} ("), format!("CREATE TABLE \"{name}\" (")]
            .iter()
            .find_map(|header| rebuilt.strip_prefix(header.as_str()))
            .ok_or_else(|| {
                crate::KeelError::Schema(format!("table {name} is declared in an unexpected way"))
            })?;
        let rebuilt = format!("CREATE TABLE \"{staging}\" ({rest}");
        conn.execute_batch(&rebuilt)?;
        conn.execute_batch(&format!(
            "INSERT INTO \"{staging}\" SELECT * FROM \"{name}\"; DROP TABLE \"{name}\"; \
             ALTER TABLE \"{staging}\" RENAME TO \"{name}\";"
        ))?;
        for sql in &dependents {
            conn.execute_batch(sql)?;
        }
        // Ids the server gave and then deleted before this schema stay retired too: the
        // feed remembers every row it carried.
        let mut highest: i64 =
            conn.query_row(&format!("SELECT coalesce(max(id), 0) FROM \"{name}\""), [], |r| r.get(0))?;
        if has_feed {
            let fed: i64 = conn.query_row(
                "SELECT coalesce(max(CAST(json_extract(pk, '$.id') AS INTEGER)), 0) FROM change_feed WHERE tbl = ?1",
                [name],
                |r| r.get(0),
            )?;
            highest = highest.max(fed);
        }
        conn.execute("DELETE FROM sqlite_sequence WHERE name = ?1", [name])?;
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)", params![name, highest])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_autoincrement;

    #[test]
    fn only_an_id_integer_primary_key_line_gains_autoincrement() {
        let create =
            "CREATE TABLE accounts (\n    id         INTEGER PRIMARY KEY,\n    name TEXT NOT NULL\n) STRICT";
        assert_eq!(
            with_autoincrement(create).as_deref(),
            Some("CREATE TABLE accounts (\n    id         INTEGER PRIMARY KEY AUTOINCREMENT,\n    name TEXT NOT NULL\n) STRICT")
        );
        let keyed_by_deal =
            "CREATE TABLE bant (\n    deal_id INTEGER PRIMARY KEY REFERENCES deals(id),\n    x TEXT\n)";
        assert_eq!(with_autoincrement(keyed_by_deal), None, "a table keyed by its deal keeps the deal's id");
        let done = "CREATE TABLE f (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    x TEXT\n)";
        assert_eq!(with_autoincrement(done), None, "already AUTOINCREMENT");
        let checked = "CREATE TABLE s (\n    id INTEGER PRIMARY KEY CHECK (id = 1),\n    x TEXT\n)";
        assert_eq!(
            with_autoincrement(checked).as_deref(),
            Some("CREATE TABLE s (\n    id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id = 1),\n    x TEXT\n)")
        );
    }
}
