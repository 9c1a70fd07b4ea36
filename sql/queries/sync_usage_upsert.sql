-- One page of Usage API results (registered as _sync_usage_page), upserted by the natural key.
INSERT INTO usage_buckets (
    bucket_start, bucket_end, bucket_width, kind, model, project_id, api_key_id, user_id, batch, service_tier,
    input_tokens, cached_tokens, output_tokens, requests, quantity, quantity_unit, raw, synced_at
)
SELECT bucket_start, bucket_end, bucket_width, kind, model, project_id, api_key_id, user_id, batch, service_tier,
       input_tokens, cached_tokens, output_tokens, requests, quantity, quantity_unit, raw::JSON, synced_at
FROM _sync_usage_page
ON CONFLICT (bucket_start, bucket_width, kind, model, project_id, api_key_id, user_id, batch, service_tier)
DO UPDATE SET
    bucket_end    = excluded.bucket_end,
    input_tokens  = excluded.input_tokens,
    cached_tokens = excluded.cached_tokens,
    output_tokens = excluded.output_tokens,
    requests      = excluded.requests,
    quantity      = excluded.quantity,
    quantity_unit = excluded.quantity_unit,
    raw           = excluded.raw,
    synced_at     = excluded.synced_at;
