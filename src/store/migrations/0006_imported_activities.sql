-- Keel schema 6: imports may create activities (a Salesforce Data Export's tasks and
-- events), so a batch records them and a revert removes them, and their source record
-- ids match a re-import. Both tables are rebuilt to widen a CHECK.

CREATE TABLE import_changes_v6 (
    batch_id  INTEGER NOT NULL REFERENCES import_batches(id),
    seq       INTEGER NOT NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('deal','account','contact','team-member','activity')),
    entity_id INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('created','updated')),
    line      INTEGER,
    before    TEXT CHECK (before IS NULL OR json_valid(before)),
    after     TEXT CHECK (after IS NULL OR json_valid(after)),
    PRIMARY KEY (batch_id, seq)
) STRICT;
INSERT INTO import_changes_v6 SELECT batch_id, seq, entity, entity_id, action, line, before, after FROM import_changes;
DROP TABLE import_changes;
ALTER TABLE import_changes_v6 RENAME TO import_changes;
CREATE INDEX import_changes_by_entity ON import_changes(entity, entity_id);

CREATE TABLE external_ids_v6 (
    system    TEXT NOT NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('deal','account','contact','activity')),
    key       TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    batch_id  INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (system, entity, key)
) STRICT, WITHOUT ROWID;
INSERT INTO external_ids_v6 SELECT system, entity, key, entity_id, batch_id FROM external_ids;
DROP TABLE external_ids;
ALTER TABLE external_ids_v6 RENAME TO external_ids;
CREATE INDEX external_ids_by_batch ON external_ids(batch_id);
