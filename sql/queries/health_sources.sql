-- Each kind of source (the source name up to its first ':': file, spool, demo, ...): the requests it
-- brought and their time span (from the source slot: source_plain.sql, or source_hourly.sql, whose
-- times are hour starts), and its ingest units from ingest_log (how many, the last, quarantined lines).
WITH req AS (
    SELECT s.source_kind, sum(s.requests)::BIGINT AS requests, min(s.t) AS first_request, max(s.t) AS last_request
    FROM (
{{source}}
    ) s
    GROUP BY 1
),
units AS (
    SELECT split_part(source, ':', 1) AS source_kind, count(*)::BIGINT AS units,
           max(finished_at) AS last_ingest, arg_max(status, finished_at) AS last_status,
           sum(quarantined)::BIGINT AS quarantined
    FROM ingest_log
    GROUP BY 1
)
SELECT COALESCE(req.source_kind, units.source_kind) AS source_kind,
       COALESCE(req.requests, 0)::BIGINT AS requests, req.first_request, req.last_request,
       COALESCE(units.units, 0)::BIGINT AS units, units.last_ingest, units.last_status,
       COALESCE(units.quarantined, 0)::BIGINT AS quarantined
FROM req FULL OUTER JOIN units ON units.source_kind = req.source_kind
ORDER BY requests DESC, source_kind
