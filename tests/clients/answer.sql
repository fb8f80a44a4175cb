-- What a reader sees of the catalog: how many group rows, a checksum over every one of them
-- (so each query reads all the data pages), and the asset root of the settings.
SELECT (SELECT count(*) FROM nn_groups_resolved),
       (SELECT sum(hash(caption, image_file_path)) FROM nn_groups_resolved)::VARCHAR,
       (SELECT asset_root FROM path_settings)
