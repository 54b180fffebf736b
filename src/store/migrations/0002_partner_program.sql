-- Keel schema 2: the partner program. Partners and their effective-dated commission
-- plans, deal registrations, revenue collected on deals, the commission ledger and
-- payout statements. Money is INTEGER minor units beside a currency code; rates are
-- basis points. The ledger, revenue events and plans are append-only (triggers).

CREATE TABLE partners (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    domain       TEXT NOT NULL UNIQUE,
    category     TEXT NOT NULL CHECK (category IN ('technology','system-integrator','agency','reseller','consultant','ecosystem','industry')),
    tier         TEXT NOT NULL CHECK (tier IN ('technology','reseller','strategic')),
    status       TEXT NOT NULL CHECK (status IN ('prospective','active','suspended')),
    certified_on TEXT CHECK (certified_on = date(certified_on)),
    manager_id   INTEGER REFERENCES team_members(id),
    created_at   TEXT NOT NULL
) STRICT;

-- A rate applies to registrations approved on or after effective_from.
CREATE TABLE commission_plans (
    id             INTEGER PRIMARY KEY,
    partner_id     INTEGER NOT NULL REFERENCES partners(id),
    rate_bp        INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 5000),
    effective_from TEXT NOT NULL CHECK (effective_from = date(effective_from)),
    created_at     TEXT NOT NULL,
    created_by     INTEGER REFERENCES team_members(id),
    UNIQUE (partner_id, effective_from)
) STRICT;
CREATE TRIGGER commission_plans_no_update BEFORE UPDATE ON commission_plans
BEGIN SELECT RAISE(ABORT, 'commission_plans is append-only'); END;
CREATE TRIGGER commission_plans_no_delete BEFORE DELETE ON commission_plans
BEGIN SELECT RAISE(ABORT, 'commission_plans is append-only'); END;

CREATE TABLE registrations (
    id                    INTEGER PRIMARY KEY,
    partner_id            INTEGER NOT NULL REFERENCES partners(id),
    company_name          TEXT NOT NULL,
    domain                TEXT NOT NULL,
    registrable_domain    TEXT NOT NULL,
    country               TEXT,
    contact_name          TEXT,
    contact_email         TEXT,
    estimated_value_minor INTEGER NOT NULL CHECK (estimated_value_minor BETWEEN 0 AND 9007199254740991),
    currency              TEXT NOT NULL CHECK (length(currency) = 3),
    expected_close_date   TEXT NOT NULL CHECK (expected_close_date = date(expected_close_date)),
    use_case              TEXT CHECK (use_case IN ('video-conferencing','live-streaming','gaming-voice-video','social-audio-video','customer-support')),
    notes                 TEXT,
    status                TEXT NOT NULL CHECK (status IN ('submitted','approved','rejected','returned','converted','expired')),
    submitted_at          TEXT NOT NULL,
    submitted_by          INTEGER REFERENCES team_members(id),
    reviewed_at           TEXT,
    reviewed_by           INTEGER REFERENCES team_members(id),
    decision_reason       TEXT,
    override_reason       TEXT,
    plan_id               INTEGER REFERENCES commission_plans(id),
    rate_bp               INTEGER CHECK (rate_bp BETWEEN 0 AND 5000),
    protected_until       TEXT CHECK (protected_until = date(protected_until)),
    extension_reason      TEXT,
    deal_id               INTEGER UNIQUE REFERENCES deals(id),
    CHECK (status NOT IN ('approved','converted') OR rate_bp IS NOT NULL)
) STRICT;
CREATE INDEX registrations_by_domain ON registrations(registrable_domain, status);
CREATE INDEX registrations_by_status ON registrations(status, submitted_at);

-- Money collected on a won deal. A refund is a new row, never an edit.
CREATE TABLE revenue_events (
    id           INTEGER PRIMARY KEY,
    deal_id      INTEGER NOT NULL REFERENCES deals(id),
    kind         TEXT NOT NULL CHECK (kind IN ('payment','refund')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor BETWEEN 1 AND 9007199254740991),
    currency     TEXT NOT NULL,
    occurred_on  TEXT NOT NULL CHECK (occurred_on = date(occurred_on)),
    recorded_at  TEXT NOT NULL,
    recorded_by  INTEGER REFERENCES team_members(id)
) STRICT;
CREATE INDEX revenue_by_deal ON revenue_events(deal_id);
CREATE TRIGGER revenue_events_no_update BEFORE UPDATE ON revenue_events
BEGIN SELECT RAISE(ABORT, 'revenue_events is append-only'); END;
CREATE TRIGGER revenue_events_no_delete BEFORE DELETE ON revenue_events
BEGIN SELECT RAISE(ABORT, 'revenue_events is append-only'); END;

