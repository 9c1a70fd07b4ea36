-- How many samples each feature has, and their time span.
SELECT feature, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts FROM samples GROUP BY 1 ORDER BY 1
