-- Keel schema 7: the team workspace. Members can be deactivated (their history stays);
-- a team server keeps a numbered change feed of every row it writes and the commands it
-- has applied (so a retried command applies once); a replica remembers its server and
-- how far along the feed it is.

ALTER TABLE team_members ADD COLUMN deactivated_at TEXT;

-- One entry per row written on the server, in commit order. Rows travel as JSON
-- objects of their columns (BLOB columns as hex), so another store engine can write
-- the same feed.
CREATE TABLE change_feed (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl      TEXT NOT NULL,
    op       TEXT NOT NULL CHECK (op IN ('insert','update','delete')),
    pk       TEXT NOT NULL CHECK (json_valid(pk)),
    row_json TEXT CHECK (row_json IS NULL OR json_valid(row_json))
) STRICT;

CREATE TABLE applied_commands (
    client_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES team_members(id),
    applied_at TEXT NOT NULL,
    result     TEXT CHECK (result IS NULL OR json_valid(result)),
    PRIMARY KEY (client_id, seq)
) STRICT;

-- On a replica only: the one server it follows.
CREATE TABLE team_link (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    member_id  INTEGER NOT NULL,
    credential TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    next_seq   INTEGER NOT NULL,
    position   INTEGER NOT NULL
) STRICT;
