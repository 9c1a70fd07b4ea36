-- Request metrics between $start and $end over the source slot (source_raw.sql, or source_hourly.sql while
-- the rollups are fresh), grouped by allow-listed expressions (spendwatch.explore); the filters are
-- list parameters, an empty list filtering nothing. Cost: priced requests only, exact decimal.
SELECT {{group_select}}
       COALESCE(sum(s.requests), 0)::BIGINT       AS requests,
       COALESCE(sum(s.input_tokens), 0)::BIGINT   AS input_tokens,
       COALESCE(sum(s.cached_tokens), 0)::BIGINT  AS cached_tokens,
       COALESCE(sum(s.output_tokens), 0)::BIGINT  AS output_tokens,
       COALESCE(sum(s.reasoning_tokens), 0)::BIGINT AS reasoning_tokens,
       (COALESCE(sum(s.cost_fusd), 0)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15))::DECIMAL(38, 15) AS cost_usd,
       COALESCE(sum(s.unpriced_requests), 0)::BIGINT AS unpriced_requests,
       (COALESCE(sum(s.cache_savings_fusd), 0)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15))::DECIMAL(38, 15) AS cache_savings_usd,
       COALESCE(sum(s.rate_limited), 0)::BIGINT   AS rate_limited
FROM (
{{source}}
) s
WHERE s.t >= $start AND s.t < $end
  AND (len($features::VARCHAR[]) = 0 OR list_contains($features::VARCHAR[], s.feature))
  AND (len($projects::VARCHAR[]) = 0 OR list_contains($projects::VARCHAR[], s.project_id))
  AND (len($models::VARCHAR[]) = 0 OR list_contains($models::VARCHAR[], s.model))
  AND (len($api_keys::VARCHAR[]) = 0 OR list_contains($api_keys::VARCHAR[], s.api_key_id))
  AND (len($users::VARCHAR[]) = 0 OR list_contains($users::VARCHAR[], s.user_id))
{{group_by}}
ORDER BY {{order_by}}
