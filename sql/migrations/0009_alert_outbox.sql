-- Alert delivery goes through an outbox: an event and its deliveries are recorded in one transaction,
-- then sent; each (event, channel) row keeps its own state, attempts and the time of its next try.
CREATE TABLE alert_outbox (
    event_key       VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,            -- webhook:URL | email:ADDRESS | log
    status          VARCHAR NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      VARCHAR,
    sent_at         TIMESTAMP,
    PRIMARY KEY (event_key, channel)
);

-- Where a rule came from: the CLI, or the [[alerts]] section of the TOML config (which owns it).
ALTER TABLE alert_rules ADD COLUMN source VARCHAR DEFAULT 'cli';

-- When alerts were last checked, for the catch-up check after downtime.
CREATE TABLE alert_checks (
    id         INTEGER PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL
);

-- The last successful sync, so "sync stale" alerts need not guess from the last attempt.
ALTER TABLE sync_state ADD COLUMN last_ok_at TIMESTAMP;
