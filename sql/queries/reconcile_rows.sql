-- Request logs, the Usage API and the Costs API side by side, per UTC day | project | model, rolled up
-- to the dimensions asked for ($by_day, $by_project, $by_model; a dimension not asked for is NULL).
-- Window: $start <= time < $end.
--   logged: requests_priced (each request at the catalog price in force at its time; unpriced ones
--           counted, never $0; failed requests left out).
--   usage:  usage_buckets of completions and embeddings, priced like a request:
--           (input - cached) x input rate + cached x cached rate + output x output rate, per 1M tokens,
--           at the rate in force at the bucket's start; batch buckets at the batch tier, flex/priority at
--           theirs (price_rates already holds the 50 % batch rule where the catalog has no batch row).
--   billed: cost_buckets; the model is read from the line item ("gpt-4o-2024-08-06, cached input",
--           "priority | gpt-5, output") as parsed into _line_items (spendwatch.pricing.line_items); line items
--           without one ("web search tool calls") get model ''; organisation-level charges a model of their
--           own: '(vector storage)', '(fine tuning training)'.
--   usage priced by part: the Usage API's input_audio_tokens / output_audio_tokens / input_image_tokens /
--           input_cache_write_tokens at the model's audio, image and cache-write rates.
-- A day counts as synced for usage (costs) from the first usage (cost) bucket stored up to the sync
-- cursor, so a synced day without traffic is 0, and a day never synced is NULL.
WITH logs AS (
    SELECT CAST(date_trunc('day', ts) AS DATE)                      AS day,
           COALESCE(project_id, '')                                 AS project_id,
           model,
           count(*)                                                 AS logged_requests,
           COALESCE(sum(cost_usd), 0)                               AS logged_cost_usd,
           count(*) FILTER (WHERE cost_usd IS NULL)                 AS logged_unpriced_requests,
           count(*) FILTER (WHERE price_tier <> 'standard')         AS logged_tier_requests
    FROM requests_priced
    WHERE ts >= $start AND ts < $end AND status <> 'error'
    GROUP BY ALL
),
ub AS (
    SELECT u.*, CAST(date_trunc('day', u.bucket_start) AS DATE) AS day,
           CASE WHEN u.batch THEN 'batch'
                WHEN u.service_tier IN ('flex', 'priority') THEN u.service_tier
                WHEN u.service_tier = 'fast' THEN 'priority'
                ELSE 'standard' END AS price_tier
    FROM usage_buckets u
    WHERE u.kind IN ('completions', 'embeddings') AND u.bucket_start >= $start AND u.bucket_start < $end
),
-- A day synced both daily and hourly is read once, from its daily buckets.
daily AS (SELECT DISTINCT day, kind FROM ub WHERE bucket_width = '1d'),
picked AS (
    SELECT ub.* FROM ub LEFT JOIN daily d ON d.day = ub.day AND d.kind = ub.kind
    WHERE ub.bucket_width = '1d' OR (d.day IS NULL AND ub.bucket_width = '1h')
),
parted AS (  -- the Usage API's part counts (subsets of input/output tokens), read from the raw result
    SELECT p.*,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.input_audio_tokens') AS BIGINT), 0) AS audio_in,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.input_cached_audio_tokens') AS BIGINT), 0) AS cached_audio,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.output_audio_tokens') AS BIGINT), 0) AS audio_out,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.input_image_tokens') AS BIGINT), 0) AS image_in,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.output_image_tokens') AS BIGINT), 0) AS image_out,
           COALESCE(TRY_CAST(json_extract_string(p.raw, '$.input_cache_write_tokens') AS BIGINT), 0) AS cache_write
    FROM picked p
),
usage_priced AS (
    SELECT p.*, r.input_nano,
           greatest(p.input_tokens - p.cached_tokens - p.cache_write - (p.audio_in - p.cached_audio) - p.image_in, 0)::HUGEINT
               * r.input_nano
               + greatest(p.cached_tokens - p.cached_audio, 0)::HUGEINT * r.cached_nano
               + p.cache_write::HUGEINT * COALESCE(r.cache_write_nano, r.input_nano)
               + (p.audio_in - p.cached_audio)::HUGEINT * COALESCE(r.audio_in_nano, r.input_nano)
               + p.cached_audio::HUGEINT * COALESCE(r.cached_audio_nano, r.audio_in_nano, r.cached_nano)
               + p.image_in::HUGEINT * COALESCE(r.image_in_nano, r.input_nano)
               + greatest(p.output_tokens - p.audio_out - p.image_out, 0)::HUGEINT * r.output_nano
               + p.audio_out::HUGEINT * COALESCE(r.audio_out_nano, r.output_nano)
               + p.image_out::HUGEINT * COALESCE(r.image_out_nano, r.output_nano) AS cost_fusd  -- 1e-15 USD, exact
    FROM parted p
    LEFT JOIN model_map m ON m.model = p.model
    LEFT JOIN price_rates r
           ON r.price_model = m.price_model AND r.tier = p.price_tier
          AND p.bucket_start >= r.valid_from AND p.bucket_start < r.valid_to
),
usage AS (
    SELECT day, project_id, model,
           sum(requests)                                                    AS usage_requests,
           sum(input_tokens)                                                AS usage_input_tokens,
           sum(cached_tokens)                                               AS usage_cached_tokens,
           sum(output_tokens)                                               AS usage_output_tokens,
           COALESCE(sum(cost_fusd), 0)                                      AS usage_fusd,
           COALESCE(sum(requests) FILTER (WHERE input_nano IS NULL), 0)     AS usage_unpriced_requests,
           COALESCE(sum(requests) FILTER (WHERE price_tier <> 'standard'), 0) AS usage_tier_requests
    FROM usage_priced
    GROUP BY ALL
),
cb AS (
    SELECT CAST(date_trunc('day', bucket_start) AS DATE) AS day, project_id, amount_usd, line_item,
           CASE WHEN strpos(line_item, ' | ') > 0 THEN split_part(line_item, ' | ', 2) ELSE line_item END AS item
    FROM cost_buckets
    WHERE bucket_start >= $start AND bucket_start < $end
),
costs AS (  -- organisation-level charges (storage, fine-tuning training) are rows of their own
    SELECT cb.day, cb.project_id,
           CASE WHEN li.part IN ('vector_storage', 'container_storage', 'fine_tuning_training', 'fine_tuning_hosting')
                THEN '(' || replace(li.part, '_', ' ') || ')'
                WHEN li.model IS NOT NULL THEN li.model
                WHEN strpos(item, ', ') > 0 THEN split_part(split_part(item, ', ', 1), ' ', 1) ELSE '' END AS model,
           sum(amount_usd) AS billed_usd
    FROM cb LEFT JOIN _line_items li ON li.line_item = cb.line_item
    GROUP BY ALL
),
bounds AS (
    SELECT (SELECT CAST(min(bucket_start) AS DATE) FROM usage_buckets) AS usage_lo,
           (SELECT CAST(min(bucket_start) AS DATE) FROM cost_buckets)  AS cost_lo,
           greatest((SELECT max(cursor_ts) FROM sync_state WHERE source = 'openai'),
                    (SELECT max(bucket_end) FROM usage_buckets),
                    (SELECT max(bucket_end) FROM cost_buckets))        AS hi
),
keys AS (
    SELECT day, project_id, model FROM logs
    UNION SELECT day, project_id, model FROM usage
    UNION SELECT day, project_id, model FROM costs
),
base AS (
    SELECT k.day, k.project_id, k.model,
           COALESCE(l.logged_requests, 0)          AS logged_requests,
           COALESCE(l.logged_cost_usd, 0)          AS logged_cost_usd,
           COALESCE(l.logged_unpriced_requests, 0) AS logged_unpriced_requests,
           COALESCE(l.logged_tier_requests, 0)     AS logged_tier_requests,
           (k.day >= b.usage_lo AND k.day < b.hi) OR u.day IS NOT NULL AS usage_synced,
           COALESCE(u.usage_requests, 0)           AS usage_requests,
           COALESCE(u.usage_input_tokens, 0)       AS usage_input_tokens,
           COALESCE(u.usage_cached_tokens, 0)      AS usage_cached_tokens,
           COALESCE(u.usage_output_tokens, 0)      AS usage_output_tokens,
           COALESCE(u.usage_fusd, 0)               AS usage_fusd,
           COALESCE(u.usage_unpriced_requests, 0)  AS usage_unpriced_requests,
           COALESCE(u.usage_tier_requests, 0)      AS usage_tier_requests,
           (k.day >= b.cost_lo AND k.day < b.hi) OR c.day IS NOT NULL AS costs_synced,
           COALESCE(c.billed_usd, 0)               AS billed_usd
    FROM keys k
    CROSS JOIN bounds b
    LEFT JOIN logs l  ON l.day = k.day AND l.project_id = k.project_id AND l.model = k.model
    LEFT JOIN usage u ON u.day = k.day AND u.project_id = k.project_id AND u.model = k.model
    LEFT JOIN costs c ON c.day = k.day AND c.project_id = k.project_id AND c.model = k.model
)
SELECT CASE WHEN $by_day THEN day END                 AS day,
       CASE WHEN $by_project THEN project_id END      AS project,
       CASE WHEN $by_model THEN model END             AS model,
       sum(logged_requests)::BIGINT                   AS logged_requests,
       sum(logged_cost_usd)::DECIMAL(38, 15)          AS logged_cost_usd,
       sum(logged_unpriced_requests)::BIGINT          AS logged_unpriced_requests,
       sum(logged_tier_requests)::BIGINT              AS logged_tier_requests,
       sum(usage_requests)::BIGINT                    AS usage_requests,
       sum(usage_input_tokens)::BIGINT                AS usage_input_tokens,
       sum(usage_cached_tokens)::BIGINT               AS usage_cached_tokens,
       sum(usage_output_tokens)::BIGINT               AS usage_output_tokens,
       sum(usage_fusd)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) AS usage_cost_usd,
       sum(usage_unpriced_requests)::BIGINT           AS usage_unpriced_requests,
       sum(usage_tier_requests)::BIGINT               AS usage_tier_requests,
       sum(billed_usd)::DECIMAL(38, 12)               AS billed_usd,
       sum(billed_usd) FILTER (WHERE model = '' OR model LIKE '(%)')::DECIMAL(38, 12) AS billed_other_usd,
       bool_and(usage_synced)                         AS usage_synced,
       bool_or(usage_synced)                          AS usage_any_synced,
       bool_and(costs_synced)                         AS costs_synced,
       bool_or(costs_synced)                          AS costs_any_synced
FROM base
GROUP BY ALL
ORDER BY day NULLS FIRST, billed_usd DESC, project, model;
