-- Models seen before $at whose requests have no price, with when each was first seen.
SELECT model, min(ts) AS first_seen, count(*) AS requests
FROM requests_priced
WHERE ts < $at AND cost_usd IS NULL AND ($value IS NULL OR {{scope}} = $value)
GROUP BY model
ORDER BY first_seen, model
