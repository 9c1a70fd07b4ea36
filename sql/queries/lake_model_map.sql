-- Which price key each model name resolves to (NULL: unpriced).
SELECT * FROM model_map ORDER BY ALL
