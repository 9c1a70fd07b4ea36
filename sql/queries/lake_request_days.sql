-- The lake's change detector: per UTC day, how many requests and the newest ingest time. A day whose
-- figures differ from the lake manifest's is rewritten whole; the others are left untouched.
SELECT CAST(ts AS DATE) AS day, count(*)::BIGINT AS requests, max(ingested_at) AS max_ingested_at
FROM requests
GROUP BY ALL
ORDER BY day
