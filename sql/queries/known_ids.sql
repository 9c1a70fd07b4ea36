-- The stored request ids that the units staged in _staged could repeat (ingest.known_ids): one scan of
-- requests.request_id for a whole spool pass. The units then anti-join _known, and each adds its own
-- ids to it before it commits.
CREATE OR REPLACE TEMP TABLE _known AS
SELECT r.request_id
FROM requests r
SEMI JOIN (SELECT DISTINCT request_id FROM _staged WHERE reason IS NULL) s ON s.request_id = r.request_id;
