-- daily_spend's row source over the hourly rollup ({{table}}: requests_hourly, or requests_daily_users
-- when the scope is a user), for the whole hours (days) [$lo, $hi).
SELECT {{time}} AS ts, feature, project_id, model, api_key_id, {{user}} AS user_id, cost_fusd
FROM {{table}}
WHERE {{time}} >= $lo AND {{time}} < $hi
