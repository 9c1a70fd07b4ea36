-- The cost-centre mapping saved from the Reports page, with who saved each line and when.
SELECT feature, cost_centre, updated_by, updated_at
FROM cost_centre_map
ORDER BY feature
