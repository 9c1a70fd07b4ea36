-- Everything behind one request's cost: its tokens by kind, how its model name resolved, the price
-- row in force at its timestamp (rates, validity, source) and the cost the requests_priced view gives.
SELECT r.request_id, r.ts, r.model, r.endpoint, r.feature, r.batch, r.service_tier, r.status,
       r.price_model, r.price_tier, m.rule AS resolution_rule,
       r.input_tokens, r.cached_tokens, r.output_tokens, r.reasoning_tokens, r.cache_write_tokens,
       r.audio_input_tokens, r.audio_output_tokens, r.accepted_prediction_tokens, r.rejected_prediction_tokens,
       r.cached_audio_tokens, r.image_input_tokens, r.image_output_tokens, r.audio_seconds, r.web_search_calls,
       r.file_search_calls, r.code_interpreter_sessions,
       r.input_rate, r.cached_rate, r.output_rate, r.price_source, p.valid_from, p.valid_to,
       r.cost_usd
FROM requests_priced r
LEFT JOIN model_map m ON m.model = r.model
LEFT JOIN price_rates p
       ON p.price_model = r.price_model AND p.tier = r.price_tier
      AND r.ts >= p.valid_from AND r.ts < p.valid_to
WHERE r.request_id = $request_id
