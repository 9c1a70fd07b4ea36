-- Spend per day of one rule's window [$start, $end) in its scope, days in the rule's time zone
-- ($tz), with the running total: the burn-down of its budget.
WITH days AS (
    SELECT unnest(generate_series(0, date_diff('day', timezone($tz, $start::TIMESTAMPTZ)::DATE,
                                                      timezone($tz, ($end::TIMESTAMP - INTERVAL 1 MICROSECOND)::TIMESTAMPTZ)::DATE)))
           AS i
),
spend AS (
    SELECT timezone($tz, ts::TIMESTAMPTZ)::DATE AS day, sum(cost_usd)::DECIMAL(38, 15) AS spend_usd
    FROM requests_priced
    WHERE ts >= $start AND ts < LEAST($end, $at) AND ($value IS NULL OR {{scope}} = $value)
    GROUP BY 1
)
SELECT timezone($tz, $start::TIMESTAMPTZ)::DATE + CAST(d.i AS INTEGER) AS day,
       COALESCE(s.spend_usd, 0)::DECIMAL(38, 15) AS spend_usd,
       sum(COALESCE(s.spend_usd, 0)) OVER (ORDER BY d.i)::DECIMAL(38, 15) AS cumulative_usd
FROM days d
LEFT JOIN spend s ON s.day = timezone($tz, $start::TIMESTAMPTZ)::DATE + CAST(d.i AS INTEGER)
ORDER BY day
