-- Finance (chargeback, FOCUS export, scheduled reports).
-- Where a Usage/Costs bucket came from: 'openai' (the sync) or 'demo' (spendwatch demo), like requests.source.
ALTER TABLE cost_buckets ADD COLUMN source VARCHAR DEFAULT 'openai';
ALTER TABLE usage_buckets ADD COLUMN source VARCHAR DEFAULT 'openai';

-- Monthly reports that send themselves: what, when (day of month, time, zone), where to.
-- Each run is an alert_events row (kind 'report', key report|NAME|YYYY-MM) with one alert_outbox row
-- per channel, so it is sent exactly once per month and channel, retried, and caught up after downtime.
CREATE TABLE report_schedules (
    name        VARCHAR PRIMARY KEY,
    format      VARCHAR NOT NULL DEFAULT 'xlsx',     -- xlsx (chargeback) | csv (chargeback) | focus (FOCUS CSV)
    by_col      VARCHAR NOT NULL DEFAULT 'cost_centre',
    day         INTEGER NOT NULL DEFAULT 2,          -- day of the month the previous month is sent
    at_time     VARCHAR NOT NULL DEFAULT '08:00',
    tz          VARCHAR NOT NULL DEFAULT 'UTC',
    channels    JSON NOT NULL,
    source      VARCHAR NOT NULL DEFAULT 'cli',      -- cli | config ([[reports]] owns the rows it names)
    created_at  TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);
