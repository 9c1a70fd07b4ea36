-- Per channel: how its deliveries stand. A channel with a delivery that gave up is failing.
SELECT channel,
       count(*) FILTER (WHERE status = 'sent')                      AS sent,
       count(*) FILTER (WHERE status = 'pending')                   AS waiting,
       count(*) FILTER (WHERE status = 'failed')                    AS failed,
       max(sent_at)                                                 AS last_sent_at,
       arg_max(last_error, next_attempt_at) FILTER (WHERE last_error IS NOT NULL) AS last_error,
       count(*) FILTER (WHERE status = 'failed') > 0                AS failing
FROM alert_outbox
GROUP BY channel
ORDER BY channel
