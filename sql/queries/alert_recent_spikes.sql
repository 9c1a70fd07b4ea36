-- Spike events of a rule in (now − cooldown, now]: a spike within the cooldown is not sent again.
SELECT count(*) FROM alert_events
WHERE rule_name = $rule AND kind = 'spike' AND window_start > $since AND window_start <= $at
