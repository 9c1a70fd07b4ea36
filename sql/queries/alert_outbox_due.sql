-- Deliveries due at $now (pending, next try reached), oldest first, with what to send.
SELECT o.event_key, o.channel, o.attempts, e.message, e.payload
FROM alert_outbox o
JOIN alert_events e USING (event_key)
WHERE o.status = 'pending' AND o.next_attempt_at <= $now
ORDER BY e.detected_at, o.event_key, o.channel
