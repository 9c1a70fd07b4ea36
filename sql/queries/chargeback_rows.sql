-- Chargeback: the billed dollars of each UTC day x project x Costs API line item, split across the logged
-- requests of that day, project, model and part in proportion to their catalog cost of that part, each share
-- a floor division in pico-dollars. The matched CTEs come from chargeback_matched.sql.
-- One row per (dim, project, reason): reason NULL for what was allocated, else why it stays unallocated.
WITH {{matched}},
shares AS (
    SELECT project_id,
           CASE WHEN part = 'org' THEN NULL WHEN candidates > 0 AND total_pico > 0 THEN dim END AS dim,
           CASE WHEN part = 'org' THEN 'org-level'
                WHEN candidates = 0 THEN 'not instrumented'
                WHEN priced_candidates = 0 OR total_pico IS NULL OR total_pico = 0 THEN 'unpriced model' END AS reason,
           CASE WHEN part = 'org' OR candidates = 0 OR total_pico IS NULL OR total_pico = 0
                     THEN billed_pico
                ELSE COALESCE(billed_pico * w_pico // total_pico, 0) END AS share_pico,
           -- an unallocated item is kept whole on its first matched row
           row_number() OVER (PARTITION BY day, project_id, line_item ORDER BY dim) AS k
    FROM matched
),
billed AS (
    SELECT dim, project_id, reason, sum(share_pico) AS billed_pico
    FROM shares
    WHERE reason IS NULL OR k = 1
    GROUP BY ALL
),
logged AS (
    SELECT CASE WHEN unknown THEN NULL ELSE dim END AS dim, project_id,
           CASE WHEN unknown THEN 'unpriced model' END AS reason,
           sum(n) AS requests,
           sum(CASE WHEN NOT unknown THEN
                   t_input::HUGEINT * f_input + t_cached::HUGEINT * f_cached + t_cache_write::HUGEINT * f_cache_write
                   + t_audio_input::HUGEINT * f_audio_input + t_cached_audio::HUGEINT * f_cached_audio
                   + t_image_input::HUGEINT * f_image_input + t_output::HUGEINT * f_output
                   + t_audio_output::HUGEINT * f_audio_output + t_image_output::HUGEINT * f_image_output
                   + t_web_search::HUGEINT * f_web_search + t_file_search::HUGEINT * f_file_search
                   + t_code::HUGEINT * f_code + n::HUGEINT * f_search_preview
                   + round(t_seconds * f_seconds)::HUGEINT END) AS cost_fusd
    FROM req
    GROUP BY ALL
)
SELECT COALESCE(b.dim, l.dim) AS dim,
       COALESCE(b.project_id, l.project_id) AS project_id,
       COALESCE(b.reason, l.reason) AS reason,
       (COALESCE(b.billed_pico, 0)::DECIMAL(38, 0) * 0.000000000001::DECIMAL(13, 12))::DECIMAL(38, 12) AS billed_usd,
       CASE WHEN COALESCE(b.reason, l.reason) = 'unpriced model' THEN NULL
            ELSE (COALESCE(l.cost_fusd, 0)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15))::DECIMAL(38, 15)
       END AS logged_cost_usd,
       COALESCE(l.requests, 0)::BIGINT AS requests
FROM billed b
FULL OUTER JOIN logged l
       ON l.dim IS NOT DISTINCT FROM b.dim AND l.project_id = b.project_id
      AND l.reason IS NOT DISTINCT FROM b.reason
