-- Model names of the rows this transaction inserted from $source (their ingested_at is the
-- transaction's start time; ingested_at only grows, so zone maps skip older row groups): what
-- model_map must resolve after a fast-path ingest.
SELECT DISTINCT model FROM requests
WHERE ingested_at = now()::TIMESTAMP AND source = $source AND model IS NOT NULL
