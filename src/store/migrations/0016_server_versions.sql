-- What a team copy knows of its server's versions: the server file's epoch (a random id,
-- new at `keel-server init` and at every restore, so a copy of a restored server stops
-- instead of skipping changes) and the server's schema version (a copy is not migrated
-- ahead of its server).
ALTER TABLE team_link ADD COLUMN server_epoch TEXT;
ALTER TABLE team_link ADD COLUMN server_schema INTEGER;
