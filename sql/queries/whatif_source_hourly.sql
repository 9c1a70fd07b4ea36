-- The what-if rollup as a row source (see whatif_source_raw.sql): the whole UTC hours in [$lo, $hi).
SELECT hour AS t, feature, model, project_id, batch, requests, unpriced_requests, input_tokens, cached_tokens,
       priced_input_tokens, priced_cached_tokens, priced_output_tokens, cost_fusd,
       NULL::TIMESTAMP AS ingested_at
FROM requests_whatif_hourly
WHERE hour >= $lo AND hour < $hi
