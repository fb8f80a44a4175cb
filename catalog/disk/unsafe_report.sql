-- Rows without a safe path, per reason, with one example each.
SELECT reason, count(*) AS assets,
       any_value(part::VARCHAR || ' ' || modality::VARCHAR || ' ' || asset_id
                 || ': save_folder ' || coalesce(save_folder, 'NULL')
                 || ', file_name ' || coalesce(file_name, 'NULL')) AS example
FROM unsafe_assets
WHERE list_contains($parts, part::VARCHAR) AND list_contains($modalities, modality::VARCHAR)
GROUP BY reason
ORDER BY reason;
