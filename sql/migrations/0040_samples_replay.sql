-- Opt-in captured samples (issue 18): the redacted request body and the answer of a few calls,
-- kept apart from `requests` and purged after the retention period.
CREATE TABLE samples (
    sample_id     VARCHAR PRIMARY KEY,          -- the response id of the captured call
    ts            TIMESTAMP NOT NULL,
    feature       VARCHAR NOT NULL DEFAULT '(untagged)',
    model         VARCHAR NOT NULL,
    endpoint      VARCHAR NOT NULL DEFAULT 'chat.completions',
    request       JSON NOT NULL,                -- messages, tools, response_format, ... (redacted)
    answer        VARCHAR,                      -- the answer text, or the tool calls as JSON (redacted)
    input_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    latency_ms    DOUBLE,
    source        VARCHAR NOT NULL,
    stored_at     TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP)
);

-- One replay of a feature's samples on a target model (resumable: results are kept per sample).
CREATE TABLE replay_runs (
    run_id             VARCHAR PRIMARY KEY,
    feature            VARCHAR NOT NULL,
    target             VARCHAR NOT NULL,
    judge              VARCHAR,
    sample_ids         JSON NOT NULL,              -- the samples drawn, in order
    mode               VARCHAR NOT NULL,           -- live | batch
    status             VARCHAR NOT NULL,           -- running | batch_submitted | done
    batch_id           VARCHAR,
    estimated_cost_usd DECIMAL(18, 9),
    created_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP
);

-- Per sample: the target's answer and real usage, the agreement check and its verdict, and the
-- tokens the checks spent (judge, embeddings), so the replay's own cost is SQL over this table.
CREATE TABLE replay_results (
    run_id              VARCHAR NOT NULL,
    sample_id           VARCHAR NOT NULL,
    answer              VARCHAR,
    original_output_tokens BIGINT NOT NULL DEFAULT 0,  -- kept: samples may be purged later
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    cached_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    latency_ms          DOUBLE,
    method              VARCHAR NOT NULL,          -- exact | json | embedding | judge | error
    verdict             VARCHAR NOT NULL,          -- win | tie | loss
    score               DOUBLE,
    judge_input_tokens  BIGINT NOT NULL DEFAULT 0,
    judge_output_tokens BIGINT NOT NULL DEFAULT 0,
    embed_tokens        BIGINT NOT NULL DEFAULT 0,
    retries             INTEGER NOT NULL DEFAULT 0,
    done_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, sample_id)
);
