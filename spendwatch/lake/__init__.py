"""Past one machine: the Parquet lake (sync), read by DuckDB (duck) or Apache Spark (spark, optional)."""
