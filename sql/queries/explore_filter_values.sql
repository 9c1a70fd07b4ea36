-- The values an allow-listed column takes over the source slot, busiest first (the sidebar's choices).
SELECT {{column}} AS value, sum(s.requests)::BIGINT AS requests
FROM (
{{source}}
) s
WHERE {{column}} IS NOT NULL
GROUP BY 1
ORDER BY requests DESC, value
LIMIT $limit
