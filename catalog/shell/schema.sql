-- The shell's .schema NAME: the columns of one table or view, in order, with their comments.
SELECT column_name AS "column", data_type AS type, comment
FROM duckdb_columns()
WHERE table_name = $name AND schema_name = 'main'
ORDER BY column_index
