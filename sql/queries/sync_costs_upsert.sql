-- One page of Costs API results (registered as _sync_costs_page), upserted by the natural key.
-- amount_usd is exact: the JSON number (or string) is read as a decimal, never a float.
INSERT INTO cost_buckets (
    bucket_start, bucket_end, project_id, api_key_id, line_item, amount_usd, currency, quantity, quantity_unit,
    synced_at
)
SELECT bucket_start, bucket_end, project_id, api_key_id, line_item, amount_usd, currency, quantity, quantity_unit,
       synced_at
FROM _sync_costs_page
ON CONFLICT (bucket_start, project_id, api_key_id, line_item)
DO UPDATE SET
    bucket_end    = excluded.bucket_end,
    amount_usd    = excluded.amount_usd,
    currency      = excluded.currency,
    quantity      = excluded.quantity,
    quantity_unit = excluded.quantity_unit,
    synced_at     = excluded.synced_at;
