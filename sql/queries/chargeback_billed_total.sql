-- What the Costs API billed in [$start, $end), exact: the figure the chargeback rows add up to.
SELECT COALESCE(sum(amount_usd), 0)::DECIMAL(38, 12) FROM cost_buckets
WHERE bucket_start >= $start AND bucket_start < $end
