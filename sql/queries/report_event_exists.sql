-- Whether a month's report (key report|NAME|YYYY-MM) was already recorded: it is sent once.
SELECT EXISTS (SELECT 1 FROM alert_events WHERE event_key = $key)
