-- eshot/eshot_points_info.csv
SELECT
    spaced_id(i, 5) AS eshot_point_id,
    md5((i * 17 + $seed)::VARCHAR) AS file_id,
    md5((i * 17 + $seed)::VARCHAR) || '.npy' AS file_name,
    'eshot' AS save_folder
FROM range($n) AS r(i)
ORDER BY i;
