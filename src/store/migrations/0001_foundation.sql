-- Keel schema 1: team, accounts, contacts, pipelines and stages, deals with their
-- qualification, proof of concept and negotiation checklist, append-only stage
-- history, activities, onboarding, QBRs, settings and the audit log.
-- Instants are UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ'; calendar dates 'YYYY-MM-DD'.
-- Money is INTEGER minor units beside a currency code. Rates are basis points.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE team_members (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role       TEXT NOT NULL CHECK (role IN ('account-executive','sales-engineer','sdr','customer-success','partner-manager','sales-leader')),
    ae_segment TEXT CHECK (ae_segment IN ('enterprise','mid-market')),
    created_at TEXT NOT NULL,
    CHECK (ae_segment IS NULL OR role = 'account-executive')
) STRICT;

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    domain     TEXT UNIQUE,
    segment    TEXT NOT NULL CHECK (segment IN ('developers-startups','smb-mid-market','enterprise')),
    vertical   TEXT,
    region     TEXT,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES team_members(id)
) STRICT;
CREATE INDEX accounts_by_name ON accounts(name COLLATE NOCASE);

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name       TEXT NOT NULL,
    title      TEXT,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX contacts_by_account ON contacts(account_id);

CREATE TABLE pipelines (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    is_default INTEGER NOT NULL CHECK (is_default IN (0,1))
) STRICT;
CREATE UNIQUE INDEX one_default_pipeline ON pipelines(is_default) WHERE is_default = 1;

CREATE TABLE stages (
    id                  INTEGER PRIMARY KEY,
    pipeline_id         INTEGER NOT NULL REFERENCES pipelines(id),
    name                TEXT NOT NULL COLLATE NOCASE,
    position            INTEGER NOT NULL,
    default_probability_bp INTEGER NOT NULL CHECK (default_probability_bp BETWEEN 0 AND 10000),
    forecast_category   TEXT NOT NULL CHECK (forecast_category IN ('pipeline','best-case','commit','closed','omitted')),
    is_closed           INTEGER NOT NULL CHECK (is_closed IN (0,1)),
    is_won              INTEGER NOT NULL CHECK (is_won IN (0,1)),
    stall_after_days    INTEGER CHECK (stall_after_days > 0),
    description         TEXT,
    UNIQUE (pipeline_id, name),
    UNIQUE (pipeline_id, position),
    CHECK (is_won = 0 OR is_closed = 1)
) STRICT;

-- Exit criteria as data: which built-in rule applies on entering or leaving a stage.
CREATE TABLE stage_rules (
    stage_id INTEGER NOT NULL REFERENCES stages(id),
    trigger  TEXT NOT NULL CHECK (trigger IN ('enter','exit')),
    rule     TEXT NOT NULL CHECK (rule IN ('bant-confirmed','poc-defined','negotiation-complete')),
    PRIMARY KEY (stage_id, trigger, rule)
) STRICT;

CREATE TABLE deals (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL,
    account_id              INTEGER NOT NULL REFERENCES accounts(id),
    owner_id                INTEGER NOT NULL REFERENCES team_members(id),
    pipeline_id             INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id                INTEGER NOT NULL REFERENCES stages(id),
    amount_minor            INTEGER NOT NULL CHECK (amount_minor BETWEEN 0 AND 9007199254740991),
    currency                TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    expected_close_date     TEXT NOT NULL CHECK (expected_close_date = date(expected_close_date)),
    source                  TEXT NOT NULL CHECK (source IN ('inbound','outbound','referral','event','partner')),
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
    updated_at              TEXT NOT NULL,
    CHECK (expected_close_date >= substr(created_at, 1, 10))
) STRICT;
-- The board and `deal list --stage` page through one stage by close date.
CREATE INDEX deals_by_stage ON deals(stage_id, expected_close_date, id);
CREATE INDEX deals_by_close ON deals(expected_close_date, id);
CREATE INDEX deals_by_owner ON deals(owner_id, expected_close_date, id);
CREATE INDEX deals_by_account ON deals(account_id);

