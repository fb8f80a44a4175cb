-- One asset of the catalog by part, modality and id: what the explorer shows about it and the
-- file path the catalog resolves (NULL for an unsafe name). No row: the catalog does not know it.
SELECT a.part, a.modality, a.asset_id, a.source_dataset, a.dataset_license, a.file_id,
       a.youtube_id, a.start_time, a.end_time, a.file_name, a.save_folder, a.file_path
FROM assets AS a
WHERE a.part = $part AND a.modality = $modality AND a.asset_id = $asset_id;
