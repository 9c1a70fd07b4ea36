-- Requests per (UTC minute, model) straight from `requests` between $start and $end, for rows
-- ingested after $after; the same columns as the requests_minutely rollup.
SELECT date_trunc('minute', ts) AS minute, model,
       count(*)::BIGINT AS requests,
       COALESCE(sum(input_tokens + output_tokens), 0)::BIGINT AS tokens,
       count(*) FILTER (WHERE http_status = 429)::BIGINT AS rate_limited,
       count(ratelimit_limit_requests)::BIGINT AS header_requests,
       max(ratelimit_limit_requests) AS header_limit_requests,
       max(ratelimit_limit_tokens) AS header_limit_tokens,
       max(ratelimit_limit_requests - ratelimit_remaining_requests) AS header_used_requests,
       max(ratelimit_limit_tokens - ratelimit_remaining_tokens) AS header_used_tokens
FROM requests
WHERE ts >= $start AND ts < $end AND ingested_at > $after
GROUP BY ALL
