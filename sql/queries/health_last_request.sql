-- The newest request's timestamp (UTC): how fresh the data is (Overview's "last request ... ago").
SELECT max(ts) AS last_ts, count(*) AS requests FROM requests