-- BANT: one row per deal once any item is set; absent means all unknown.
CREATE TABLE qualifications (
    deal_id          INTEGER PRIMARY KEY REFERENCES deals(id),
    budget_status    TEXT NOT NULL DEFAULT 'unknown' CHECK (budget_status IN ('unknown','partial','confirmed')),
    budget_note      TEXT,
    authority_status TEXT NOT NULL DEFAULT 'unknown' CHECK (authority_status IN ('unknown','partial','confirmed')),
    authority_note   TEXT,
    need_status      TEXT NOT NULL DEFAULT 'unknown' CHECK (need_status IN ('unknown','partial','confirmed')),
    need_note        TEXT,
    timeline_status  TEXT NOT NULL DEFAULT 'unknown' CHECK (timeline_status IN ('unknown','partial','confirmed')),
    timeline_note    TEXT,
    updated_at       TEXT NOT NULL,
    updated_by       INTEGER REFERENCES team_members(id)
) STRICT;

CREATE TABLE proofs_of_concept (
    deal_id          INTEGER PRIMARY KEY REFERENCES deals(id),
    scope            TEXT,
    success_criteria TEXT,
    start_date       TEXT CHECK (start_date = date(start_date)),
    end_date         TEXT CHECK (end_date = date(end_date)),
    outcome          TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending','passed','failed')),
    updated_at       TEXT NOT NULL,
    updated_by       INTEGER REFERENCES team_members(id),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
) STRICT;

CREATE TABLE checklist_items (
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    item       TEXT NOT NULL CHECK (item IN ('pricing-proposal','contract','sla','legal-review','security-questionnaire','procurement')),
    status     TEXT NOT NULL CHECK (status IN ('not-started','in-progress','done','not-needed')),
    on_date    TEXT CHECK (on_date = date(on_date)),
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES team_members(id),
    PRIMARY KEY (deal_id, item)
) STRICT, WITHOUT ROWID;

-- Append-only: every stage a deal entered, with what it was worth then.
CREATE TABLE stage_history (
    id              INTEGER PRIMARY KEY,
    deal_id         INTEGER NOT NULL REFERENCES deals(id),
    from_stage_id   INTEGER REFERENCES stages(id),
    to_stage_id     INTEGER NOT NULL REFERENCES stages(id),
    changed_at      TEXT NOT NULL,
    changed_by      INTEGER REFERENCES team_members(id),
    amount_minor    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    probability_bp  INTEGER NOT NULL CHECK (probability_bp BETWEEN 0 AND 10000),
    override_reason TEXT
) STRICT;
CREATE INDEX stage_history_by_deal ON stage_history(deal_id, id);
CREATE TRIGGER stage_history_no_update BEFORE UPDATE ON stage_history
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;
CREATE TRIGGER stage_history_no_delete BEFORE DELETE ON stage_history
BEGIN SELECT RAISE(ABORT, 'stage_history is append-only'); END;

CREATE TABLE activities (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    deal_id    INTEGER REFERENCES deals(id),
    kind       TEXT NOT NULL CHECK (kind IN ('call','meeting','email','note','task')),
    subject    TEXT NOT NULL,
    notes      TEXT,
    owner_id   INTEGER NOT NULL REFERENCES team_members(id),
    due_date   TEXT CHECK (due_date = date(due_date)),
    done_at    TEXT,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES team_members(id)
) STRICT;
CREATE INDEX activities_by_deal ON activities(deal_id, done_at, due_date);
CREATE INDEX activities_open_by_owner ON activities(owner_id, due_date) WHERE done_at IS NULL;

CREATE TABLE onboarding_plans (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    deal_id    INTEGER NOT NULL UNIQUE REFERENCES deals(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX onboarding_by_account ON onboarding_plans(account_id);

CREATE TABLE onboarding_steps (
    plan_id    INTEGER NOT NULL REFERENCES onboarding_plans(id),
    step       TEXT NOT NULL CHECK (step IN ('kick-off','technical-integration','training','go-live')),
    owner_id   INTEGER NOT NULL REFERENCES team_members(id),
    due_date   TEXT NOT NULL CHECK (due_date = date(due_date)),
    done_on    TEXT CHECK (done_on = date(done_on)),
    PRIMARY KEY (plan_id, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE qbrs (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    scheduled_on TEXT NOT NULL CHECK (scheduled_on = date(scheduled_on)),
    owner_id     INTEGER NOT NULL REFERENCES team_members(id),
    held_on      TEXT CHECK (held_on = date(held_on)),
    notes        TEXT
) STRICT;
CREATE INDEX qbrs_by_account ON qbrs(account_id, scheduled_on);

-- Append-only: who did what, when. `detail` is JSON.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  INTEGER REFERENCES team_members(id),
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    detail    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
) STRICT;
CREATE INDEX audit_by_entity ON audit_log(entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
