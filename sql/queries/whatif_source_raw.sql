-- The what-if row source over requests (one row per successful request in [{{from}}, {{to}})), in the
-- columns of requests_whatif_hourly (requests = 1; t is the request's timestamp).
SELECT ts AS t, feature, model, project_id, batch,
       1 AS requests,
       CASE WHEN cost_fusd IS NULL THEN 1 ELSE 0 END AS unpriced_requests,
       input_tokens, cached_tokens,
       CASE WHEN cost_fusd IS NULL THEN 0 ELSE input_tokens END AS priced_input_tokens,
       CASE WHEN cost_fusd IS NULL THEN 0 ELSE cached_tokens END AS priced_cached_tokens,
       CASE WHEN cost_fusd IS NULL THEN 0 ELSE output_tokens END AS priced_output_tokens,
       cost_fusd,
       ingested_at
FROM requests_priced
WHERE status = 'ok' AND ts >= {{from}} AND ts < {{to}}
