-- Keel schema 3: import batches that can be listed and reverted, the source systems'
-- record ids that make a re-import update instead of duplicate, and account merges.

CREATE TABLE import_batches (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deals','accounts','contacts')),
    file_name       TEXT NOT NULL,
    source_system   TEXT NOT NULL CHECK (source_system IN ('keel','salesforce','hubspot','pipedrive','generic')),
    imported_at     TEXT NOT NULL,
    imported_by     INTEGER REFERENCES team_members(id),
    rows_total      INTEGER NOT NULL,
    created_count   INTEGER NOT NULL,
    updated_count   INTEGER NOT NULL,
    unchanged_count INTEGER NOT NULL,
    rejected_count  INTEGER NOT NULL,
    -- The last stage_history id when the import committed: a created deal with a later
    -- entry was worked on afterwards, and reverting would lose that work.
    history_high_water INTEGER NOT NULL,
    reverted_at     TEXT,
    reverted_by     INTEGER REFERENCES team_members(id)
) STRICT;

-- Every record an import created or updated. `before` and `after` are the updated
-- row's columns as JSON, so a revert restores `before` only if the row still equals `after`.
CREATE TABLE import_changes (
    batch_id  INTEGER NOT NULL REFERENCES import_batches(id),
    seq       INTEGER NOT NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('deal','account','contact','team-member')),
    entity_id INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('created','updated')),
    line      INTEGER,
    before    TEXT CHECK (before IS NULL OR json_valid(before)),
    after     TEXT CHECK (after IS NULL OR json_valid(after)),
    PRIMARY KEY (batch_id, seq)
) STRICT;
CREATE INDEX import_changes_by_entity ON import_changes(entity, entity_id);

-- A source system's record id (or a stable key when the file has none) for a Keel record.
CREATE TABLE external_ids (
    system    TEXT NOT NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('deal','account','contact')),
    key       TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    batch_id  INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (system, entity, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX external_ids_by_batch ON external_ids(batch_id);

CREATE TABLE account_merges (
    id            INTEGER PRIMARY KEY,
    -- No foreign key: the survivor may itself be merged away later; this is history.
    kept_id       INTEGER NOT NULL,
    merged_id     INTEGER NOT NULL,
    merged_name   TEXT NOT NULL,
    merged_domain TEXT,
    moved         TEXT NOT NULL CHECK (json_valid(moved)),
    merged_at     TEXT NOT NULL,
    merged_by     INTEGER REFERENCES team_members(id)
) STRICT;

-- Stage history stays append-only, with one exception: reverting an import removes the
-- deals it created, and their history with them. The revert names those deals here,
-- inside its transaction, and empties the table before it commits.
CREATE TABLE history_removals (deal_id INTEGER PRIMARY KEY) STRICT;
DROP TRIGGER stage_history_no_delete;
CREATE TRIGGER stage_history_no_delete BEFORE DELETE ON stage_history
WHEN NOT EXISTS (SELECT 1 FROM history_removals WHERE deal_id = OLD.deal_id)
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;
