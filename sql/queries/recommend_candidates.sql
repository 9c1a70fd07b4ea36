-- Per feature and model over the window: volume, cost, prompt length and cache use, batch share.
SELECT feature, model, price_model,
       regexp_replace(model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') AS family,
       count(*) AS requests,
       COALESCE(sum(cost_usd), 0)::DECIMAL(38, 15) AS cost_usd,
       avg(input_tokens) AS avg_input_tokens,
       CASE WHEN sum(input_tokens) > 0 THEN sum(cached_tokens) / sum(input_tokens) ELSE 0 END AS cache_hit_rate,
       avg(CASE WHEN batch THEN 1 ELSE 0 END) AS batch_share
FROM requests_priced
WHERE ts >= $start AND ts < $end AND status = 'ok' AND price_model IS NOT NULL
GROUP BY ALL
ORDER BY cost_usd DESC
