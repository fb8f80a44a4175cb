-- The shell's .schema NAME: whether NAME is a table or a view, and what it holds.
SELECT 'view' AS kind, comment FROM duckdb_views() WHERE view_name = $name AND schema_name = 'main'
UNION ALL
SELECT 'table', comment FROM duckdb_tables() WHERE table_name = $name AND schema_name = 'main'
