-- Hourly and per-minute rollups of `requests`, so that the dashboard stays interactive at 100M requests.
-- They are built on demand by spendwatch.rollups (the dashboard asks for them once the table is large),
-- not by ingest: a rollup is trusted only while rollup_state says it covers every row of `requests`
-- under the current prices; otherwise queries read `requests_priced` directly.
-- Rows are appended per refresh (one refresh may add a second row for an hour): readers always sum.
CREATE TABLE requests_hourly (
    hour               TIMESTAMP NOT NULL,   -- UTC hour start
    model              VARCHAR NOT NULL,
    feature            VARCHAR NOT NULL,
    project_id         VARCHAR,
    api_key_id         VARCHAR,
    endpoint           VARCHAR,
    status             VARCHAR NOT NULL,
    source_kind        VARCHAR NOT NULL,     -- file | spool | demo | ... (the source up to its first ':')
    requests           BIGINT NOT NULL,
    input_tokens       BIGINT NOT NULL,
    cached_tokens      BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    reasoning_tokens   BIGINT NOT NULL,
    unpriced_requests  BIGINT NOT NULL,
    cost_fusd          HUGEINT,              -- exact priced cost in 1e-15 USD (NULL: none priced)
    cache_savings_fusd HUGEINT,              -- what prompt caching saved, 1e-15 USD
    rate_limited       BIGINT NOT NULL       -- HTTP 429 answers
);

-- Per UTC day and user (the hourly rollup has no user column: users would multiply its rows).
CREATE TABLE requests_daily_users (
    day                TIMESTAMP NOT NULL,   -- UTC day start
    user_id            VARCHAR,
    model              VARCHAR NOT NULL,
    feature            VARCHAR NOT NULL,
    project_id         VARCHAR,
    api_key_id         VARCHAR,
    endpoint           VARCHAR,
    status             VARCHAR NOT NULL,
    source_kind        VARCHAR NOT NULL,
    requests           BIGINT NOT NULL,
    input_tokens       BIGINT NOT NULL,
    cached_tokens      BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    reasoning_tokens   BIGINT NOT NULL,
    unpriced_requests  BIGINT NOT NULL,
    cost_fusd          HUGEINT,
    cache_savings_fusd HUGEINT,
    rate_limited       BIGINT NOT NULL
);

CREATE TABLE requests_minutely (
    minute               TIMESTAMP NOT NULL,  -- UTC minute start
    model                VARCHAR NOT NULL,
    requests             BIGINT NOT NULL,
    tokens               BIGINT NOT NULL,     -- input + output
    rate_limited         BIGINT NOT NULL,
    header_requests      BIGINT NOT NULL,     -- requests that recorded x-ratelimit-* headers
    header_limit_requests BIGINT,             -- max reported limit
    header_limit_tokens  BIGINT,
    header_used_requests BIGINT,              -- max(limit - remaining): the window's use as OpenAI saw it
    header_used_tokens   BIGINT
);

CREATE TABLE rollup_state (
    id              INTEGER PRIMARY KEY,      -- always 1
    built_at        TIMESTAMP NOT NULL,
    rows_covered    BIGINT NOT NULL,          -- count(*) of requests the rollups include
    max_ingested_at TIMESTAMP,                -- the watermark for the next incremental refresh
    pricing_key     VARCHAR NOT NULL          -- catalog + model_map digest the costs were computed under
);
