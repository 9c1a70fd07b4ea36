-- The shared part of chargeback_rows and focus_rows (a fragment: its CTEs, without WITH). The billed dollars
-- of each UTC day x project x Costs API line item meet the logged request groups that used that part.
-- Window: $start <= time < $end (the synced days of the month). The line items come parsed, as parallel
-- lists: $li (text), $li_key (price key of the model, NULL for a line item without one), $li_part, $li_prio
-- (a 'priority | ' line item: only priority requests), $li_lc (', long context': only long-context requests).
-- {{dim}} is an allow-listed column of requests_priced (feature, project_id, user_id, api_key_id).
-- Money is exact: the bill in pico-dollars (1e-12), weights in pico-dollars.
items AS (
    SELECT unnest($li::VARCHAR[]) AS line_item, unnest($li_key::VARCHAR[]) AS mkey,
           unnest($li_part::VARCHAR[]) AS part, unnest($li_prio::BOOLEAN[]) AS prio,
           unnest($li_lc::BOOLEAN[]) AS lc
),
bill AS (
    SELECT CAST(date_trunc('day', c.bucket_start) AS DATE) AS day, c.project_id, c.line_item, i.mkey, i.part,
           i.prio, i.lc,
           (sum(c.amount_usd) * 1000000000000)::HUGEINT AS billed_pico,
           sum(c.amount_usd) AS billed_usd, sum(c.quantity) AS quantity, any_value(c.quantity_unit) AS quantity_unit
    FROM cost_buckets c JOIN items i USING (line_item)
    WHERE c.bucket_start >= $start AND c.bucket_start < $end
    GROUP BY ALL
),
-- A day x project x model with a long-context line item: its long requests are billed there, not in the
-- ordinary line items.
lc_items AS (SELECT DISTINCT day, project_id, mkey FROM bill WHERE lc),
req AS (
    SELECT CAST(date_trunc('day', ts) AS DATE)          AS day,
           COALESCE(project_id, '')                     AS project_id,
           COALESCE(price_model, model)                 AS mkey,
           price_tier = 'priority'                      AS prio,
           input_tokens > 272000                        AS lc,
           {{dim}}                                      AS dim,
           input_rate, cached_rate, output_rate,
           count(*)                                     AS n,
           sum(input_tokens - cached_tokens)            AS t_input,
           sum(cached_tokens)                           AS t_cached,
           sum(output_tokens)                           AS t_output,
           sum(cache_write_tokens)                      AS t_cache_write,
           sum(audio_input_tokens)                      AS t_audio_input,
           sum(audio_output_tokens)                     AS t_audio_output,
           sum(cost_fusd)                               AS cost_fusd
    FROM requests_priced
    WHERE ts >= $start AND ts < $end AND status <> 'error'
    GROUP BY ALL
),
-- Each request group's catalog cost of each part, in pico-dollars (rates are USD per 1M tokens);
-- NULL when the model has no price. Only groups that used the part are candidates for it.
parts AS (
    SELECT r.day, r.project_id, r.mkey, r.prio, r.lc, r.dim, p.part, p.tokens,
           (p.tokens * p.rate * 1000000)::HUGEINT AS w_pico
    FROM req r,
    LATERAL (VALUES ('input', r.t_input, r.input_rate),
                    ('cached_input', r.t_cached, r.cached_rate),
                    ('output', r.t_output, r.output_rate),
                    ('cache_write', r.t_cache_write, r.input_rate * 1.25),
                    ('audio_input', r.t_audio_input, r.input_rate),
                    ('audio_output', r.t_audio_output, r.output_rate)) AS p(part, tokens, rate)
    WHERE p.tokens > 0
),
matched AS (
    SELECT b.day, b.project_id, b.line_item, b.mkey, b.part, b.prio, b.lc, b.billed_pico, p.dim, p.w_pico,
           p.tokens,
           sum(p.w_pico) OVER item AS total_pico,
           count(p.tokens) OVER item AS candidates,
           count(p.w_pico) OVER item AS priced_candidates
    FROM bill b
    LEFT JOIN lc_items l ON l.day = b.day AND l.project_id = b.project_id AND l.mkey = b.mkey
    LEFT JOIN parts p
           ON p.day = b.day AND p.project_id = b.project_id AND p.part = b.part AND p.prio = b.prio
          AND (b.mkey IS NULL OR p.mkey = b.mkey)
          AND (p.lc = b.lc OR (NOT b.lc AND l.mkey IS NULL))
    WINDOW item AS (PARTITION BY b.day, b.project_id, b.line_item)
)
