-- A delivered try: stored before the next row is sent, so a crash never sends it twice.
UPDATE alert_outbox SET attempts = attempts + 1, status = 'sent', sent_at = $sent_at, last_error = NULL
WHERE event_key = $key AND channel = $channel
