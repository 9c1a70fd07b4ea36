-- One day of requests for its lake partition, in a stable order. JSON columns travel as text
-- (Parquet readers other than DuckDB do not know DuckDB's JSON type).
SELECT * REPLACE (CAST(tags AS VARCHAR) AS tags)
FROM requests
WHERE ts >= $start AND ts < $end
ORDER BY ts, request_id
