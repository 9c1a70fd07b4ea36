-- Map one feature to a cost centre (insert, or replace the centre and who/when).
INSERT INTO cost_centre_map (feature, cost_centre, updated_by, updated_at)
VALUES ($feature, $cost_centre, $updated_by, $updated_at)
ON CONFLICT (feature) DO UPDATE SET
    cost_centre = excluded.cost_centre, updated_by = excluded.updated_by, updated_at = excluded.updated_at
