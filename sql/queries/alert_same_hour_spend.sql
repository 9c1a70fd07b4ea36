-- Spend in the hour before $at (days_ago = 0) and in the same hour on each of the $days days before
-- (days_ago = 1..$days), one scan of the trailing window. Days with no spend have no row (= $0).
WITH r AS (
    SELECT epoch_us($at::TIMESTAMP) - epoch_us(ts) - 1 AS ago_us, cost_usd
    FROM requests_priced
    WHERE ts < $at::TIMESTAMP AND ts >= $at::TIMESTAMP - to_days(CAST($days AS INTEGER) + 1)
      AND ($value IS NULL OR {{scope}} = $value) AND cost_usd IS NOT NULL
)
SELECT ago_us // 86400000000 AS days_ago, sum(cost_usd)::DECIMAL(38, 15) AS spend_usd
FROM r
WHERE ago_us % 86400000000 < 3600000000
GROUP BY 1
ORDER BY 1
