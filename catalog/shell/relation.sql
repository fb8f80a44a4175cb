-- The shell's .schema NAME: whether NAME is a table, a view or a macro, what it holds, and a
-- macro's parameters.
SELECT 'view' AS kind, comment, []::VARCHAR[] AS parameters
FROM duckdb_views() WHERE view_name = $name AND schema_name = 'main'
UNION ALL
SELECT 'table', comment, [] FROM duckdb_tables() WHERE table_name = $name AND schema_name = 'main'
UNION ALL
SELECT CASE function_type WHEN 'table_macro' THEN 'table macro' ELSE 'macro' END, comment, parameters
FROM duckdb_functions()
WHERE function_name = $name AND function_type IN ('macro', 'table_macro')
  AND database_name = current_database() AND schema_name = 'main'
