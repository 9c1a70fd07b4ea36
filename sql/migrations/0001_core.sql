-- Core schema. Timestamps are UTC (TIMESTAMP without zone); money is DECIMAL, never DOUBLE.

-- One row per API request. Token columns are as OpenAI reports them:
-- input_tokens INCLUDES cached_tokens, output_tokens INCLUDES reasoning_tokens.
CREATE TABLE requests (
    request_id                 VARCHAR PRIMARY KEY,
    ts                         TIMESTAMP NOT NULL,
    model                      VARCHAR NOT NULL,
    endpoint                   VARCHAR,
    feature                    VARCHAR NOT NULL DEFAULT '(untagged)',
    project_id                 VARCHAR,
    api_key_id                 VARCHAR,
    user_id                    VARCHAR,
    batch                      BOOLEAN NOT NULL DEFAULT false,
    service_tier               VARCHAR,
    status                     VARCHAR NOT NULL DEFAULT 'ok',
    error_type                 VARCHAR,
    http_status                INTEGER,
    latency_ms                 DOUBLE,
    ttft_ms                    DOUBLE,
    retries                    INTEGER NOT NULL DEFAULT 0,
    input_tokens               BIGINT NOT NULL DEFAULT 0,
    cached_tokens              BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens         BIGINT NOT NULL DEFAULT 0,
    output_tokens              BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens           BIGINT NOT NULL DEFAULT 0,
    audio_input_tokens         BIGINT NOT NULL DEFAULT 0,
    audio_output_tokens        BIGINT NOT NULL DEFAULT 0,
    accepted_prediction_tokens BIGINT NOT NULL DEFAULT 0,
    rejected_prediction_tokens BIGINT NOT NULL DEFAULT 0,
    ratelimit_limit_requests     BIGINT,
    ratelimit_limit_tokens       BIGINT,
    ratelimit_remaining_requests BIGINT,
    ratelimit_remaining_tokens   BIGINT,
    tags                       JSON,
    source                     VARCHAR NOT NULL,
    ingested_at                TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- Effective-dated prices, USD per 1M tokens, already merged from their sources
-- (overrides > spendwatch's own history table > genai-prices). tier: standard|batch|flex|priority.
CREATE TABLE prices (
    model           VARCHAR NOT NULL,
    tier            VARCHAR NOT NULL,
    effective_from  TIMESTAMP NOT NULL,
    input_per_mtok  DECIMAL(18, 9) NOT NULL,
    cached_per_mtok DECIMAL(18, 9),
    output_per_mtok DECIMAL(18, 9) NOT NULL,
    source          VARCHAR NOT NULL,
    PRIMARY KEY (model, tier, effective_from)
);

-- Which price key each model name seen in requests resolves to (NULL: unpriced).
CREATE TABLE model_map (
    model       VARCHAR PRIMARY KEY,
    price_model VARCHAR,
    rule        VARCHAR NOT NULL
);

CREATE SEQUENCE quarantine_seq;
CREATE TABLE quarantine (
    id          BIGINT PRIMARY KEY DEFAULT nextval('quarantine_seq'),
    source      VARCHAR NOT NULL,
    line_no     BIGINT,
    raw         VARCHAR,
    reason      VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- One row per ingest unit (file, spool segment, sync window). unit_key makes re-ingest detectable.
CREATE SEQUENCE ingest_log_seq;
CREATE TABLE ingest_log (
    id          BIGINT PRIMARY KEY DEFAULT nextval('ingest_log_seq'),
    kind        VARCHAR NOT NULL,      -- file | spool | batch | sync
    unit_key    VARCHAR NOT NULL,      -- path, segment name, or sync window
    source      VARCHAR NOT NULL,
    lines_read  BIGINT NOT NULL DEFAULT 0,
    ingested    BIGINT NOT NULL DEFAULT 0,
    duplicates  BIGINT NOT NULL DEFAULT 0,
    quarantined BIGINT NOT NULL DEFAULT 0,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    status      VARCHAR NOT NULL DEFAULT 'ok',
    detail      VARCHAR
);

-- Room for the other issues (they may ALTER in their own migrations).
CREATE TABLE usage_buckets (
    bucket_start   TIMESTAMP NOT NULL,
    bucket_end     TIMESTAMP NOT NULL,
    kind           VARCHAR NOT NULL,           -- completions | embeddings | ...
    model          VARCHAR NOT NULL DEFAULT '',
    project_id     VARCHAR NOT NULL DEFAULT '',
    api_key_id     VARCHAR NOT NULL DEFAULT '',
    user_id        VARCHAR NOT NULL DEFAULT '',
    batch          BOOLEAN NOT NULL DEFAULT false,
    service_tier   VARCHAR NOT NULL DEFAULT '',
    input_tokens   BIGINT NOT NULL DEFAULT 0,
    cached_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens  BIGINT NOT NULL DEFAULT 0,
    requests       BIGINT NOT NULL DEFAULT 0,
    raw            JSON,
    synced_at      TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    PRIMARY KEY (bucket_start, kind, model, project_id, api_key_id, user_id, batch, service_tier)
);

CREATE TABLE cost_buckets (
    bucket_start TIMESTAMP NOT NULL,
    bucket_end   TIMESTAMP NOT NULL,
    project_id   VARCHAR NOT NULL DEFAULT '',
    api_key_id   VARCHAR NOT NULL DEFAULT '',
    line_item    VARCHAR NOT NULL DEFAULT '',
    amount_usd   DECIMAL(38, 12) NOT NULL,
    currency     VARCHAR NOT NULL DEFAULT 'usd',
    quantity     DOUBLE,
    quantity_unit VARCHAR,
    synced_at    TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    PRIMARY KEY (bucket_start, project_id, api_key_id, line_item)
);

CREATE TABLE sync_state (
    source      VARCHAR PRIMARY KEY,      -- e.g. openai
    cursor_ts   TIMESTAMP,
    last_run_at TIMESTAMP,
    last_status VARCHAR,
    last_detail VARCHAR
);

CREATE TABLE alert_rules (
    name        VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL DEFAULT 'budget',
    scope_col   VARCHAR,
    scope_value VARCHAR,
    time_window VARCHAR NOT NULL DEFAULT 'month',
    budget_usd  DECIMAL(18, 6),
    levels      VARCHAR NOT NULL DEFAULT '50,80,100',
    channels    JSON NOT NULL,
    options     JSON,
    enabled     BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

CREATE TABLE alert_events (
    event_key   VARCHAR PRIMARY KEY,      -- rule|window|level: fires once
    rule_name   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    window_start TIMESTAMP,
    level       INTEGER,
    detected_at TIMESTAMP NOT NULL,
    spend_usd   DECIMAL(38, 12),
    budget_usd  DECIMAL(18, 6),
    message     VARCHAR NOT NULL,
    payload     JSON
);
