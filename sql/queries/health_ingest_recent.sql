-- The most recent ingest units (files, spool segments, sync windows), newest first.
SELECT kind, unit_key, source, lines_read, ingested, duplicates, quarantined, started_at, finished_at, status, detail
FROM ingest_log
ORDER BY finished_at DESC, id DESC
LIMIT $limit
