-- Per UTC day | project | model | part | tier: the logged cost of each part (request_cost_parts) beside
-- what the Costs API billed for it (line items parsed into _line_items by spendwatch.pricing.line_items).
-- A long-context part is named <part>_long_context on both sides. Window: $start <= time < $end.
WITH logged AS (
    SELECT CAST(date_trunc('day', ts) AS DATE) AS day, COALESCE(project_id, '') AS project_id, model,
           part || CASE WHEN long_context AND unit = 'tokens' THEN '_long_context' ELSE '' END AS part,
           price_tier AS tier, COALESCE(sum(cost_usd), 0) AS logged_usd
    FROM request_cost_parts
    WHERE ts >= $start AND ts < $end AND status <> 'error'
    GROUP BY ALL
),
billed AS (
    SELECT CAST(date_trunc('day', c.bucket_start) AS DATE) AS day, c.project_id,
           CASE WHEN li.part IN ('vector_storage', 'container_storage', 'fine_tuning_training', 'fine_tuning_hosting')
                THEN '(' || replace(li.part, '_', ' ') || ')' ELSE COALESCE(li.model, '') END AS model,
           COALESCE(li.part, 'unrecognised') AS part, COALESCE(li.tier, 'standard') AS tier,
           sum(c.amount_usd) AS billed_usd
    FROM cost_buckets c
    LEFT JOIN _line_items li ON li.line_item = c.line_item
    WHERE c.bucket_start >= $start AND c.bucket_start < $end
    GROUP BY ALL
)
SELECT COALESCE(l.day, b.day) AS day, COALESCE(l.project_id, b.project_id) AS project,
       COALESCE(l.model, b.model) AS model, COALESCE(l.part, b.part) AS part, COALESCE(l.tier, b.tier) AS tier,
       COALESCE(l.logged_usd, 0)::DECIMAL(38, 15) AS logged_usd, COALESCE(b.billed_usd, 0)::DECIMAL(38, 12) AS billed_usd
FROM logged l
FULL OUTER JOIN billed b
  ON b.day = l.day AND b.project_id = l.project_id AND b.model = l.model AND b.part = l.part AND b.tier = l.tier
