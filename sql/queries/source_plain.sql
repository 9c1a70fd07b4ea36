-- Requests without their prices (lists of values need no cost: no join with the price tables).
SELECT ts AS t, model, feature, project_id, api_key_id, user_id, split_part(source, ':', 1) AS source_kind,
       1 AS requests
FROM requests
