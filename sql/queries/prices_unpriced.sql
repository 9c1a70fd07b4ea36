-- `spendwatch prices --unpriced`: models seen in requests that resolved to no price, busiest first.
SELECT r.model, count(*) AS requests, min(r.ts) AS first_seen, max(r.ts) AS last_seen
FROM requests r JOIN model_map m USING (model)
WHERE m.price_model IS NULL
GROUP BY r.model
ORDER BY requests DESC
