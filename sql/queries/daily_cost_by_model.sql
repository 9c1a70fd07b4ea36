-- Daily priced spend per model between $start (inclusive) and $end (exclusive).
SELECT CAST(date_trunc('day', ts) AS DATE) AS day,
       model,
       COALESCE(sum(cost_usd), 0)::DECIMAL(38, 15) AS cost_usd,
       count(*) AS requests
FROM requests_priced
WHERE ts >= $start AND ts < $end
GROUP BY ALL
ORDER BY day, model
