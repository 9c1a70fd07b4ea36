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
rates AS (
    SELECT b.day, b.project_id, b.line_item,
           CASE b.part WHEN 'input' THEN r.input_rate WHEN 'cached_input' THEN r.cached_rate
                       WHEN 'output' THEN r.output_rate END AS rate_per_mtok
    FROM bill b
    LEFT JOIN price_rates r
           ON r.price_model = b.mkey AND r.tier = CASE WHEN b.prio THEN 'priority' ELSE 'standard' END
          AND CAST(b.day AS TIMESTAMP) >= r.valid_from AND CAST(b.day AS TIMESTAMP) < r.valid_to
)
SELECT b.day, b.project_id, b.line_item, b.mkey, b.part, b.prio, b.lc,
       b.billed_usd,
       COALESCE(b.quantity, t.logged_quantity) AS quantity,
       b.quantity_unit,
       r.rate_per_mtok,
       t.by_feature, t.by_centre, t.logged_quantity
FROM bill b
LEFT JOIN tags t USING (day, project_id, line_item)
LEFT JOIN rates r USING (day, project_id, line_item)
ORDER BY b.day, b.project_id, b.line_item
