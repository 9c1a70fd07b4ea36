-- Final rates per (model, tier, period) from the merged `prices` table. A tier's own row wins where
-- one is in force; otherwise batch pays 50 % of every standard rate (cached included) and
-- flex/priority pay standard. Cached input without a cached price is billed at the input rate.
INSERT INTO price_rates
WITH tiers AS (SELECT unnest(['standard', 'batch', 'flex', 'priority']) AS tier),
points AS (
    SELECT DISTINCT p.model, t.tier, p.effective_from FROM prices p CROSS JOIN tiers t WHERE p.tier = 'standard'
    UNION
    SELECT model, tier, effective_from FROM prices WHERE tier <> 'standard'
),
std AS (SELECT * FROM prices WHERE tier = 'standard'),
own AS (SELECT * FROM prices WHERE tier <> 'standard'),
rated AS (
    SELECT pt.model, pt.tier, pt.effective_from,
           CASE WHEN pt.tier = 'batch' THEN 0.5 ELSE 1 END::DECIMAL(3, 2) AS f,
           s.input_per_mtok AS s_in, s.cached_per_mtok AS s_cached, s.output_per_mtok AS s_out, s.source AS s_source,
           o.input_per_mtok AS o_in, o.cached_per_mtok AS o_cached, o.output_per_mtok AS o_out, o.source AS o_source
    FROM points pt
    ASOF LEFT JOIN std s ON s.model = pt.model AND pt.effective_from >= s.effective_from
    ASOF LEFT JOIN own o ON o.model = pt.model AND o.tier = pt.tier AND pt.effective_from >= o.effective_from
),
final AS (
    SELECT model, tier, effective_from,
           COALESCE(o_in, s_in * f)::DECIMAL(18, 9) AS input_rate,
           COALESCE(o_cached, s_cached * f, o_in, s_in * f)::DECIMAL(18, 9) AS cached_rate,
           COALESCE(o_out, s_out * f)::DECIMAL(18, 9) AS output_rate,
           CASE WHEN o_in IS NOT NULL THEN o_source
                WHEN tier = 'batch' THEN s_source || ' (batch: 50 % rule)'
                WHEN tier <> 'standard' THEN s_source || ' (no ' || tier || ' price: standard)'
                ELSE s_source END AS price_source
    FROM rated
)
SELECT model, tier, effective_from,
       COALESCE(lead(effective_from) OVER (PARTITION BY model, tier ORDER BY effective_from),
                TIMESTAMP '9999-12-31') AS valid_to,
       input_rate, cached_rate, output_rate,
       (input_rate::DECIMAL(38, 9) * 1000000000)::BIGINT, (cached_rate::DECIMAL(38, 9) * 1000000000)::BIGINT,
       (output_rate::DECIMAL(38, 9) * 1000000000)::BIGINT,
       price_source
FROM final
WHERE input_rate IS NOT NULL AND output_rate IS NOT NULL
