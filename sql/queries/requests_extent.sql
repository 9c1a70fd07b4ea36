-- Where the stored requests lie, and whether any falls in [$start, $end): what an empty window's
-- one-line message names.
SELECT min(ts) AS first_ts, max(ts) AS last_ts,
       EXISTS (SELECT 1 FROM requests WHERE ts >= $start AND ts < $end) AS inside
FROM requests
