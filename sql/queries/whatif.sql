-- What-if: the requests in scope at a target model's prices, per feature and model.
-- Moved requests (a deterministic share, by request-id hash) pay the target price on their tokens
-- (output scaled by $output_ratio, input by $input_ratio, cached input at $cache_hit of input when
-- given, at the batch rate when $to_batch) plus, for a fraction $escalate of them, their original cost.
-- Prices: the target's rates now ($price_at) or at each request's time when $historical.
WITH scope AS (
    SELECT r.request_id, r.feature, r.model, r.ts, r.batch, r.input_tokens, r.cached_tokens, r.output_tokens,
           r.cost_usd,
           (md5_number_lower(r.request_id) % 1000000) < ($share * 1000000)::BIGINT AS moved
    FROM requests_priced r
    WHERE r.ts >= $start AND r.ts < $end
      AND r.status = 'ok'
      AND ($from_model IS NULL OR r.model = $from_model
           OR regexp_replace(r.model, '-(\d{4}-\d{2}-\d{2}|\d{4})$', '') = $from_model)  -- dated snapshots
      AND (len($features) = 0 OR list_contains($features, r.feature))
      AND (len($projects) = 0 OR list_contains($projects, r.project_id))
),
sim AS (
    SELECT s.*,
           (s.input_tokens * $input_ratio)::DECIMAL(24, 6) AS sim_input,
           (CASE WHEN $cache_hit IS NULL THEN least(s.cached_tokens * $input_ratio, s.input_tokens * $input_ratio)
                 ELSE s.input_tokens * $input_ratio * $cache_hit END)::DECIMAL(24, 6) AS sim_cached,
           (s.output_tokens * $output_ratio)::DECIMAL(24, 6) AS sim_output,
           CASE WHEN $to_batch OR s.batch THEN 'batch' ELSE 'standard' END AS target_tier
    FROM scope s
),
priced AS (
    SELECT sim.*,
           ((sim.sim_input - sim.sim_cached) * p.input_rate + sim.sim_cached * p.cached_rate
             + sim.sim_output * p.output_rate) * 0.000001 AS target_cost
    FROM sim
    LEFT JOIN price_rates p
           ON p.price_model = $target AND p.tier = sim.target_tier
          AND (CASE WHEN $historical THEN sim.ts ELSE $price_at END) >= p.valid_from
          AND (CASE WHEN $historical THEN sim.ts ELSE $price_at END) < p.valid_to
)
SELECT feature, model,
       count(*) AS requests,
       count(*) FILTER (WHERE moved) AS moved_requests,
       count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_requests,
       COALESCE(sum(cost_usd), 0)::DECIMAL(38, 12) AS current_cost_usd,
       COALESCE(sum(CASE WHEN cost_usd IS NULL THEN 0
                         WHEN moved THEN target_cost + $escalate * cost_usd
                         ELSE cost_usd END), 0)::DECIMAL(38, 12) AS simulated_cost_usd,
       count(*) FILTER (WHERE moved AND cost_usd IS NOT NULL AND target_cost IS NULL) AS target_unpriced
FROM priced
GROUP BY ALL
ORDER BY current_cost_usd DESC, feature, model
