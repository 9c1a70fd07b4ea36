-- One delivery per (event, channel); a re-run of the same detection adds nothing.
INSERT INTO alert_outbox (event_key, channel, next_attempt_at) VALUES ($key, $channel, $due)
ON CONFLICT DO NOTHING
