-- The distinct Costs API line items billed in [$start, $end) (a handful: each is parsed once, in Python).
SELECT DISTINCT line_item FROM cost_buckets WHERE bucket_start >= $start AND bucket_start < $end ORDER BY 1
