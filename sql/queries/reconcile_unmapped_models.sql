-- Model names the Usage API reported that model_map has not resolved yet (reconcile prices them).
SELECT DISTINCT model
FROM usage_buckets
WHERE model <> '' AND model NOT IN (SELECT model FROM model_map)
ORDER BY model;
