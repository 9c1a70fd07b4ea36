CREATE TABLE catalog_meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- Cost at query time: a price change re-prices history with no rewrite.
-- cost = (input - cached) x input rate + cached x cached rate + output x output rate, per 1M tokens,
-- at the rates in force at ts (ASOF join). Tier rows (batch/flex/priority) win where they exist;
-- otherwise batch pays 50 % of standard (cached input too) and flex/priority pay standard.
-- Unknown models: price_model NULL, cost NULL (never $0).
CREATE VIEW requests_priced AS
WITH r AS (
    SELECT q.*,
           m.price_model,
           CASE WHEN q.batch THEN 'batch'
                WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
                WHEN q.service_tier = 'fast' THEN 'priority'
                ELSE 'standard' END AS price_tier
    FROM requests q
    LEFT JOIN model_map m ON m.model = q.model
),
std AS (SELECT * FROM prices WHERE tier = 'standard'),
rated AS (
    SELECT r.*,
           s.source AS price_source,
           t.source AS tier_price_source,
           CASE WHEN r.batch THEN 0.5 ELSE 1 END::DECIMAL(3, 2) AS batch_factor,
           COALESCE(t.input_per_mtok, s.input_per_mtok * batch_factor)::DECIMAL(18, 9) AS input_rate,
           COALESCE(t.cached_per_mtok, s.cached_per_mtok * batch_factor, input_rate)::DECIMAL(18, 9) AS cached_rate,
           COALESCE(t.output_per_mtok, s.output_per_mtok * batch_factor)::DECIMAL(18, 9) AS output_rate
    FROM r
    ASOF LEFT JOIN std s ON s.model = r.price_model AND r.ts >= s.effective_from
    ASOF LEFT JOIN prices t ON t.model = r.price_model AND t.tier = r.price_tier AND r.ts >= t.effective_from
)
SELECT *,
       CASE WHEN input_rate IS NULL THEN NULL ELSE
           ((input_tokens - cached_tokens)::DECIMAL(18, 0) * input_rate
            + cached_tokens::DECIMAL(18, 0) * cached_rate
            + output_tokens::DECIMAL(18, 0) * output_rate) * 0.000001::DECIMAL(7, 6)
       END AS cost_usd
FROM rated;
