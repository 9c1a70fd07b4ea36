-- Spend today and month to date (UTC) as of $now, plus priced/unpriced counts and caching savings.
SELECT
    COALESCE(sum(cost_usd) FILTER (WHERE ts >= date_trunc('day', $now::TIMESTAMP)), 0)::DECIMAL(38, 15)   AS today_usd,
    COALESCE(sum(cost_usd) FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP)), 0)::DECIMAL(38, 15) AS month_to_date_usd,
    count(*) FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP))                                     AS month_requests,
    count(*) FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP) AND cost_usd IS NULL)                AS month_unpriced_requests,
    COALESCE(sum(cached_tokens) FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP)), 0)              AS month_cached_tokens,
    COALESCE(sum(input_tokens) FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP)), 0)               AS month_input_tokens,
    COALESCE(sum(cached_tokens::DECIMAL(18, 0) * (input_rate - cached_rate) * 0.000001::DECIMAL(7, 6))
             FILTER (WHERE ts >= date_trunc('month', $now::TIMESTAMP)), 0)::DECIMAL(38, 15)                AS month_cache_savings_usd
FROM requests_priced
WHERE ts < $now::TIMESTAMP + INTERVAL 1 SECOND
  AND ts >= date_trunc('month', $now::TIMESTAMP) - INTERVAL 1 DAY
