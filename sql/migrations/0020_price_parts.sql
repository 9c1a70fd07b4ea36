-- Every part of a 2026 bill (issue 15): audio, image, cache-write and long-context tokens, per-call
-- tool fees, per-second audio. Token detail columns are SUBSETS of input_tokens / output_tokens /
-- cached_tokens, as OpenAI reports them (audio_input_tokens includes cached_audio_tokens).
ALTER TABLE requests ADD COLUMN cached_audio_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN image_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN image_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN audio_seconds DECIMAL(18, 3) NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN web_search_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN file_search_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN code_interpreter_sessions BIGINT NOT NULL DEFAULT 0;
-- true: the record carried no usage at all (TTS, an interrupted stream): its cost is unknown (NULL).
ALTER TABLE requests ADD COLUMN usage_missing BOOLEAN NOT NULL DEFAULT false;
-- 'eu' / 'us' when the request went to a data-residency API host (eu.api.openai.com ...).
ALTER TABLE requests ADD COLUMN data_residency VARCHAR;

-- Dated rate per (model, tier, part) for the parts beyond text in/cached/out (those stay in `prices`).
-- unit: mtok (USD per 1M tokens), kcall (USD per 1,000 calls or requests), session (USD per container
-- session), hour (USD per hour of audio), tokens (a long-context threshold), factor (a multiplier).
-- model '*' holds a default for every model (tool-call fees).
CREATE TABLE part_prices (
    model          VARCHAR NOT NULL,
    tier           VARCHAR NOT NULL,
    effective_from TIMESTAMP NOT NULL,
    part           VARCHAR NOT NULL,
    rate           DECIMAL(18, 9) NOT NULL,
    unit           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    PRIMARY KEY (model, tier, effective_from, part)
);

-- The same parts as exact integer rates beside the text rates (NULL: the model has no such rate).
-- *_nano: 1e-9 USD per 1M tokens; *_fusd: 1e-15 USD per call / session / request; audio_hour_nano:
-- 1e-9 USD per hour. Long context: over lc_threshold input tokens the *_lc_nano rates apply.
ALTER TABLE price_rates ADD COLUMN cache_write_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN audio_in_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN cached_audio_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN audio_out_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN image_in_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN image_out_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN lc_threshold BIGINT;
ALTER TABLE price_rates ADD COLUMN input_lc_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN cached_lc_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN cache_write_lc_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN output_lc_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN web_search_fusd BIGINT;
ALTER TABLE price_rates ADD COLUMN file_search_fusd BIGINT;
ALTER TABLE price_rates ADD COLUMN code_session_fusd BIGINT;
ALTER TABLE price_rates ADD COLUMN search_request_fusd BIGINT;
ALTER TABLE price_rates ADD COLUMN audio_hour_nano BIGINT;
ALTER TABLE price_rates ADD COLUMN parts_source VARCHAR;

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
            THEN (r.input_tokens - r.cached_tokens)::HUGEINT * p.input_nano
                 + r.cached_tokens::HUGEINT * p.cached_nano
                 + r.output_tokens::HUGEINT * p.output_nano
            WHEN (r.audio_input_tokens > 0 AND p.audio_in_nano IS NULL)
                 OR (r.audio_output_tokens > 0 AND p.audio_out_nano IS NULL)
                 OR (r.audio_seconds > 0 AND p.audio_hour_nano IS NULL) THEN NULL
            WHEN r.input_tokens > p.lc_threshold THEN  -- long context: the whole request at the long-context rates
                 greatest(r.input_tokens - r.cached_tokens - r.cache_write_tokens
                          - (r.audio_input_tokens - r.cached_audio_tokens) - r.image_input_tokens, 0)::HUGEINT * p.input_lc_nano
                 + greatest(r.cached_tokens - r.cached_audio_tokens, 0)::HUGEINT * p.cached_lc_nano
                 + r.cache_write_tokens::HUGEINT * p.cache_write_lc_nano
                 + (r.audio_input_tokens - r.cached_audio_tokens)::HUGEINT * COALESCE(p.audio_in_nano, 0)
                 + r.cached_audio_tokens::HUGEINT * COALESCE(p.cached_audio_nano, p.audio_in_nano, 0)
                 + r.image_input_tokens::HUGEINT * COALESCE(p.image_in_nano, p.input_nano)
                 + greatest(r.output_tokens - r.audio_output_tokens - r.image_output_tokens, 0)::HUGEINT * p.output_lc_nano
                 + r.audio_output_tokens::HUGEINT * COALESCE(p.audio_out_nano, 0)
                 + r.image_output_tokens::HUGEINT * COALESCE(p.image_out_nano, p.output_nano)
                 + r.web_search_calls::HUGEINT * COALESCE(p.web_search_fusd, 0)
                 + r.file_search_calls::HUGEINT * COALESCE(p.file_search_fusd, 0)
                 + r.code_interpreter_sessions::HUGEINT * COALESCE(p.code_session_fusd, 0)
                 + CASE WHEN r.status = 'error' THEN 0 ELSE COALESCE(p.search_request_fusd, 0) END
                 + CASE WHEN r.audio_seconds > 0 THEN round(r.audio_seconds * p.audio_hour_nano * 1000000 / 3600)::HUGEINT ELSE 0 END
            ELSE
                 greatest(r.input_tokens - r.cached_tokens - r.cache_write_tokens
                          - (r.audio_input_tokens - r.cached_audio_tokens) - r.image_input_tokens, 0)::HUGEINT * p.input_nano
                 + greatest(r.cached_tokens - r.cached_audio_tokens, 0)::HUGEINT * p.cached_nano
                 + r.cache_write_tokens::HUGEINT * COALESCE(p.cache_write_nano, p.input_nano)
                 + (r.audio_input_tokens - r.cached_audio_tokens)::HUGEINT * COALESCE(p.audio_in_nano, 0)
                 + r.cached_audio_tokens::HUGEINT * COALESCE(p.cached_audio_nano, p.audio_in_nano, 0)
                 + r.image_input_tokens::HUGEINT * COALESCE(p.image_in_nano, p.input_nano)
                 + greatest(r.output_tokens - r.audio_output_tokens - r.image_output_tokens, 0)::HUGEINT * p.output_nano
                 + r.audio_output_tokens::HUGEINT * COALESCE(p.audio_out_nano, 0)
                 + r.image_output_tokens::HUGEINT * COALESCE(p.image_out_nano, p.output_nano)
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
           price_source, parts_source,
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
               {'part': 'audio_seconds', 'quantity': audio_seconds, 'unit': 'seconds', 'fusd_per_unit': (audio_hour_nano * 1000000 / 3600)::DECIMAL(38, 6)}
           ]) AS p
    FROM requests_rated
)
SELECT request_id, ts, model, project_id, status, price_model, price_tier, long_context, cost_unknown,
       price_source, parts_source, p.part, p.quantity, p.unit,
       (p.fusd_per_unit * 0.000000000000001::DECIMAL(16, 15))::DECIMAL(38, 21) AS usd_per_unit,
       CASE WHEN NOT cost_unknown THEN round(p.quantity * p.fusd_per_unit)::DECIMAL(38, 0) * 0.000000000000001::DECIMAL(16, 15) END AS cost_usd
FROM parts
WHERE p.quantity > 0;
