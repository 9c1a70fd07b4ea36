-- `spendwatch prices MODEL`: the final rates (tier fallbacks applied) of one price model and tier at $at,
-- with every part beyond text and the part rows' sources.
SELECT price_model, tier, valid_from, valid_to, input_rate, cached_rate, output_rate, price_source,
       cache_write_nano, audio_in_nano, cached_audio_nano, audio_out_nano, image_in_nano, image_out_nano,
       lc_threshold, input_lc_nano, cached_lc_nano, cache_write_lc_nano, output_lc_nano,
       web_search_fusd, file_search_fusd, code_session_fusd, search_request_fusd, audio_hour_nano, parts_source,
       residency_factor
FROM price_rates
WHERE price_model = $m AND tier = $t AND $at >= valid_from AND $at < valid_to
