-- What-if: several scenarios over one window in one pass, each the successful requests in scope at a
-- target model's prices, per scenario, feature and model.
-- Scenarios arrive as parallel lists ($sid, $from_model, $features, ... one element per scenario).
-- A scenario moves the fraction $share of every group of requests (an exact fraction of each group's
-- tokens and cost: the expected value over which requests move, not a sample). Moved tokens pay the
-- target price (output scaled by $output_ratio, input by $input_ratio, cached input at $cache_hit of
-- input when given, at the batch rate when $to_batch or the request was a batch one) plus, for a
-- fraction $escalate of them, their original cost. Prices: the target's rates now ($price_at) or at
-- each request's day when $historical. Cost is linear in tokens, so tokens are summed per group first
-- and priced once per group: the row source (src) is requests_priced or the what-if rollup.
-- Precision: share, escalate and cache hit are read to 9 decimals, ratios to 9, simulated tokens to 6;
-- each group's moved and kept parts are kept to 1e-18 USD, the sums to 1e-15 USD (as current cost).
WITH scen AS (
    SELECT unnest($sid::INTEGER[]) AS sid,
           unnest($from_model::VARCHAR[]) AS from_model,
           unnest($features::VARCHAR[][]) AS features,
           unnest($projects::VARCHAR[][]) AS projects,
           unnest($share::VARCHAR[])::DECIMAL(10, 9) AS share,
           unnest($escalate::VARCHAR[])::DECIMAL(10, 9) AS escalate,
           unnest($input_ratio::VARCHAR[])::DECIMAL(18, 9) AS input_ratio,
           unnest($output_ratio::VARCHAR[])::DECIMAL(18, 9) AS output_ratio,
           unnest($cache_hit::VARCHAR[])::DECIMAL(10, 9) AS cache_hit,
           unnest($to_batch::BOOLEAN[]) AS to_batch,
           unnest($target::VARCHAR[]) AS target,
           unnest($historical::BOOLEAN[]) AS historical
),
scen_models AS (  -- a --from model and its dated snapshots, matched once per name
    SELECT DISTINCT s.sid, m.model
    FROM scen s JOIN model_map m
      ON m.model = s.from_model OR regexp_replace(m.model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') = s.from_model
),
src AS (
{{source}}
),
groups AS (
    SELECT feature, model,
           CASE WHEN $any_projects THEN project_id END AS project_id,  -- keys only the scenarios need
           batch,
           CASE WHEN $any_historical THEN date_trunc('day', t) END AS day,
           sum(requests) AS requests,
           sum(unpriced_requests) AS unpriced_requests,
           sum(priced_input_tokens) AS input_tokens,
           sum(priced_cached_tokens) AS cached_tokens,
           sum(priced_output_tokens) AS output_tokens,
           COALESCE(sum(cost_fusd), 0) AS fusd
    FROM src
    WHERE (NOT $all_from OR model IN (SELECT model FROM scen_models))  -- every scenario names its models
      AND (len($any_feature) = 0 OR list_contains($any_feature, feature))  -- or its features
    GROUP BY ALL
),
matched AS (
    SELECT s.sid, g.feature, g.model,
           CASE WHEN s.to_batch OR g.batch THEN 'batch' ELSE 'standard' END AS target_tier,
           CASE WHEN s.historical THEN g.day ELSE $price_at::TIMESTAMP END AS price_ts,
           sum(g.requests) AS requests, sum(g.unpriced_requests) AS unpriced_requests,
           sum(g.input_tokens) AS input_tokens, sum(g.cached_tokens) AS cached_tokens,
           sum(g.output_tokens) AS output_tokens, sum(g.fusd) AS fusd
    FROM scen s
    JOIN groups g
      ON (len(s.features) = 0 OR list_contains(s.features, g.feature))
     AND (len(s.projects) = 0 OR list_contains(s.projects, g.project_id))
    LEFT JOIN scen_models sm ON sm.sid = s.sid AND sm.model = g.model
    WHERE s.from_model IS NULL OR sm.model IS NOT NULL
    GROUP BY ALL
),
priced AS (
    SELECT m.*, s.share, s.escalate,
           m.fusd::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) AS current_cost,
           (m.input_tokens * s.input_ratio)::DECIMAL(38, 6) AS sim_input,
           (CASE WHEN s.cache_hit IS NULL THEN m.cached_tokens * s.input_ratio
                 ELSE m.input_tokens * s.input_ratio * s.cache_hit END)::DECIMAL(38, 6) AS sim_cached,
           (m.output_tokens * s.output_ratio)::DECIMAL(38, 6) AS sim_output,
           p.input_rate, p.cached_rate, p.output_rate
    FROM matched m
    JOIN scen s USING (sid)
    LEFT JOIN price_rates p
           ON p.price_model = s.target AND p.tier = m.target_tier
          AND m.price_ts >= p.valid_from AND m.price_ts < p.valid_to
),
moved AS (  -- per group: what all of it would cost moved (NULL: no target price), 1e-18 USD steps
    SELECT *,
           (((sim_input - sim_cached) * input_rate + sim_cached * cached_rate + sim_output * output_rate) * 0.000001
            + escalate * current_cost)::DECIMAL(38, 18) AS moved_cost
    FROM priced
)
SELECT sid, feature, model,
       sum(requests)::BIGINT AS requests,
       sum(requests * share)::DECIMAL(38, 9) AS moved_requests,
       sum(unpriced_requests)::BIGINT AS unpriced_requests,
       sum(current_cost)::DECIMAL(38, 15) AS current_cost_usd,
       sum((current_cost * (1 - share))::DECIMAL(38, 18)
           + COALESCE((share * moved_cost)::DECIMAL(38, 18), 0))::DECIMAL(38, 15) AS simulated_cost_usd,
       COALESCE(sum(requests * share) FILTER (WHERE input_rate IS NULL), 0)::DECIMAL(38, 9) AS target_unpriced
FROM moved
GROUP BY ALL
ORDER BY sid, current_cost_usd DESC, feature, model
