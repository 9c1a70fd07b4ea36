-- What a fast-path ingest just inserted from $source (rows whose ingested_at is the transaction's start
-- time; ingested_at only grows, so zone maps skip older row groups): the model names model_map must
-- resolve, and how many distinct request ids there are (fewer than the rows inserted: an id repeated
-- inside the file, which the robust path counts as a duplicate).
SELECT list(DISTINCT model) FILTER (WHERE model IS NOT NULL), count(DISTINCT request_id)
FROM requests
WHERE ingested_at = now()::TIMESTAMP AND source = $source
