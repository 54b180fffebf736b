-- Keel schema 5: deals as other systems hold them. A real export has deals whose amount
-- is not known yet, that name no company, whose expected close date is blank, or that
-- closed a day before their recorded creation; they are kept as they are and flagged,
-- not refused. A lead source the vocabulary does not know is kept verbatim
-- (`lead_source`), under the category `other`. The rules for deals entered by hand
-- (a close date not before creation, an amount) stay in the services.
--
-- SQLite cannot relax a column, so `deals` and `stage_history` are rebuilt (the
-- documented twelve-step way; the runner turns foreign keys off around it and checks
-- them before committing).

CREATE TABLE deals_v5 (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL,
    account_id              INTEGER REFERENCES accounts(id),
    owner_id                INTEGER NOT NULL REFERENCES team_members(id),
    pipeline_id             INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id                INTEGER NOT NULL REFERENCES stages(id),
    amount_minor            INTEGER CHECK (amount_minor BETWEEN 0 AND 9007199254740991),
    currency                TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    expected_close_date     TEXT CHECK (expected_close_date = date(expected_close_date)),
    source                  TEXT NOT NULL CHECK (source IN ('inbound','outbound','referral','event','partner','other')),
    lead_source             TEXT,
    deal_type               TEXT NOT NULL CHECK (deal_type IN ('new-business','expansion','renewal')),
    probability_override_bp INTEGER CHECK (probability_override_bp BETWEEN 0 AND 10000),
    forecast_override       TEXT CHECK (forecast_override IN ('pipeline','best-case','commit','closed','omitted')),
    loss_reason             TEXT,
    closed_on               TEXT CHECK (closed_on = date(closed_on)),
    expands_deal_id         INTEGER REFERENCES deals(id),
    created_at              TEXT NOT NULL,
    created_by              INTEGER REFERENCES team_members(id),
    stage_entered_at        TEXT NOT NULL,
    last_activity_at        TEXT,
    updated_at              TEXT NOT NULL
) STRICT;
INSERT INTO deals_v5 (id, name, account_id, owner_id, pipeline_id, stage_id, amount_minor, currency,
                      expected_close_date, source, lead_source, deal_type, probability_override_bp,
                      forecast_override, loss_reason, closed_on, expands_deal_id, created_at, created_by,
                      stage_entered_at, last_activity_at, updated_at)
SELECT id, name, account_id, owner_id, pipeline_id, stage_id, amount_minor, currency,
       expected_close_date, source, NULL, deal_type, probability_override_bp,
       forecast_override, loss_reason, closed_on, expands_deal_id, created_at, created_by,
       stage_entered_at, last_activity_at, updated_at
FROM deals;
DROP TABLE deals;
ALTER TABLE deals_v5 RENAME TO deals;
CREATE INDEX deals_by_stage ON deals(stage_id, expected_close_date, id);
CREATE INDEX deals_by_close ON deals(expected_close_date, id);
CREATE INDEX deals_by_owner ON deals(owner_id, expected_close_date, id);
CREATE INDEX deals_by_account ON deals(account_id);

-- A stage change records the amount as it was; unknown stays unknown.
CREATE TABLE stage_history_v5 (
    id              INTEGER PRIMARY KEY,
    deal_id         INTEGER NOT NULL REFERENCES deals(id),
    from_stage_id   INTEGER REFERENCES stages(id),
    to_stage_id     INTEGER NOT NULL REFERENCES stages(id),
    changed_at      TEXT NOT NULL,
    changed_by      INTEGER REFERENCES team_members(id),
    amount_minor    INTEGER,
    currency        TEXT NOT NULL,
    probability_bp  INTEGER NOT NULL CHECK (probability_bp BETWEEN 0 AND 10000),
    override_reason TEXT
) STRICT;
INSERT INTO stage_history_v5 SELECT id, deal_id, from_stage_id, to_stage_id, changed_at, changed_by,
                                    amount_minor, currency, probability_bp, override_reason
FROM stage_history;
DROP TABLE stage_history;
ALTER TABLE stage_history_v5 RENAME TO stage_history;
CREATE INDEX stage_history_by_deal ON stage_history(deal_id, id);
CREATE TRIGGER stage_history_no_update BEFORE UPDATE ON stage_history
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;
CREATE TRIGGER stage_history_no_delete BEFORE DELETE ON stage_history
WHEN NOT EXISTS (SELECT 1 FROM history_removals WHERE deal_id = OLD.deal_id)
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;
