-- Priced spend and unpriced requests in [$start, $end) for one scope ({{scope}}: an allow-listed column).
SELECT COALESCE(sum(cost_usd), 0)::DECIMAL(38, 15) AS spend_usd,
       count(*) FILTER (WHERE cost_usd IS NULL)     AS unpriced_requests
FROM requests_priced
WHERE ts >= $start AND ts < $end AND ($value IS NULL OR {{scope}} = $value)
