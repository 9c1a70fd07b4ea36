-- Per feature and model over the window: volume, cost, prompt length and cache use, batch share.
-- The row source (src: see whatif_source_raw.sql) is requests_priced, or the what-if rollup for the
-- whole hours of the window with the requests at its edges: the same sums either way.
WITH src AS (
{{source}}
)
SELECT s.feature, s.model, m.price_model,
       regexp_replace(s.model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') AS family,
       sum(s.requests)::BIGINT AS requests,
       COALESCE(sum(s.cost_fusd)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15), 0)::DECIMAL(38, 15) AS cost_usd,
       sum(s.input_tokens) / sum(s.requests) AS avg_input_tokens,
       CASE WHEN sum(s.input_tokens) > 0 THEN sum(s.cached_tokens) / sum(s.input_tokens) ELSE 0 END AS cache_hit_rate,
       COALESCE(sum(s.requests) FILTER (WHERE s.batch), 0) / sum(s.requests) AS batch_share
FROM src s
JOIN model_map m ON m.model = s.model
WHERE m.price_model IS NOT NULL
GROUP BY ALL
ORDER BY cost_usd DESC, s.feature, s.model
