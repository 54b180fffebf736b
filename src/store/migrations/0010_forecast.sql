-- Keel schema 10: the forecast. A sales leader sets each member's quota per period (a
-- month `2026-11` or a quarter `2026-Q4`), in the reporting currency; each member calls
-- their number for a period with a note, and a sales leader may adjust it with a reason.
-- Both are append-only: the latest row is in force, the earlier ones show how it moved.

CREATE TABLE quotas (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES team_members(id),
    period       TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    set_by       INTEGER NOT NULL REFERENCES team_members(id),
    set_at       TEXT NOT NULL
) STRICT;
CREATE INDEX quotas_by_period ON quotas(period, member_id, id);
CREATE TRIGGER quotas_no_update BEFORE UPDATE ON quotas
BEGIN SELECT RAISE(ABORT, 'quotas are append-only: set a new one'); END;
CREATE TRIGGER quotas_no_delete BEFORE DELETE ON quotas
BEGIN SELECT RAISE(ABORT, 'quotas are append-only: set a new one'); END;

CREATE TABLE forecast_calls (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES team_members(id),
    period       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('call', 'adjustment')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    note         TEXT NOT NULL,
    by_member    INTEGER NOT NULL REFERENCES team_members(id),
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX forecast_calls_by_period ON forecast_calls(period, member_id, id);
CREATE TRIGGER forecast_calls_no_update BEFORE UPDATE ON forecast_calls
BEGIN SELECT RAISE(ABORT, 'forecast calls are append-only'); END;
CREATE TRIGGER forecast_calls_no_delete BEFORE DELETE ON forecast_calls
BEGIN SELECT RAISE(ABORT, 'forecast calls are append-only'); END;
