-- What a team copy knows of its server's versions: the server file's epoch (a random id,
-- new at `keel-server init` and at every restore, so a copy of a restored server stops
-- instead of skipping changes) and the server's schema version (a copy is not migrated
-- ahead of its server).
ALTER TABLE team_link ADD COLUMN server_epoch TEXT;
ALTER TABLE team_link ADD COLUMN server_schema INTEGER;
-- The copy's current session with its server (a bearer token that expires in hours),
-- so a machine signs in once per session instead of once per change.
ALTER TABLE team_link ADD COLUMN session_token TEXT;
ALTER TABLE team_link ADD COLUMN session_expires_at TEXT;
-- A refused change keeps the items behind the refusal (a move's missing criteria), as
-- a JSON array, so the list of changes not synced shows them as the window would.
ALTER TABLE outbox ADD COLUMN error_details TEXT CHECK (error_details IS NULL OR json_valid(error_details));
-- A fingerprint of the feed entry at `position`, as the server gave it: sent with every
-- request, so a server file put back by hand (its feed numbers reused by other changes)
-- is noticed rather than followed.
ALTER TABLE team_link ADD COLUMN position_check TEXT;