-- What Keel owes partners. accrual = payment x locked rate; clawback = the negative
-- for a refund; reversal = a correction of an earlier entry.
CREATE TABLE commission_ledger (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners(id),
    registration_id  INTEGER NOT NULL REFERENCES registrations(id),
    deal_id          INTEGER NOT NULL REFERENCES deals(id),
    revenue_event_id INTEGER REFERENCES revenue_events(id),
    reverses_id      INTEGER REFERENCES commission_ledger(id),
    kind             TEXT NOT NULL CHECK (kind IN ('accrual','clawback','reversal')),
    base_minor       INTEGER NOT NULL,
    rate_bp          INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 5000),
    amount_minor     INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    accrued_on       TEXT NOT NULL CHECK (accrued_on = date(accrued_on)),
    payable_on       TEXT NOT NULL CHECK (payable_on = date(payable_on)),
    created_at       TEXT NOT NULL,
    created_by       INTEGER REFERENCES team_members(id)
) STRICT;
CREATE INDEX ledger_by_partner ON commission_ledger(partner_id, currency, payable_on);
CREATE TRIGGER commission_ledger_no_update BEFORE UPDATE ON commission_ledger
BEGIN SELECT RAISE(ABORT, 'commission_ledger is append-only'); END;
CREATE TRIGGER commission_ledger_no_delete BEFORE DELETE ON commission_ledger
BEGIN SELECT RAISE(ABORT, 'commission_ledger is append-only'); END;

-- A statement per partner, currency and period. 'carried' holds a balance that was
-- negative or under the minimum payout; the next statement carries it forward.
CREATE TABLE payout_statements (
    id             INTEGER PRIMARY KEY,
    partner_id     INTEGER NOT NULL REFERENCES partners(id),
    currency       TEXT NOT NULL,
    period         TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    status         TEXT NOT NULL CHECK (status IN ('draft','carried','approved','paid')),
    total_minor    INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    approved_at    TEXT,
    approved_by    INTEGER REFERENCES team_members(id),
    paid_on        TEXT CHECK (paid_on = date(paid_on)),
    paid_reference TEXT,
    carried_into   INTEGER REFERENCES payout_statements(id),
    UNIQUE (partner_id, currency, period)
) STRICT;

CREATE TABLE statement_lines (
    id                   INTEGER PRIMARY KEY,
    statement_id         INTEGER NOT NULL REFERENCES payout_statements(id),
    kind                 TEXT NOT NULL CHECK (kind IN ('payment','clawback','reversal','carried')),
    ledger_entry_id      INTEGER UNIQUE REFERENCES commission_ledger(id),
    carried_statement_id INTEGER UNIQUE REFERENCES payout_statements(id),
    amount_minor         INTEGER NOT NULL,
    CHECK ((ledger_entry_id IS NULL) <> (carried_statement_id IS NULL))
) STRICT;
CREATE INDEX statement_lines_by_statement ON statement_lines(statement_id);

-- An approved or paid statement and its lines never change; only a draft's lines
-- may be replaced, and a statement moves only forward.
CREATE TRIGGER statement_lines_frozen_update BEFORE UPDATE ON statement_lines
BEGIN SELECT RAISE(ABORT, 'statement lines never change'); END;
CREATE TRIGGER statement_lines_frozen_delete BEFORE DELETE ON statement_lines
WHEN (SELECT status = 'draft' OR (status = 'carried' AND carried_into IS NULL)
      FROM payout_statements WHERE id = OLD.statement_id) = 0
BEGIN SELECT RAISE(ABORT, 'lines of an approved, paid or carried-forward statement never change'); END;
CREATE TRIGGER statement_lines_frozen_insert BEFORE INSERT ON statement_lines
WHEN (SELECT status FROM payout_statements WHERE id = NEW.statement_id) NOT IN ('draft','carried')
BEGIN SELECT RAISE(ABORT, 'lines of an approved or paid statement never change'); END;
CREATE TRIGGER payout_statements_frozen BEFORE UPDATE ON payout_statements
WHEN OLD.status IN ('approved','paid') AND NOT (
       OLD.status = 'approved' AND NEW.status = 'paid'
   AND NEW.partner_id = OLD.partner_id AND NEW.currency = OLD.currency AND NEW.period = OLD.period
   AND NEW.total_minor = OLD.total_minor AND NEW.approved_at IS OLD.approved_at
   AND NEW.approved_by IS OLD.approved_by AND NEW.carried_into IS OLD.carried_into)
BEGIN SELECT RAISE(ABORT, 'an approved or paid statement never changes (except approved to paid)'); END;
CREATE TRIGGER payout_statements_no_delete BEFORE DELETE ON payout_statements
WHEN NOT (OLD.status = 'draft' OR (OLD.status = 'carried' AND OLD.carried_into IS NULL))
BEGIN SELECT RAISE(ABORT, 'only a draft statement (or a carried one not yet carried forward) can be deleted'); END;
