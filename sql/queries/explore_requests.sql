-- The requests behind one group of the Explore table: newest first, at most $limit. The group's
-- columns come from the allow-list (the group_filter slot: `AND col IS NOT DISTINCT FROM $g_name` terms).
SELECT request_id, ts, model, feature, project_id, api_key_id, user_id, endpoint, status,
       input_tokens, cached_tokens, output_tokens, reasoning_tokens, batch, service_tier,
       cost_usd, price_source
FROM requests_priced
WHERE ts >= $start AND ts < $end
  AND (len($features::VARCHAR[]) = 0 OR list_contains($features::VARCHAR[], feature))
  AND (len($projects::VARCHAR[]) = 0 OR list_contains($projects::VARCHAR[], project_id))
  AND (len($models::VARCHAR[]) = 0 OR list_contains($models::VARCHAR[], model))
  AND (len($api_keys::VARCHAR[]) = 0 OR list_contains($api_keys::VARCHAR[], api_key_id))
  AND (len($users::VARCHAR[]) = 0 OR list_contains($users::VARCHAR[], user_id))
  {{group_filter}}
ORDER BY ts DESC, request_id
LIMIT $limit
