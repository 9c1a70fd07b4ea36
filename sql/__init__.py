"""SQL files: numbered migrations and named queries, loaded by spendwatch.store."""
