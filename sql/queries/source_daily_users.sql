-- The per-day, per-user rollup as a row source (see source_raw.sql): t is the UTC day start.
SELECT day AS t, model, feature, project_id, api_key_id, user_id, endpoint, status,
       source_kind, requests, input_tokens, cached_tokens, output_tokens, reasoning_tokens,
       unpriced_requests, cost_fusd, cache_savings_fusd, rate_limited
FROM requests_daily_users
