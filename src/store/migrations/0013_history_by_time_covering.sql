-- Keel schema 13: the stage history by time carries what a past day's reading needs
-- (the deal, where it moved from), so that reading never visits the table's rows.
DROP INDEX stage_history_by_time;
CREATE INDEX stage_history_by_time ON stage_history(changed_at, id, deal_id, from_stage_id, to_stage_id);
