-- Before a page of Costs API buckets is stored: drop what an earlier sync stored for the same days.
DELETE FROM cost_buckets
WHERE bucket_start IN (SELECT unnest($starts::TIMESTAMP[]));
