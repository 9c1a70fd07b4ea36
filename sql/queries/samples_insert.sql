-- One captured or imported sample; a sample id already stored is kept as it is.
INSERT INTO samples (sample_id, ts, feature, model, endpoint, request, answer, input_tokens,
                     output_tokens, latency_ms, source)
VALUES (?, CAST(replace(CAST(? AS VARCHAR), 'Z', '') AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (sample_id) DO NOTHING
