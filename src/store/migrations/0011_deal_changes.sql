-- Keel schema 11: every change of a deal's amount, currency, expected close date,
-- forecast category override and owner, append-only like the stage history, written by
-- the transaction that makes the change. With the stage history it gives a deal as it
-- stood on any past day. The same doors as the stage history's let exactly two things
-- remove rows: an import's revert removing the deals it created, and a team copy taking
-- back its own changes that never reached the server.

CREATE TABLE deal_changes (
    id         INTEGER PRIMARY KEY,
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    field      TEXT NOT NULL CHECK (field IN ('amount','currency','expected_close_date','forecast_category','owner')),
    -- As text (amounts in minor units, owners by id); NULL for "none".
    old_value  TEXT,
    new_value  TEXT,
    changed_at TEXT NOT NULL,
    changed_by INTEGER REFERENCES team_members(id)
) STRICT;
CREATE INDEX deal_changes_by_deal ON deal_changes(deal_id, id);
CREATE INDEX deal_changes_by_time ON deal_changes(changed_at);
CREATE TRIGGER deal_changes_no_update BEFORE UPDATE ON deal_changes
BEGIN SELECT RAISE(ABORT, 'deal_changes is append-only'); END;
CREATE TRIGGER deal_changes_no_delete BEFORE DELETE ON deal_changes
WHEN NOT EXISTS (SELECT 1 FROM history_removals WHERE deal_id = OLD.deal_id)
 AND NOT EXISTS (SELECT 1 FROM outbox_undoing)
BEGIN SELECT RAISE(ABORT, 'deal_changes is append-only'); END;
