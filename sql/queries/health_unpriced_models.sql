-- Model names with unpriced requests (cost NULL, never $0) over the source slot (source_raw.sql or
-- source_hourly.sql): how many, when, and how the name resolved in model_map.
SELECT s.model, COALESCE(m.rule, 'not resolved yet') AS rule, m.price_model,
       sum(s.unpriced_requests)::BIGINT AS unpriced_requests, min(s.t) AS first_seen, max(s.t) AS last_seen
FROM (
{{source}}
) s
LEFT JOIN model_map m ON m.model = s.model
WHERE s.unpriced_requests > 0
GROUP BY ALL
ORDER BY unpriced_requests DESC, s.model
