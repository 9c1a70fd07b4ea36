-- daily_spend's row source over requests_priced, for [{{from}}, {{to}}).
SELECT ts, feature, project_id, model, api_key_id, user_id, cost_fusd
FROM requests_priced
WHERE ts >= {{from}} AND ts < {{to}}
