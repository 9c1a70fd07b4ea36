-- Requests ingested after the rollups' watermark.
SELECT count(*) FROM requests WHERE ingested_at > $after
