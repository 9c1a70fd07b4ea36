-- The hourly rollup as a row source (see source_raw.sql): no user_id (queries that need it read raw).
SELECT hour AS t, model, feature, project_id, api_key_id, NULL::VARCHAR AS user_id, endpoint, status,
       source_kind, requests, input_tokens, cached_tokens, output_tokens, reasoning_tokens,
       unpriced_requests, cost_fusd, cache_savings_fusd, rate_limited
FROM requests_hourly
