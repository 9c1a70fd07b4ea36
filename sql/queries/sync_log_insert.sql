-- One ingest_log row per sync run: the window as unit_key, results read and rows stored.
INSERT INTO ingest_log (kind, unit_key, source, lines_read, ingested, duplicates, quarantined,
                        started_at, finished_at, status, detail)
VALUES ('sync', $unit_key, $source, $read, $stored, 0, 0, $started_at, $finished_at, $status, $detail);
