-- The settings of a rebuilt catalog: each key ($keys, with its default in $defaults) keeps the
-- value the catalog being replaced stored (attached read-only as previous_catalog), else takes
-- its default; an asset root given to the build ($asset_root: --asset-root or $ROOT_DATA_PATH)
-- wins over both.
INSERT INTO settings
WITH defaults AS (
    SELECT unnest($keys::VARCHAR[]) AS key, unnest($defaults::VARCHAR[]) AS value
)
SELECT
    d.key,
    CASE WHEN d.key = 'asset_root' AND $asset_root::VARCHAR IS NOT NULL THEN $asset_root
         ELSE coalesce(o.value, d.value) END
FROM defaults AS d
LEFT JOIN previous_catalog.settings AS o ON o.key = d.key;
