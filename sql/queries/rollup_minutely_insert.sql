-- Append the per-minute aggregate of the requests ingested after $after (all of them for a rebuild).
INSERT INTO requests_minutely
SELECT * FROM (
{{source}}
)
