-- Faster exact pricing. The final rates per (price model, tier, validity period) are worked out once,
-- when the catalog is materialised (a few thousand rows), so pricing a request is one hash join with a
-- range check instead of two ASOF joins that sort the whole requests table.
CREATE TABLE price_rates (
    price_model  VARCHAR NOT NULL,
    tier         VARCHAR NOT NULL,           -- standard | batch | flex | priority
    valid_from   TIMESTAMP NOT NULL,
    valid_to     TIMESTAMP NOT NULL,
    input_rate   DECIMAL(18, 9) NOT NULL,    -- USD per 1M tokens
    cached_rate  DECIMAL(18, 9) NOT NULL,
    output_rate  DECIMAL(18, 9) NOT NULL,
    input_nano   BIGINT NOT NULL,            -- the same rates in 1e-9 USD per 1M tokens (exact integers)
    cached_nano  BIGINT NOT NULL,
    output_nano  BIGINT NOT NULL,
    price_source VARCHAR NOT NULL,
    PRIMARY KEY (price_model, tier, valid_from)
);

-- cost = (input - cached) x input rate + cached x cached rate + output x output rate, per 1M tokens.
-- tokens x (1e-9 USD per 1M tokens) = 1e-15 USD: cost_fusd is the exact cost in femto-dollars.
CREATE OR REPLACE VIEW requests_priced AS
WITH r AS (
    SELECT q.*,
           m.price_model,
           CASE WHEN q.batch THEN 'batch'
                WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
                WHEN q.service_tier = 'fast' THEN 'priority'
                ELSE 'standard' END AS price_tier
    FROM requests q
    LEFT JOIN model_map m ON m.model = q.model
)
SELECT r.*,
       p.price_source,
       p.input_rate, p.cached_rate, p.output_rate,
       (r.input_tokens - r.cached_tokens)::HUGEINT * p.input_nano
           + r.cached_tokens::HUGEINT * p.cached_nano
           + r.output_tokens::HUGEINT * p.output_nano AS cost_fusd,
       cost_fusd::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) AS cost_usd
FROM r
LEFT JOIN price_rates p
       ON p.price_model = r.price_model AND p.tier = r.price_tier
      AND r.ts >= p.valid_from AND r.ts < p.valid_to;
