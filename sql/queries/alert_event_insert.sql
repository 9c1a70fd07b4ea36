-- Record an alert event; its key (rule|kind|window|level) makes a second detection a no-op.
INSERT INTO alert_events (event_key, rule_name, kind, window_start, level, detected_at, spend_usd, budget_usd,
                          message, payload)
VALUES ($key, $rule, $kind, $window_start, $level, $detected_at, $spend, $budget, $message, $payload)
ON CONFLICT (event_key) DO NOTHING
