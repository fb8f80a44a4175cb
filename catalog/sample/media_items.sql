-- Assets of one infos file (its first column is the id) that `emm1 sample --media` writes a file
-- for: about one in three, chosen by id and seed, lowest ids first, at most $limit.
SELECT asset_id, save_folder, file_name
FROM (SELECT #1 AS asset_id, save_folder, file_name FROM read_csv($path, header = true))
WHERE mix2(asset_id, $seed + 41) % 3 = 0
ORDER BY asset_id
LIMIT $limit;
