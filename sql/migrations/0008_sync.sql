-- OpenAI Usage/Costs sync. A usage bucket's natural key gains its width: an hourly sync and a daily
-- sync of the same day are two views of the same traffic, never added together (the 00:00-01:00
-- bucket and the 00:00-24:00 bucket share a start time). Non-token usage kinds (images, audio
-- characters and seconds) keep their own count in quantity / quantity_unit.
CREATE TABLE usage_buckets_0008 (
    bucket_start   TIMESTAMP NOT NULL,
    bucket_end     TIMESTAMP NOT NULL,
    bucket_width   VARCHAR NOT NULL DEFAULT '1d',  -- 1d | 1h | 1m, as asked of the Usage API
    kind           VARCHAR NOT NULL,               -- completions | embeddings | moderations | images | ...
    model          VARCHAR NOT NULL DEFAULT '',
    project_id     VARCHAR NOT NULL DEFAULT '',
    api_key_id     VARCHAR NOT NULL DEFAULT '',
    user_id        VARCHAR NOT NULL DEFAULT '',
    batch          BOOLEAN NOT NULL DEFAULT false,
    service_tier   VARCHAR NOT NULL DEFAULT '',
    input_tokens   BIGINT NOT NULL DEFAULT 0,      -- as OpenAI reports it: includes cached tokens
    cached_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens  BIGINT NOT NULL DEFAULT 0,
    requests       BIGINT NOT NULL DEFAULT 0,
    quantity       BIGINT NOT NULL DEFAULT 0,      -- images, characters or seconds for non-token kinds
    quantity_unit  VARCHAR,
    raw            JSON,
    synced_at      TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    PRIMARY KEY (bucket_start, bucket_width, kind, model, project_id, api_key_id, user_id, batch, service_tier)
);

INSERT INTO usage_buckets_0008 (bucket_start, bucket_end, bucket_width, kind, model, project_id, api_key_id,
                                user_id, batch, service_tier, input_tokens, cached_tokens, output_tokens,
                                requests, raw, synced_at)
SELECT bucket_start, bucket_end,
       CASE WHEN bucket_end - bucket_start <= INTERVAL 1 HOUR THEN '1h' ELSE '1d' END,
       kind, model, project_id, api_key_id, user_id, batch, service_tier, input_tokens, cached_tokens,
       output_tokens, requests, raw, synced_at
FROM usage_buckets;

DROP TABLE usage_buckets;
ALTER TABLE usage_buckets_0008 RENAME TO usage_buckets;
