-- Requests ingested with a timestamp more than 5 minutes past the ingesting clock (a skewed app
-- clock), over all ingest units: how many, in how many units, and when the last such unit came.
SELECT COALESCE(sum(future_ts), 0) AS requests,
       count(*) FILTER (WHERE future_ts > 0) AS units,
       max(finished_at) FILTER (WHERE future_ts > 0) AS last_seen
FROM ingest_log
