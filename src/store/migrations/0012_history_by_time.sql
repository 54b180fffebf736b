-- Keel schema 12: the stage history by time, so a past day's pipeline reads only the
-- history written since that day (see store/reporting/as_of.rs). The change history has
-- its own index by time since schema 11.
CREATE INDEX stage_history_by_time ON stage_history(changed_at);
