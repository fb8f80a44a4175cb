-- The shell's .tables: every view and table of the catalog with what it holds, views first.
SELECT view_name AS name, 'view' AS kind, comment
FROM duckdb_views()
WHERE NOT internal AND schema_name = 'main'
UNION ALL
SELECT table_name, 'table', comment
FROM duckdb_tables()
WHERE NOT internal AND schema_name = 'main'
ORDER BY kind = 'table', name
