-- Keel schema 14: the deal change history by time carries what a past day's reading
-- needs (the deal, the field, its old value), so that reading never visits the table's
-- rows, as schema 13 did for the stage history.
DROP INDEX deal_changes_by_time;
CREATE INDEX deal_changes_by_time ON deal_changes(changed_at, id, deal_id, field, old_value);
