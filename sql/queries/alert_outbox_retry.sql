-- A failed try: count it, keep the reason, and either schedule the next try or give up ('failed').
UPDATE alert_outbox SET attempts = $attempts, status = $status, last_error = $error, next_attempt_at = $next
WHERE event_key = $key AND channel = $channel
