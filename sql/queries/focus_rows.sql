-- FOCUS 1.0 rows: one per UTC day x project x Costs API line item (model x charge part), with what the Costs API
-- billed, the dated catalog's list price of the quantity, and the feature split of the bill. The matched CTEs come
-- from chargeback_matched.sql grouped by feature; $cc_feature / $cc_centre map features to cost centres.
WITH {{matched}},
centres AS (SELECT unnest($cc_feature::VARCHAR[]) AS feature, unnest($cc_centre::VARCHAR[]) AS centre),
split AS (
    SELECT day, project_id, line_item, dim AS feature,
           CASE WHEN candidates > 0 AND total_pico > 0 AND part <> 'org'
                THEN COALESCE(billed_pico * w_pico // total_pico, 0) END AS share_pico,
           tokens
    FROM matched
),
tags AS (
    SELECT s.day, s.project_id, s.line_item,
           sum(s.tokens) AS logged_quantity,
           list(struct_pack(k := 'spendwatch/feature/' || s.feature, v := s.share_pico)) FILTER (WHERE s.share_pico IS NOT NULL) AS by_feature,
           list(struct_pack(k := 'spendwatch/cost_centre/' || COALESCE(c.centre, '(unassigned)'), v := s.share_pico))
               FILTER (WHERE s.share_pico IS NOT NULL) AS by_centre
    FROM split s LEFT JOIN centres c ON c.feature = s.feature
    GROUP BY ALL
),
-- The list price of one unit of the line's part (1e-15 USD per token, call, session, request or second),
-- from the dated catalog at the start of the day, for the line's tier and long-context flag.
rates AS (
    SELECT b.day, b.project_id, b.line_item,
           CASE b.part
               WHEN 'input' THEN CASE WHEN b.lc THEN r.input_lc_nano ELSE r.input_nano END
               WHEN 'cached_input' THEN CASE WHEN b.lc THEN r.cached_lc_nano ELSE r.cached_nano END
               WHEN 'cache_write' THEN CASE WHEN b.lc THEN r.cache_write_lc_nano
                                            ELSE COALESCE(r.cache_write_nano, r.input_nano) END
               WHEN 'output' THEN CASE WHEN b.lc THEN r.output_lc_nano ELSE r.output_nano END
               WHEN 'audio_input' THEN r.audio_in_nano
               WHEN 'cached_audio_input' THEN COALESCE(r.cached_audio_nano, r.audio_in_nano)
               WHEN 'audio_output' THEN r.audio_out_nano
               WHEN 'image_input' THEN COALESCE(r.image_in_nano, r.input_nano)
               WHEN 'image_output' THEN COALESCE(r.image_out_nano, r.output_nano)
               WHEN 'web_search' THEN r.web_search_fusd
               WHEN 'file_search' THEN r.file_search_fusd
               WHEN 'code_interpreter' THEN r.code_session_fusd
               WHEN 'search_preview' THEN r.search_request_fusd
           END AS fusd_per_unit
    FROM bill b
    LEFT JOIN price_rates r
           ON r.price_model = b.mkey AND r.tier = CASE WHEN b.prio THEN 'priority' ELSE 'standard' END
          AND CAST(b.day AS TIMESTAMP) >= r.valid_from AND CAST(b.day AS TIMESTAMP) < r.valid_to
)
SELECT b.day, b.project_id, b.line_item, b.mkey, b.part, b.prio, b.lc,
       b.billed_usd,
       COALESCE(b.quantity, t.logged_quantity) AS quantity,
       b.quantity_unit,
       r.fusd_per_unit,
       t.by_feature, t.by_centre, t.logged_quantity
FROM bill b
LEFT JOIN tags t USING (day, project_id, line_item)
LEFT JOIN rates r USING (day, project_id, line_item)
ORDER BY b.day, b.project_id, b.line_item
