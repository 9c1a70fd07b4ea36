-- Spend grouped by allow-listed dimensions between $start (inclusive) and $end (exclusive).
-- cost_usd sums priced requests only; unpriced_requests counts the rest (their cost is unknown, not $0).
SELECT {{group_select}}
       count(*)::BIGINT                             AS requests,
       COALESCE(sum(input_tokens), 0)::BIGINT       AS input_tokens,
       COALESCE(sum(cached_tokens), 0)::BIGINT      AS cached_tokens,
       COALESCE(sum(output_tokens), 0)::BIGINT      AS output_tokens,
       COALESCE(sum(cost_usd), 0)::DECIMAL(38, 15)  AS cost_usd,
       count(*) FILTER (WHERE cost_usd IS NULL)::BIGINT AS unpriced_requests
FROM requests_priced
WHERE ts >= $start AND ts < $end
{{group_by}}
ORDER BY {{order_by}}
