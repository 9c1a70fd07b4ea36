-- The most recent alert events with where their deliveries stand ("2 sent", "1 waiting, 1 failed");
-- NULL delivery: a lower level recorded in the same check as a higher one, which was sent instead.
SELECT e.event_key, e.rule_name, e.kind, e.level, e.detected_at, e.window_start, e.spend_usd, e.budget_usd,
       e.message,
       CASE WHEN count(o.channel) > 0 THEN concat_ws(', ',
           CASE WHEN count(*) FILTER (WHERE o.status = 'sent') > 0
                THEN count(*) FILTER (WHERE o.status = 'sent') || ' sent' END,
           CASE WHEN count(*) FILTER (WHERE o.status = 'pending') > 0
                THEN count(*) FILTER (WHERE o.status = 'pending') || ' waiting' END,
           CASE WHEN count(*) FILTER (WHERE o.status = 'failed') > 0
                THEN count(*) FILTER (WHERE o.status = 'failed') || ' failed' END) END AS delivery
FROM alert_events e
LEFT JOIN alert_outbox o USING (event_key)
GROUP BY ALL
ORDER BY e.detected_at DESC, e.event_key
LIMIT $limit
