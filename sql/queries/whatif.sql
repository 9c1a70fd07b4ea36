-- What-if: the requests in scope at a target model's prices, per feature and model.
-- Moved requests (a deterministic share, by request-id hash) pay the target price on their tokens
-- (output scaled by $output_ratio, input by $input_ratio, cached input at $cache_hit of input when
-- given, at the batch rate when $to_batch) plus, for a fraction $escalate of them, their original cost.
-- Prices: the target's rates now ($price_at) or at each request's day when $historical.
-- Cost is linear in tokens, so tokens are summed per group first and priced once per group (exact).
WITH scope AS (
    SELECT r.feature, r.model, r.batch, r.ts, r.input_tokens, r.cached_tokens, r.output_tokens, r.cost_fusd,
           CASE WHEN $share >= 1 THEN true WHEN $share <= 0 THEN false
                ELSE (hash(r.request_id) % 1000000) < ($share * 1000000)::BIGINT END AS moved
    FROM requests_priced r
    WHERE r.ts >= $start AND r.ts < $end
      AND r.status = 'ok'
      AND ($from_model IS NULL OR r.model IN (  -- the model and its dated snapshots, matched once per name
            SELECT model FROM model_map
            WHERE model = $from_model OR regexp_replace(model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') = $from_model))
      AND (len($features) = 0 OR list_contains($features, r.feature))
      AND (len($projects) = 0 OR list_contains($projects, r.project_id))
),
groups AS (
    SELECT feature, model, moved,
           CASE WHEN $to_batch OR batch THEN 'batch' ELSE 'standard' END AS target_tier,
           CASE WHEN $historical THEN date_trunc('day', ts) ELSE $price_at::TIMESTAMP END AS price_ts,
           count(*) AS requests,
           count(*) FILTER (WHERE cost_fusd IS NULL) AS unpriced_requests,
           COALESCE(sum(input_tokens) FILTER (WHERE cost_fusd IS NOT NULL), 0) AS input_tokens,
           COALESCE(sum(cached_tokens) FILTER (WHERE cost_fusd IS NOT NULL), 0) AS cached_tokens,
           COALESCE(sum(output_tokens) FILTER (WHERE cost_fusd IS NOT NULL), 0) AS output_tokens,
           COALESCE(sum(cost_fusd), 0) AS fusd
    FROM scope
    GROUP BY ALL
),
priced AS (
    SELECT g.*,
           g.fusd::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) AS current_cost,
           (g.input_tokens * $input_ratio)::DECIMAL(38, 6) AS sim_input,
           (CASE WHEN $cache_hit IS NULL THEN g.cached_tokens * $input_ratio
                 ELSE g.input_tokens * $input_ratio * $cache_hit END)::DECIMAL(38, 6) AS sim_cached,
           (g.output_tokens * $output_ratio)::DECIMAL(38, 6) AS sim_output,
           p.input_rate, p.cached_rate, p.output_rate
    FROM groups g
    LEFT JOIN price_rates p
           ON p.price_model = $target AND p.tier = g.target_tier
          AND g.price_ts >= p.valid_from AND g.price_ts < p.valid_to
)
SELECT feature, model,
       sum(requests)::BIGINT AS requests,
       (sum(requests) FILTER (WHERE moved))::BIGINT AS moved_requests,
       sum(unpriced_requests)::BIGINT AS unpriced_requests,
       sum(current_cost)::DECIMAL(38, 15) AS current_cost_usd,
       sum(CASE WHEN NOT moved THEN current_cost
                ELSE ((sim_input - sim_cached) * input_rate + sim_cached * cached_rate + sim_output * output_rate)
                     * 0.000001 + $escalate * current_cost END)::DECIMAL(38, 15) AS simulated_cost_usd,
       (sum(requests) FILTER (WHERE moved AND input_rate IS NULL))::BIGINT AS target_unpriced
FROM priced
GROUP BY ALL
ORDER BY current_cost_usd DESC, feature, model
