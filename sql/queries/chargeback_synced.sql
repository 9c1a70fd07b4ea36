-- The days with Costs API data: from the first cost bucket's day to the end of the last sync (the cursor,
-- or the last bucket's end), the same rule reconcile uses. NULLs when nothing was ever synced.
SELECT (SELECT CAST(min(bucket_start) AS DATE) FROM cost_buckets) AS first_day,
       greatest((SELECT max(cursor_ts) FROM sync_state WHERE source = 'openai'),
                (SELECT max(bucket_end) FROM cost_buckets)) AS synced_until
