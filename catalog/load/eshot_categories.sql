-- One EShot category file ({"category": [id, ...], ...}) into long rows.
INSERT INTO eshot_categories
SELECT $modality, entry.key, unnest(entry.value)
FROM (
    SELECT unnest(map_entries(CAST(json AS MAP(VARCHAR, INTEGER[])))) AS entry
    FROM read_json_objects($path, format = 'unstructured')
);
