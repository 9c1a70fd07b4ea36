-- How many of the rows this transaction inserted from $source are dated after $limit (the ingesting
-- clock plus the allowed skew): kept as they are, counted so the skew is shown, not hidden.
SELECT count(*) FROM requests
WHERE ingested_at = now()::TIMESTAMP AND source = $source AND ts > $limit
