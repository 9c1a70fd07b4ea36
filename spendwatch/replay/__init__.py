"""Quality-checked downgrades: replay captured samples of a feature on a cheaper model, measure how
often its answers are as good (win / tie / loss) and how long they are, and keep that as evidence
for the what-if. Modules: ``runs`` (draw, estimate, replay, summary), ``calls`` (the API calls),
``agreement`` (the checks and the statistics), ``evidence`` (what the what-if and recommend show).
This package imports nothing heavy itself: the what-if reads ``evidence`` without the SDK."""
