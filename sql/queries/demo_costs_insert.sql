-- The demo's Costs API line items (source 'demo'), per whole UTC day in [$start, $end) and project: each model's
-- input, cached input and output at the catalog price of the demo's usage buckets (batch at batch rates),
-- $discount_model at $discount off; web search tool calls ($10 per 1k calls, $web_search_calls a day on
-- proj_web) and vector storage ($storage_usd a day, org-level). Unpriced models are not billed by OpenAI.
INSERT INTO cost_buckets (bucket_start, bucket_end, project_id, api_key_id, line_item, amount_usd, quantity,
                          quantity_unit, source)
WITH u AS (
    SELECT u.bucket_start, u.bucket_end, u.project_id, u.model,
           CASE WHEN u.batch THEN 'batch' ELSE 'standard' END AS tier,
           u.input_tokens - u.cached_tokens AS t_input, u.cached_tokens AS t_cached, u.output_tokens AS t_output
    FROM usage_buckets u
    WHERE u.source = 'demo' AND u.bucket_start >= $start AND u.bucket_start < $end
),
priced AS (
    SELECT u.*, r.input_rate, r.cached_rate, r.output_rate,
           CASE WHEN u.model = $discount_model THEN 1 - $discount ELSE 1 END::DECIMAL(10, 4) AS f
    FROM u
    JOIN model_map m ON m.model = u.model
    JOIN price_rates r ON r.price_model = m.price_model AND r.tier = u.tier
                      AND u.bucket_start >= r.valid_from AND u.bucket_start < r.valid_to
),
items AS (
    SELECT bucket_start, bucket_end, project_id, model || ', ' || p.part AS line_item,
           sum(p.tokens * p.rate * f / 1000000)::DECIMAL(38, 12) AS amount, sum(p.tokens) AS quantity
    FROM priced,
    LATERAL (VALUES ('input', t_input, input_rate), ('cached input', t_cached, cached_rate),
                    ('output', t_output, output_rate)) AS p(part, tokens, rate)
    WHERE p.tokens > 0
    GROUP BY ALL
),
days AS (SELECT DISTINCT bucket_start, bucket_end FROM u)
SELECT bucket_start, bucket_end, project_id, '', line_item, amount, quantity, 'tokens', 'demo' FROM items
UNION ALL
SELECT bucket_start, bucket_end, 'proj_web', '', 'web search tool calls', $web_search_calls * 0.01,
       $web_search_calls, 'calls', 'demo' FROM days
UNION ALL
SELECT bucket_start, bucket_end, '', '', 'Vector storage', $storage_usd, NULL, NULL, 'demo' FROM days
