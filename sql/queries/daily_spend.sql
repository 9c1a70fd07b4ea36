-- Priced spend per UTC day between $start and $end for one scope ({{scope}} is an allow-listed
-- column; the value is a parameter). Days without traffic are filled with 0.
WITH days AS (
    SELECT unnest(generate_series($start::DATE, ($end::TIMESTAMP - INTERVAL 1 MICROSECOND)::DATE, INTERVAL 1 DAY))::DATE AS day
),
spend AS (
    SELECT CAST(ts AS DATE) AS day, sum(cost_usd)::DECIMAL(38, 15) AS cost_usd
    FROM requests_priced
    WHERE ts >= $start AND ts < $end AND ($value IS NULL OR {{scope}} = $value)
    GROUP BY 1
)
SELECT d.day, COALESCE(s.cost_usd, 0)::DECIMAL(38, 15) AS cost_usd
FROM days d LEFT JOIN spend s USING (day)
ORDER BY d.day
