-- Keel schema 8: working offline in a team workspace. A copy keeps the changes its
-- member made while the server could not be reached in an outbox, in order, with what
-- each change did to the copy so that it can be taken back once the server has said
-- what it did (the copy then equals the server again). On the server, an applied
-- command also remembers the records it created, so that a copy learns their ids.

CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY,            -- the command's number with the server
    args_json     TEXT NOT NULL CHECK (json_valid(args_json)),
    queued_at     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending','refused')),
    -- What the change was based on: [{table, pk, column, value}], checked by the server.
    expect_json   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(expect_json)),
    -- The records it created on this copy: [[table, id], ...], in order.
    created_json  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(created_json)),
    error_code    TEXT,
    error_field   TEXT,
    error_message TEXT
) STRICT;

-- Every row a queued change wrote on this copy, with the row as it was before (none for
-- an insert); undone newest first.
CREATE TABLE outbox_undo (
    id       INTEGER PRIMARY KEY,
    tbl      TEXT NOT NULL,
    op       TEXT NOT NULL CHECK (op IN ('insert','update','delete')),
    pk       TEXT NOT NULL CHECK (json_valid(pk)),
    row_json TEXT CHECK (row_json IS NULL OR json_valid(row_json))
) STRICT;

-- Records created offline and the ids the server gave them, by the change that created
-- them (a later change names such a record as `@new:SEQ:TABLE:ID`), until the outbox is empty.
CREATE TABLE outbox_ids (
    seq       INTEGER NOT NULL,
    tbl       TEXT NOT NULL,
    local_id  INTEGER NOT NULL,
    server_id INTEGER NOT NULL,
    PRIMARY KEY (seq, tbl, local_id)
) STRICT;

-- Holds one row only while a copy takes back its own unsent changes: the history they
-- wrote never reached the team's record, so it goes with them.
CREATE TABLE outbox_undoing (id INTEGER PRIMARY KEY CHECK (id = 1)) STRICT;

DROP TRIGGER stage_history_no_delete;
CREATE TRIGGER stage_history_no_delete BEFORE DELETE ON stage_history
WHEN NOT EXISTS (SELECT 1 FROM history_removals WHERE deal_id = OLD.deal_id)
 AND NOT EXISTS (SELECT 1 FROM outbox_undoing)
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM outbox_undoing)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

ALTER TABLE applied_commands ADD COLUMN created TEXT CHECK (created IS NULL OR json_valid(created));
