-- The requests_minutely rollup between $start and $end (see source_minutely_raw.sql).
SELECT minute, model, requests, tokens, rate_limited, header_requests, header_limit_requests,
       header_limit_tokens, header_used_requests, header_used_tokens
FROM requests_minutely
WHERE minute >= $start AND minute < $end
