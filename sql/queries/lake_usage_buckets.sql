-- The org Usage API buckets (sync); the raw JSON travels as text.
SELECT * REPLACE (CAST(raw AS VARCHAR) AS raw) FROM usage_buckets ORDER BY ALL
