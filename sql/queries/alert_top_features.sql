-- The features that cost most in [$start, $end) within one scope: what an alert says is driving it.
SELECT feature, sum(cost_usd)::DECIMAL(38, 15) AS spend_usd
FROM requests_priced
WHERE ts >= $start AND ts < $end AND ($value IS NULL OR {{scope}} = $value) AND cost_usd IS NOT NULL
GROUP BY feature
ORDER BY spend_usd DESC, feature
LIMIT $n
