-- The UTC months that have requests, newest first (from the source slot: source_plain.sql, or
-- source_hourly.sql while the rollups are fresh).
SELECT DISTINCT CAST(date_trunc('month', s.t) AS DATE) AS month
FROM (
{{source}}
) s
ORDER BY month DESC
