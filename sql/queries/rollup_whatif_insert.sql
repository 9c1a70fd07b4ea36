-- Append the what-if rollup of the successful requests ingested after $after (all of them for a rebuild).
INSERT INTO requests_whatif_hourly
SELECT date_trunc('hour', s.t) AS hour, s.feature, s.model, s.project_id, s.batch,
       sum(s.requests)::BIGINT, sum(s.unpriced_requests)::BIGINT,
       sum(s.input_tokens)::BIGINT, sum(s.cached_tokens)::BIGINT,
       sum(s.priced_input_tokens)::BIGINT, sum(s.priced_cached_tokens)::BIGINT, sum(s.priced_output_tokens)::BIGINT,
       sum(s.cost_fusd)::HUGEINT
FROM (
{{source}}
) s
WHERE s.ingested_at > $after
GROUP BY ALL
