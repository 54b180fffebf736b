-- Keel schema 9: a partner's own people, who sign in to the partner portal. A partner
-- manager invites them; the team server keeps their invitation codes, credentials and
-- sessions in its own tables (never in a copy). Removing a person keeps the row, so the
-- audit log still says who at the partner did what.

CREATE TABLE partner_users (
    id         INTEGER PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    email      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name       TEXT,
    invited_by INTEGER NOT NULL REFERENCES team_members(id),
    invited_at TEXT NOT NULL,
    removed_at TEXT
) STRICT;
CREATE INDEX partner_users_by_partner ON partner_users(partner_id);
