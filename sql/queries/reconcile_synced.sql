-- Whether anything synced from the Usage or Costs API falls in [$start, $end): the Reports page
-- shows the reconciliation only then.
SELECT EXISTS (SELECT 1 FROM usage_buckets WHERE bucket_start >= $start AND bucket_start < $end)
    OR EXISTS (SELECT 1 FROM cost_buckets WHERE bucket_start >= $start AND bucket_start < $end)
