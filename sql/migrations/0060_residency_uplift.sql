-- The data-residency uplift, priced (issue 15). OpenAI bills +10 % on requests to a data-residency host
-- (eu.api.openai.com, us.api.openai.com) for models released on or after 2026-03-05; `requests.data_residency`
-- (0020) records the host. The factor is dated catalog data (part `residency_uplift`, unit `factor`, in
-- spendwatch/data/part_history.csv), materialised per (model, tier, period) into price_rates.residency_factor
-- (NULL: no uplift for that model).
--
-- What it multiplies: every token part (text, cached, cache write, audio, image, in and out, at the long-context
-- rates where they apply, on every tier: batch, flex, priority too); not the per-call tool fees, the per-request
-- search-preview fee nor per-second audio. Rounding: once per request, on the token parts' exact sum in 1e-15 USD,
-- half-up (DuckDB's round() on a non-negative DECIMAL). A request with no data_residency, most of them, keeps the
-- three-term fast path.
ALTER TABLE price_rates ADD COLUMN residency_factor DECIMAL(18, 9);

-- The three cost views of 0020, extended with the uplift.
-- One row per request with its price row and the token count of each part (text input is what is
-- left of input_tokens after cached, cache-write, audio and image tokens).
CREATE OR REPLACE VIEW requests_rated AS
SELECT q.*,
       m.price_model,
       CASE WHEN q.batch THEN 'batch'
            WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
            WHEN q.service_tier = 'fast' THEN 'priority'
            ELSE 'standard' END AS price_tier,
       p.price_source, p.input_rate, p.cached_rate, p.output_rate, p.parts_source,
       p.input_nano, p.cached_nano, p.output_nano,
       COALESCE(q.input_tokens > p.lc_threshold, false) AS long_context,
       greatest(q.input_tokens - q.cached_tokens - q.cache_write_tokens
                - (q.audio_input_tokens - q.cached_audio_tokens) - q.image_input_tokens, 0) AS text_in_n,
       greatest(q.cached_tokens - q.cached_audio_tokens, 0) AS cached_text_n,
       greatest(q.output_tokens - q.audio_output_tokens - q.image_output_tokens, 0) AS text_out_n,
       CASE WHEN long_context THEN p.input_lc_nano ELSE p.input_nano END AS in_nano,
       CASE WHEN long_context THEN p.cached_lc_nano ELSE p.cached_nano END AS cin_nano,
       CASE WHEN long_context THEN p.cache_write_lc_nano ELSE COALESCE(p.cache_write_nano, p.input_nano) END AS cw_nano,
       CASE WHEN long_context THEN p.output_lc_nano ELSE p.output_nano END AS out_nano,
       p.audio_in_nano, COALESCE(p.cached_audio_nano, p.audio_in_nano) AS caud_nano, p.audio_out_nano,
       COALESCE(p.image_in_nano, p.input_nano) AS img_in_nano, COALESCE(p.image_out_nano, p.output_nano) AS img_out_nano,
       COALESCE(p.web_search_fusd, 0) AS web_search_fusd, COALESCE(p.file_search_fusd, 0) AS file_search_fusd,
       COALESCE(p.code_session_fusd, 0) AS code_session_fusd,
       CASE WHEN q.status = 'error' THEN 0 ELSE COALESCE(p.search_request_fusd, 0) END AS search_request_fusd,
       p.audio_hour_nano,
       p.residency_factor,
       q.data_residency IS NOT NULL AND p.residency_factor IS NOT NULL AS residency_uplifted,
       -- the token parts at their rates, in 1e-15 USD: what the residency uplift multiplies (uplifted rows only)
       CASE WHEN residency_uplifted THEN
            text_in_n::HUGEINT * in_nano + cached_text_n::HUGEINT * cin_nano + q.cache_write_tokens::HUGEINT * cw_nano
            + (q.audio_input_tokens - q.cached_audio_tokens)::HUGEINT * COALESCE(p.audio_in_nano, 0)
            + q.cached_audio_tokens::HUGEINT * COALESCE(caud_nano, 0) + q.image_input_tokens::HUGEINT * img_in_nano
            + text_out_n::HUGEINT * out_nano + q.audio_output_tokens::HUGEINT * COALESCE(p.audio_out_nano, 0)
            + q.image_output_tokens::HUGEINT * img_out_nano END AS token_fusd,
       -- unknown: no usage on a request that did not fail, or audio with no audio rate for the model
       (q.usage_missing AND q.status <> 'error')
           OR (q.audio_input_tokens > 0 AND p.audio_in_nano IS NULL)
           OR (q.audio_output_tokens > 0 AND p.audio_out_nano IS NULL)
           OR (q.audio_seconds > 0 AND p.audio_hour_nano IS NULL) AS cost_unknown
FROM requests q
LEFT JOIN model_map m ON m.model = q.model
LEFT JOIN price_rates p
       ON p.price_model = m.price_model
      AND p.tier = CASE WHEN q.batch THEN 'batch'
                        WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
                        WHEN q.service_tier = 'fast' THEN 'priority'
                        ELSE 'standard' END
      AND q.ts >= p.valid_from AND q.ts < p.valid_to;

-- cost_fusd: the exact cost in 1e-15 USD, the sum of every part (the same arithmetic as requests_rated /
-- request_cost_parts, written inline so that a text-only request, most rows, takes the three-term
-- formula and pays nothing for the parts it does not have: `report` over 10M rows stays one fast pass).
CREATE OR REPLACE VIEW requests_priced AS
WITH r AS (
    SELECT q.*,
           m.price_model,
           CASE WHEN q.batch THEN 'batch'
                WHEN q.service_tier IN ('flex', 'priority') THEN q.service_tier
                WHEN q.service_tier = 'fast' THEN 'priority'
                ELSE 'standard' END AS price_tier
    FROM requests q
    LEFT JOIN model_map m ON m.model = q.model
)
SELECT r.*,
       p.price_source,
       p.input_rate, p.cached_rate, p.output_rate,
       CASE WHEN p.input_nano IS NULL OR (r.usage_missing AND r.status <> 'error') THEN NULL
            WHEN r.cache_write_tokens = 0 AND r.audio_input_tokens = 0 AND r.audio_output_tokens = 0
                 AND r.image_input_tokens = 0 AND r.image_output_tokens = 0 AND r.web_search_calls = 0
                 AND r.file_search_calls = 0 AND r.code_interpreter_sessions = 0 AND r.audio_seconds = 0
                 AND p.search_request_fusd IS NULL AND (p.lc_threshold IS NULL OR r.input_tokens <= p.lc_threshold)
                 AND (r.data_residency IS NULL OR p.residency_factor IS NULL)
            THEN (r.input_tokens - r.cached_tokens)::HUGEINT * p.input_nano
                 + r.cached_tokens::HUGEINT * p.cached_nano
                 + r.output_tokens::HUGEINT * p.output_nano
            WHEN (r.audio_input_tokens > 0 AND p.audio_in_nano IS NULL)
                 OR (r.audio_output_tokens > 0 AND p.audio_out_nano IS NULL)
                 OR (r.audio_seconds > 0 AND p.audio_hour_nano IS NULL) THEN NULL
            WHEN r.input_tokens > p.lc_threshold THEN  -- long context: the whole request at the long-context rates
                 round((greatest(r.input_tokens - r.cached_tokens - r.cache_write_tokens
                          - (r.audio_input_tokens - r.cached_audio_tokens) - r.image_input_tokens, 0)::HUGEINT * p.input_lc_nano
                 + greatest(r.cached_tokens - r.cached_audio_tokens, 0)::HUGEINT * p.cached_lc_nano
                 + r.cache_write_tokens::HUGEINT * p.cache_write_lc_nano
                 + (r.audio_input_tokens - r.cached_audio_tokens)::HUGEINT * COALESCE(p.audio_in_nano, 0)
                 + r.cached_audio_tokens::HUGEINT * COALESCE(p.cached_audio_nano, p.audio_in_nano, 0)
                 + r.image_input_tokens::HUGEINT * COALESCE(p.image_in_nano, p.input_nano)
                 + greatest(r.output_tokens - r.audio_output_tokens - r.image_output_tokens, 0)::HUGEINT * p.output_lc_nano
                 + r.audio_output_tokens::HUGEINT * COALESCE(p.audio_out_nano, 0)
                 + r.image_output_tokens::HUGEINT * COALESCE(p.image_out_nano, p.output_nano)
                 )::DECIMAL(38, 0) * COALESCE(CASE WHEN r.data_residency IS NOT NULL THEN p.residency_factor END, 1))::HUGEINT
                 + r.web_search_calls::HUGEINT * COALESCE(p.web_search_fusd, 0)
                 + r.file_search_calls::HUGEINT * COALESCE(p.file_search_fusd, 0)
                 + r.code_interpreter_sessions::HUGEINT * COALESCE(p.code_session_fusd, 0)
                 + CASE WHEN r.status = 'error' THEN 0 ELSE COALESCE(p.search_request_fusd, 0) END
                 + CASE WHEN r.audio_seconds > 0 THEN round(r.audio_seconds * p.audio_hour_nano * 1000000 / 3600)::HUGEINT ELSE 0 END
            ELSE
                 round((greatest(r.input_tokens - r.cached_tokens - r.cache_write_tokens
                          - (r.audio_input_tokens - r.cached_audio_tokens) - r.image_input_tokens, 0)::HUGEINT * p.input_nano
                 + greatest(r.cached_tokens - r.cached_audio_tokens, 0)::HUGEINT * p.cached_nano
                 + r.cache_write_tokens::HUGEINT * COALESCE(p.cache_write_nano, p.input_nano)
                 + (r.audio_input_tokens - r.cached_audio_tokens)::HUGEINT * COALESCE(p.audio_in_nano, 0)
                 + r.cached_audio_tokens::HUGEINT * COALESCE(p.cached_audio_nano, p.audio_in_nano, 0)
                 + r.image_input_tokens::HUGEINT * COALESCE(p.image_in_nano, p.input_nano)
                 + greatest(r.output_tokens - r.audio_output_tokens - r.image_output_tokens, 0)::HUGEINT * p.output_nano
                 + r.audio_output_tokens::HUGEINT * COALESCE(p.audio_out_nano, 0)
                 + r.image_output_tokens::HUGEINT * COALESCE(p.image_out_nano, p.output_nano)
                 )::DECIMAL(38, 0) * COALESCE(CASE WHEN r.data_residency IS NOT NULL THEN p.residency_factor END, 1))::HUGEINT
                 + r.web_search_calls::HUGEINT * COALESCE(p.web_search_fusd, 0)
                 + r.file_search_calls::HUGEINT * COALESCE(p.file_search_fusd, 0)
                 + r.code_interpreter_sessions::HUGEINT * COALESCE(p.code_session_fusd, 0)
                 + CASE WHEN r.status = 'error' THEN 0 ELSE COALESCE(p.search_request_fusd, 0) END
                 + CASE WHEN r.audio_seconds > 0 THEN round(r.audio_seconds * p.audio_hour_nano * 1000000 / 3600)::HUGEINT ELSE 0 END
       END AS cost_fusd,
       cost_fusd::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) AS cost_usd
