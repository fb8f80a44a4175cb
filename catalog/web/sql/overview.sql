-- What the catalog is: how it was built and what it holds, one key and value per row.
SELECT key, value FROM catalog_info
UNION ALL SELECT 'settings.' || key, value FROM settings
UNION ALL SELECT 'nn_shards', string_agg(nn_index::VARCHAR, ',' ORDER BY nn_index)
          FROM (SELECT DISTINCT nn_index FROM nn_groups)
UNION ALL SELECT 'source_files', count(*)::VARCHAR FROM source_files
UNION ALL SELECT 'source_bytes', coalesce(sum(bytes), 0)::VARCHAR FROM source_files
UNION ALL SELECT 'skipped_files', count(*)::VARCHAR FROM skipped_files;
