-- The org Costs API buckets (sync): what OpenAI billed, per day, project and line item.
SELECT * FROM cost_buckets ORDER BY ALL
