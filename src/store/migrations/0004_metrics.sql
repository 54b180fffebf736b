-- Keel schema 4: exchange rates, frozen conversions of closed deals, targets, and
-- deal_facts, the narrow per-deal projection that `keel metrics` reads in one scan.

-- One unit of `currency` is worth `rate_e9` / 10^9 units of `quote` from `effective_on`
-- until the next entry for the pair.
CREATE TABLE fx_rates (
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    quote        TEXT NOT NULL CHECK (length(quote) = 3 AND quote = upper(quote)),
    effective_on TEXT NOT NULL CHECK (effective_on = date(effective_on)),
    rate_e9      INTEGER NOT NULL CHECK (rate_e9 > 0),
    set_at       TEXT NOT NULL,
    set_by       INTEGER REFERENCES team_members(id),
    PRIMARY KEY (currency, quote, effective_on),
    CHECK (currency <> quote)
) STRICT, WITHOUT ROWID;

-- The rate a closed deal converts at, fixed when it closed (or when a rate for its
-- close date first became known), so later rate edits do not move past results.
-- A reopened deal loses it; closing again freezes the rate of the new close date.
CREATE TABLE closed_deal_rates (
    deal_id      INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    quote        TEXT NOT NULL,
    closed_on    TEXT NOT NULL CHECK (closed_on = date(closed_on)),
    effective_on TEXT NOT NULL,
    rate_e9      INTEGER NOT NULL CHECK (rate_e9 > 0),
    PRIMARY KEY (deal_id, quote)
) STRICT, WITHOUT ROWID;

-- Targets are levels to reach by the end of a period: customers (accounts with a won
-- deal), enterprise deals won, and ARR (won new business and expansion).
CREATE TABLE targets (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    starts_on        TEXT NOT NULL CHECK (starts_on = date(starts_on)),
    ends_on          TEXT NOT NULL CHECK (ends_on = date(ends_on)),
    customers        INTEGER NOT NULL CHECK (customers >= 0),
    enterprise_deals INTEGER NOT NULL CHECK (enterprise_deals >= 0),
    arr_minor        INTEGER NOT NULL CHECK (arr_minor BETWEEN 0 AND 9007199254740991),
    currency         TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    CHECK (ends_on >= starts_on)
) STRICT;

-- A derived copy of each deal, rebuilt from deals, accounts, registrations,
-- closed_deal_rates and stage_history in the transaction that changes any of them
-- (see store/facts.rs). Reports read every row, so it is compact: the columns
-- reports filter on, and everything else packed into `packed` (layout in
-- store/facts.rs), followed by the stage history. Days are counted from 0001-01-01
-- (day 1); source and segment are their position in Keel's vocabulary. Clustered by
-- close day (0 while open, so open deals come first): a period is one range of the
-- primary key, and all time is one scan.
CREATE TABLE deal_facts (
    closed_day     INTEGER NOT NULL CHECK (closed_day >= 0),
    deal_id        INTEGER NOT NULL,
    owner_id       INTEGER NOT NULL,
    source         INTEGER NOT NULL,
    segment        INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    -- The frozen rate into the reporting currency of a closed deal (10^9 for its own
    -- currency); NULL when open or when no rate is known.
    closed_rate_e9 INTEGER,
    packed         BLOB NOT NULL,
    PRIMARY KEY (closed_day, deal_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX deal_facts_by_deal ON deal_facts(deal_id);
CREATE INDEX deal_facts_by_owner ON deal_facts(owner_id);
