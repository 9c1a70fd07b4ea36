-- Priced spend per UTC day between $start and $end for one scope ({{scope}} is an allow-listed
-- column; the value is a parameter). Days without traffic are filled with 0. The rows come from
-- requests_priced, or from the hourly (per-day-and-user) rollup for the whole hours (days) of the
-- window with requests_priced at its edges (see spendwatch.forecast.daily_spend): the same exact sums.
WITH days AS (
    SELECT unnest(generate_series($start::DATE, ($end::TIMESTAMP - INTERVAL 1 MICROSECOND)::DATE, INTERVAL 1 DAY))::DATE AS day
),
src AS (
{{source}}
),
spend AS (
    SELECT CAST(ts AS DATE) AS day, sum(cost_fusd) AS fusd
    FROM src
    WHERE ($value IS NULL OR {{scope}} = $value)
    GROUP BY 1
)
SELECT d.day, COALESCE(s.fusd::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15), 0)::DECIMAL(38, 15) AS cost_usd
FROM days d LEFT JOIN spend s USING (day)
ORDER BY d.day