FROM r
LEFT JOIN price_rates p
       ON p.price_model = r.price_model AND p.tier = r.price_tier
      AND r.ts >= p.valid_from AND r.ts < p.valid_to;

-- One row per (request, part) with a quantity: what each part cost, at which rate (explain, chargeback).
CREATE OR REPLACE VIEW request_cost_parts AS
WITH parts AS (
    SELECT request_id, ts, model, project_id, status, price_model, price_tier, long_context, cost_unknown,
           price_source, parts_source, data_residency,
           unnest([
               {'part': 'input', 'quantity': text_in_n::DECIMAL(38, 3), 'unit': 'tokens', 'fusd_per_unit': in_nano::DECIMAL(38, 6)},
               {'part': 'cached_input', 'quantity': cached_text_n, 'unit': 'tokens', 'fusd_per_unit': cin_nano::DECIMAL(38, 6)},
               {'part': 'cache_write', 'quantity': cache_write_tokens, 'unit': 'tokens', 'fusd_per_unit': cw_nano::DECIMAL(38, 6)},
               {'part': 'audio_input', 'quantity': audio_input_tokens - cached_audio_tokens, 'unit': 'tokens', 'fusd_per_unit': audio_in_nano::DECIMAL(38, 6)},
               {'part': 'cached_audio_input', 'quantity': cached_audio_tokens, 'unit': 'tokens', 'fusd_per_unit': caud_nano::DECIMAL(38, 6)},
               {'part': 'image_input', 'quantity': image_input_tokens, 'unit': 'tokens', 'fusd_per_unit': img_in_nano::DECIMAL(38, 6)},
               {'part': 'output', 'quantity': text_out_n, 'unit': 'tokens', 'fusd_per_unit': out_nano::DECIMAL(38, 6)},
               {'part': 'audio_output', 'quantity': audio_output_tokens, 'unit': 'tokens', 'fusd_per_unit': audio_out_nano::DECIMAL(38, 6)},
               {'part': 'image_output', 'quantity': image_output_tokens, 'unit': 'tokens', 'fusd_per_unit': img_out_nano::DECIMAL(38, 6)},
               {'part': 'web_search', 'quantity': web_search_calls, 'unit': 'calls', 'fusd_per_unit': web_search_fusd::DECIMAL(38, 6)},
               {'part': 'file_search', 'quantity': file_search_calls, 'unit': 'calls', 'fusd_per_unit': file_search_fusd},
               {'part': 'code_interpreter', 'quantity': code_interpreter_sessions, 'unit': 'sessions', 'fusd_per_unit': code_session_fusd},
               {'part': 'search_preview', 'quantity': CASE WHEN search_request_fusd > 0 THEN 1 ELSE 0 END, 'unit': 'requests', 'fusd_per_unit': search_request_fusd},
               {'part': 'audio_seconds', 'quantity': audio_seconds, 'unit': 'seconds', 'fusd_per_unit': (audio_hour_nano * 1000000 / 3600)::DECIMAL(38, 6)},
               -- quantity: the token parts' cost in 1e-15 USD; per unit: the uplift (factor - 1)
               {'part': 'residency_uplift', 'quantity': CASE WHEN residency_uplifted THEN token_fusd ELSE 0 END, 'unit': 'fusd', 'fusd_per_unit': (residency_factor - 1)::DECIMAL(38, 6)}
           ]) AS p
    FROM requests_rated
)
SELECT request_id, ts, model, project_id, status, price_model, price_tier, long_context, cost_unknown,
       price_source, parts_source, p.part, p.quantity, p.unit,
       (p.fusd_per_unit * 0.000000000000001::DECIMAL(16, 15))::DECIMAL(38, 21) AS usd_per_unit,
       CASE WHEN NOT cost_unknown THEN round(p.quantity * p.fusd_per_unit)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) END AS cost_usd,
       data_residency
FROM parts
WHERE p.quantity > 0;
