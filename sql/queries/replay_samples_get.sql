-- The drawn samples' request bodies and original answers.
SELECT sample_id, model, request, answer, output_tokens FROM samples WHERE list_contains($ids, sample_id)
