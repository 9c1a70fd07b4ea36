-- What the rollups cover, next to what `requests` holds now and the pricing they would be built under.
SELECT (SELECT count(*) FROM requests) AS requests_now,
       (SELECT max(ingested_at) FROM requests) AS max_ingested_now,
       (SELECT COALESCE(string_agg(key || '=' || value, '|' ORDER BY key), '') FROM catalog_meta)
         || '|' || (SELECT count(*) || ':' || COALESCE(sum(hash(model || '=' || COALESCE(price_model, '?'))), 0)
                    FROM model_map) AS pricing_now,
       s.rows_covered, s.max_ingested_at, s.pricing_key, s.built_at
FROM (SELECT 1) AS one(x)
LEFT JOIN rollup_state s ON s.id = 1
