-- requests without a PRIMARY KEY index: request ids stay unique because every writer inserts through
-- an anti-join on request_id and dedupes its own batch first (insert_jsonl_requests.sql,
-- insert_staged_requests.sql, the demo), all on the one writer connection (DESIGN: one writer).
-- Why: DuckDB's ART index on a VARCHAR key cost a third of a file ingest (0.85 s of 3.06 s for 1M
-- lines, measured with bench/ingest.py) and has to sit in memory whole (0.5-1.4 GB of RSS at 10M rows),
-- while the anti-join scans only the request_id column. DuckDB cannot drop a constraint, so the table
-- is rebuilt with the same columns, defaults and NOT NULLs, rows in their stored order (ingested_at
-- only grows, which inserted_models.sql relies on).
CREATE TABLE requests_new (
    request_id                 VARCHAR NOT NULL,
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
    ingested_at                TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    cached_audio_tokens        BIGINT NOT NULL DEFAULT 0,
    image_input_tokens         BIGINT NOT NULL DEFAULT 0,
    image_output_tokens        BIGINT NOT NULL DEFAULT 0,
    audio_seconds              DECIMAL(18, 3) NOT NULL DEFAULT 0,
    web_search_calls           BIGINT NOT NULL DEFAULT 0,
    file_search_calls          BIGINT NOT NULL DEFAULT 0,
    code_interpreter_sessions  BIGINT NOT NULL DEFAULT 0,
    usage_missing              BOOLEAN NOT NULL DEFAULT false,
    data_residency             VARCHAR
);
INSERT INTO requests_new SELECT * FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
