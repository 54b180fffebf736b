-- Keel schema 14: a past day reads each deal's stage from the stage path packed in
-- deal_facts, so the stage history by time (schemas 12 and 13) is no longer read and goes:
-- the 1M-deal demo spent seconds building it. The deal change history by time carries
-- what a past day's reading needs (the deal, the field, its old value), so that reading
-- never visits the table's rows.
DROP INDEX stage_history_by_time;
DROP INDEX deal_changes_by_time;
CREATE INDEX deal_changes_by_time ON deal_changes(changed_at, id, deal_id, field, old_value);
