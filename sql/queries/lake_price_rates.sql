-- The dated exact integer rates the cost view joins, as this connection's catalog has them.
SELECT * FROM price_rates ORDER BY ALL
