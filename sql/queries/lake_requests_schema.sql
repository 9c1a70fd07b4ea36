-- No rows, only the columns: the lake keeps the requests schema even before its first day.
SELECT * REPLACE (CAST(tags AS VARCHAR) AS tags) FROM requests LIMIT 0
