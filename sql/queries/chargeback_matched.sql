-- The shared part of chargeback_rows and focus_rows (a fragment: its CTEs, without WITH). The billed dollars
-- of each UTC day x project x Costs API line item meet the logged request groups that used that part.
-- Window: $start <= time < $end (the synced days of the month). The line items come parsed, as parallel
-- lists: $li (text), $li_key (price key of the model, NULL for a line item without one), $li_part, $li_prio
-- (a 'priority | ' line item: only priority requests), $li_lc (', long context': only long-context requests).
-- {{dim}} is an allow-listed column of requests (feature, project_id, user_id, api_key_id).
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
-- Request groups: the logs are read once, grouped with the model's price key, tier and long-context flag, with
-- the token count of each part summed (text input is what is left of input_tokens after cached, cache-write,
-- audio and image tokens, as in requests_rated). The rates are joined to the groups at the start of their day
-- (catalog prices are dated by day: every validity period starts at 00:00 UTC), so a group's catalog cost of a
-- part is the sum of its requests' costs of that part, with the arithmetic of requests_priced.
lc_thresholds AS (SELECT price_model, max(lc_threshold) AS lc_threshold FROM price_rates GROUP BY ALL),
groups AS (
    SELECT CAST(date_trunc('day', q.ts) AS DATE)            AS day,
           COALESCE(q.project_id, '')                       AS project_id,
           COALESCE(m.price_model, q.model)                 AS mkey,
           m.price_model,
           CASE WHEN q.batch THEN 'batch'
                WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
                WHEN q.service_tier = 'fast' THEN 'priority'
                ELSE 'standard' END                         AS price_tier,
           COALESCE(q.input_tokens > t.lc_threshold, false) AS lc,
           q.usage_missing                                  AS missing,
           q.{{dim}}                                        AS dim,
           count(*)                                         AS n,
           sum(greatest(q.input_tokens - q.cached_tokens - q.cache_write_tokens
                        - (q.audio_input_tokens - q.cached_audio_tokens) - q.image_input_tokens, 0)) AS t_input,
           sum(greatest(q.cached_tokens - q.cached_audio_tokens, 0))                              AS t_cached,
           sum(q.cache_write_tokens)                                                              AS t_cache_write,
           sum(q.audio_input_tokens - q.cached_audio_tokens)                                      AS t_audio_input,
           sum(q.cached_audio_tokens)                                                             AS t_cached_audio,
           sum(q.image_input_tokens)                                                              AS t_image_input,
           sum(greatest(q.output_tokens - q.audio_output_tokens - q.image_output_tokens, 0))       AS t_output,
           sum(q.audio_output_tokens)                                                             AS t_audio_output,
           sum(q.image_output_tokens)                                                             AS t_image_output,
           sum(q.web_search_calls)                                                                AS t_web_search,
           sum(q.file_search_calls)                                                               AS t_file_search,
           sum(q.code_interpreter_sessions)                                                       AS t_code,
           sum(q.audio_seconds)                                                                   AS t_seconds
    FROM requests q
    LEFT JOIN model_map m ON m.model = q.model
    LEFT JOIN lc_thresholds t ON t.price_model = m.price_model
    WHERE q.ts >= $start AND q.ts < $end AND q.status <> 'error'
    GROUP BY ALL
),
-- Each group's rate of each part (1e-15 USD per unit: per token for token parts, nano-dollars per 1M tokens
-- being the same number) and whether its cost is unknown (no price, no usage, audio without an audio rate).
req AS (
    SELECT g.*, g.price_tier = 'priority' AS prio,
           r.input_nano IS NULL OR g.missing
               OR (g.t_audio_input + g.t_cached_audio > 0 AND r.audio_in_nano IS NULL)
               OR (g.t_audio_output > 0 AND r.audio_out_nano IS NULL)
               OR (g.t_seconds > 0 AND r.audio_hour_nano IS NULL)                          AS unknown,
           CASE WHEN g.lc THEN r.input_lc_nano ELSE r.input_nano END                       AS f_input,
           CASE WHEN g.lc THEN r.cached_lc_nano ELSE r.cached_nano END                     AS f_cached,
           CASE WHEN g.lc THEN r.cache_write_lc_nano ELSE COALESCE(r.cache_write_nano, r.input_nano) END AS f_cache_write,
           COALESCE(r.audio_in_nano, 0)                                                    AS f_audio_input,
           COALESCE(r.cached_audio_nano, r.audio_in_nano, 0)                               AS f_cached_audio,
           COALESCE(r.image_in_nano, r.input_nano)                                         AS f_image_input,
           CASE WHEN g.lc THEN r.output_lc_nano ELSE r.output_nano END                     AS f_output,
           COALESCE(r.audio_out_nano, 0)                                                   AS f_audio_output,
           COALESCE(r.image_out_nano, r.output_nano)                                       AS f_image_output,
           COALESCE(r.web_search_fusd, 0)                                                  AS f_web_search,
           COALESCE(r.file_search_fusd, 0)                                                 AS f_file_search,
           COALESCE(r.code_session_fusd, 0)                                                AS f_code,
           COALESCE(r.search_request_fusd, 0)                                              AS f_search_preview,
           COALESCE(r.audio_hour_nano, 0)::DECIMAL(38, 6) * 1000000 / 3600                 AS f_seconds
    FROM groups g
    LEFT JOIN price_rates r
           ON r.price_model = g.price_model AND r.tier = g.price_tier
          AND CAST(g.day AS TIMESTAMP) >= r.valid_from AND CAST(g.day AS TIMESTAMP) < r.valid_to
),
-- One row per group and part it used: its catalog cost of the part (NULL when the group's cost is unknown).
parts AS (
    SELECT r.day, r.project_id, r.mkey, r.prio, r.lc, r.dim, p.part, p.tokens, p.rate AS fusd_per_unit,
           CASE WHEN NOT r.unknown THEN round(p.tokens * p.rate)::HUGEINT END AS w_fusd,
           CASE WHEN NOT r.unknown THEN round(p.tokens * p.rate)::HUGEINT // 1000 END AS w_pico
    FROM req r,
    LATERAL (VALUES ('input', r.t_input, r.f_input),
                    ('cached_input', r.t_cached, r.f_cached),
                    ('cache_write', r.t_cache_write, r.f_cache_write),
                    ('audio_input', r.t_audio_input, r.f_audio_input),
                    ('cached_audio_input', r.t_cached_audio, r.f_cached_audio),
                    ('image_input', r.t_image_input, r.f_image_input),
                    ('output', r.t_output, r.f_output),
                    ('audio_output', r.t_audio_output, r.f_audio_output),
                    ('image_output', r.t_image_output, r.f_image_output),
                    ('web_search', r.t_web_search, r.f_web_search),
                    ('file_search', r.t_file_search, r.f_file_search),
                    ('code_interpreter', r.t_code, r.f_code),
                    ('search_preview', CASE WHEN r.f_search_preview > 0 THEN r.n ELSE 0 END, r.f_search_preview),
                    ('audio_seconds', r.t_seconds, r.f_seconds)) AS p(part, tokens, rate)
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
