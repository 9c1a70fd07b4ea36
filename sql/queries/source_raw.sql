-- The per-request row source of the dashboard queries (filled into their source slot): one row
-- per request, in the same columns as source_hourly.sql (requests = 1), exact cost in 1e-15 USD.
SELECT ts AS t, model, feature, project_id, api_key_id, user_id, endpoint, status,
       split_part(source, ':', 1) AS source_kind,
       1 AS requests, input_tokens, cached_tokens, output_tokens, reasoning_tokens,
       CASE WHEN cost_fusd IS NULL THEN 1 ELSE 0 END AS unpriced_requests,
       cost_fusd,
       cached_tokens::HUGEINT * ((input_rate - cached_rate) * 1000000000)::BIGINT AS cache_savings_fusd,
       CASE WHEN http_status = 429 THEN 1 ELSE 0 END AS rate_limited,
       ingested_at
FROM requests_priced
