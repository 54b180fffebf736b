-- Ids are never reused in a replicated table: every table whose rows the team feed
-- carries and whose key is an `id INTEGER PRIMARY KEY` becomes AUTOINCREMENT, so a
-- deleted or merged-away record's id stays retired and a change queued against it is
-- refused instead of landing on the next new record. The rebuild is generic, in Rust
-- (`store::retired_ids::rebuild_with_autoincrement`): the tables keep their columns,
-- rows, indexes and triggers; each sequence starts above every id the file ever gave,
-- the feed's included.
SELECT 1;
