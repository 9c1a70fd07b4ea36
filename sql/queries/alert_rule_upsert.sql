-- Store a rule (insert, or replace every field of the rule of that name).
INSERT INTO alert_rules (name, kind, scope_col, scope_value, time_window, budget_usd, levels, channels, options,
                         enabled, source)
VALUES ($name, $kind, $scope_col, $scope_value, $window, $budget, $levels, $channels, $options, $enabled, $source)
ON CONFLICT (name) DO UPDATE SET
    kind = excluded.kind, scope_col = excluded.scope_col, scope_value = excluded.scope_value,
    time_window = excluded.time_window, budget_usd = excluded.budget_usd, levels = excluded.levels,
    channels = excluded.channels, options = excluded.options, enabled = excluded.enabled, source = excluded.source
