-- Append the hourly aggregate of the requests ingested after $after (all of them for a rebuild).
INSERT INTO requests_hourly
SELECT date_trunc('hour', s.t) AS hour, s.model, s.feature, s.project_id, s.api_key_id, s.endpoint, s.status,
       s.source_kind,
       sum(s.requests)::BIGINT, sum(s.input_tokens)::BIGINT, sum(s.cached_tokens)::BIGINT,
       sum(s.output_tokens)::BIGINT, sum(s.reasoning_tokens)::BIGINT, sum(s.unpriced_requests)::BIGINT,
       sum(s.cost_fusd)::HUGEINT, sum(s.cache_savings_fusd)::HUGEINT, sum(s.rate_limited)::BIGINT
FROM (
{{source}}
) s
WHERE s.ingested_at > $after
GROUP BY ALL
