-- Final rates per (model, tier, period) from the merged `prices` and `part_prices` tables. A tier's own
-- row wins where one is in force; otherwise batch pays 50 % of every standard token rate (cached
-- included) and flex/priority pay standard. Cached input without a cached price is billed at the input
-- rate. Parts: the model's own row for the tier, else its standard row (token parts x 50 % on batch),
-- else the '*' default (tool-call fees, dated 2000-01-01: they start no period of their own).
-- Long context: the input-side rates x the input factor and the output rate x the output factor,
-- over the model's threshold. Residency uplift: a factor, the same on every tier (never halved on batch).
INSERT INTO price_rates BY NAME
WITH tiers AS (SELECT unnest(['standard', 'batch', 'flex', 'priority']) AS tier),
points AS (
    SELECT DISTINCT p.model, t.tier, p.effective_from FROM prices p CROSS JOIN tiers t WHERE p.tier = 'standard'
    UNION
    SELECT model, tier, effective_from FROM prices WHERE tier <> 'standard'
    UNION
    SELECT DISTINCT x.model, t.tier, x.effective_from FROM part_prices x CROSS JOIN tiers t
    WHERE x.tier = 'standard' AND x.model IN (SELECT model FROM prices)
    UNION
    SELECT model, tier, effective_from FROM part_prices WHERE tier <> 'standard' AND model IN (SELECT model FROM prices)
),
std AS (SELECT * FROM prices WHERE tier = 'standard'),
own AS (SELECT * FROM prices WHERE tier <> 'standard'),
rated AS (
    SELECT pt.model, pt.tier, pt.effective_from,
           CASE WHEN pt.tier = 'batch' THEN 0.5 ELSE 1 END::DECIMAL(3, 2) AS f,
           s.input_per_mtok AS s_in, s.cached_per_mtok AS s_cached, s.output_per_mtok AS s_out, s.source AS s_source,
           o.input_per_mtok AS o_in, o.cached_per_mtok AS o_cached, o.output_per_mtok AS o_out, o.source AS o_source
    FROM points pt
    ASOF LEFT JOIN std s ON s.model = pt.model AND pt.effective_from >= s.effective_from
    ASOF LEFT JOIN own o ON o.model = pt.model AND o.tier = pt.tier AND pt.effective_from >= o.effective_from
),
final AS (
    SELECT model, tier, effective_from,
           COALESCE(o_in, s_in * f)::DECIMAL(18, 9) AS input_rate,
           COALESCE(o_cached, s_cached * f, o_in, s_in * f)::DECIMAL(18, 9) AS cached_rate,
           COALESCE(o_out, s_out * f)::DECIMAL(18, 9) AS output_rate,
           CASE WHEN o_in IS NOT NULL THEN o_source
                WHEN tier = 'batch' THEN s_source || ' (batch: 50 % rule)'
                WHEN tier <> 'standard' THEN s_source || ' (no ' || tier || ' price: standard)'
                ELSE s_source END AS price_source
    FROM rated
),
part_candidates AS (
    SELECT pt.model, pt.tier, pt.effective_from, x.part, x.unit,
           (x.rate * CASE WHEN pt.tier = 'batch' AND x.tier = 'standard' AND x.unit = 'mtok' THEN 0.5 ELSE 1 END)::DECIMAL(18, 9) AS rate,
           x.source || CASE WHEN pt.tier = 'batch' AND x.tier = 'standard' AND x.unit = 'mtok' THEN ' (batch: 50 % rule)' ELSE '' END AS source,
           (CASE WHEN x.model = '*' THEN 0 WHEN x.tier = pt.tier THEN 2 ELSE 1 END)::BIGINT * 100000000000
               + epoch(x.effective_from)::BIGINT AS precedence
    FROM points pt
    JOIN part_prices x
      ON (x.model = pt.model OR x.model = '*') AND x.effective_from <= pt.effective_from
     AND (x.tier = pt.tier OR x.tier = 'standard')
),
parts AS (
    SELECT model, tier, effective_from, part, arg_max(rate, precedence) AS rate, arg_max(source, precedence) AS source
    FROM part_candidates
    GROUP BY ALL
),
pivoted AS (
    SELECT model, tier, effective_from,
           max(rate) FILTER (WHERE part = 'cache_write') AS cache_write,
           max(rate) FILTER (WHERE part = 'audio_input') AS audio_input,
           max(rate) FILTER (WHERE part = 'cached_audio_input') AS cached_audio_input,
           max(rate) FILTER (WHERE part = 'audio_output') AS audio_output,
           max(rate) FILTER (WHERE part = 'image_input') AS image_input,
           max(rate) FILTER (WHERE part = 'image_output') AS image_output,
           max(rate) FILTER (WHERE part = 'long_context_threshold') AS lc_threshold,
           max(rate) FILTER (WHERE part = 'long_context_input') AS lc_in,
           max(rate) FILTER (WHERE part = 'long_context_output') AS lc_out,
           max(rate) FILTER (WHERE part = 'web_search') AS web_search,
           max(rate) FILTER (WHERE part = 'file_search') AS file_search,
           max(rate) FILTER (WHERE part = 'code_interpreter') AS code_interpreter,
           max(rate) FILTER (WHERE part = 'search_preview') AS search_preview,
           max(rate) FILTER (WHERE part = 'audio_hour') AS audio_hour,
           max(rate) FILTER (WHERE part = 'residency_uplift') AS residency_uplift,
           string_agg(part || ': ' || source, '; ' ORDER BY part) AS parts_source
    FROM parts
    GROUP BY ALL
)
SELECT f.model AS price_model, f.tier, f.effective_from AS valid_from,
       COALESCE(lead(f.effective_from) OVER (PARTITION BY f.model, f.tier ORDER BY f.effective_from),
                TIMESTAMP '9999-12-31') AS valid_to,
       input_rate, cached_rate, output_rate,
       (input_rate::DECIMAL(38, 9) * 1000000000)::BIGINT AS input_nano,
       (cached_rate::DECIMAL(38, 9) * 1000000000)::BIGINT AS cached_nano,
       (output_rate::DECIMAL(38, 9) * 1000000000)::BIGINT AS output_nano,
       price_source,
       (cache_write::DECIMAL(38, 9) * 1000000000)::BIGINT AS cache_write_nano,
       (audio_input::DECIMAL(38, 9) * 1000000000)::BIGINT AS audio_in_nano,
       (cached_audio_input::DECIMAL(38, 9) * 1000000000)::BIGINT AS cached_audio_nano,
       (audio_output::DECIMAL(38, 9) * 1000000000)::BIGINT AS audio_out_nano,
       (image_input::DECIMAL(38, 9) * 1000000000)::BIGINT AS image_in_nano,
       (image_output::DECIMAL(38, 9) * 1000000000)::BIGINT AS image_out_nano,
       lc_threshold::BIGINT AS lc_threshold,
       round(input_rate::DECIMAL(38, 9) * lc_in * 1000000000)::BIGINT AS input_lc_nano,
       round(cached_rate::DECIMAL(38, 9) * lc_in * 1000000000)::BIGINT AS cached_lc_nano,
       round(COALESCE(cache_write, input_rate)::DECIMAL(38, 9) * lc_in * 1000000000)::BIGINT AS cache_write_lc_nano,
       round(output_rate::DECIMAL(38, 9) * lc_out * 1000000000)::BIGINT AS output_lc_nano,
       (web_search::DECIMAL(38, 9) * 1000000000000)::BIGINT AS web_search_fusd,     -- USD per 1k calls
       (file_search::DECIMAL(38, 9) * 1000000000000)::BIGINT AS file_search_fusd,   -- USD per 1k calls
       (code_interpreter::DECIMAL(38, 9) * 1000000000000000)::BIGINT AS code_session_fusd,
       (search_preview::DECIMAL(38, 9) * 1000000000000)::BIGINT AS search_request_fusd,
       (audio_hour::DECIMAL(38, 9) * 1000000000)::BIGINT AS audio_hour_nano,
       parts_source,
       residency_uplift AS residency_factor  -- x the token parts on a data-residency host (NULL: no uplift)
FROM final f
LEFT JOIN pivoted v ON v.model = f.model AND v.tier = f.tier AND v.effective_from = f.effective_from
WHERE input_rate IS NOT NULL AND output_rate IS NOT NULL
