-- Cost explain by part: each billed part of one request with its quantity, rate and cost.
SELECT part, quantity, unit, usd_per_unit, cost_usd, long_context, price_source, parts_source, data_residency
FROM request_cost_parts
WHERE request_id = $request_id
ORDER BY list_position(['input', 'cached_input', 'cache_write', 'audio_input', 'cached_audio_input', 'image_input',
                        'output', 'audio_output', 'image_output', 'web_search', 'file_search', 'code_interpreter',
                        'search_preview', 'audio_seconds', 'residency_uplift'], part)
