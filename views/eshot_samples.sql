-- EShot samples of both modalities with their category and file path.
CREATE OR REPLACE VIEW eshot_samples AS
WITH samples AS (
    SELECT 'audio'::modality AS modality, eshot_audio_id AS eshot_id, youtube_id, start_time, end_time, NULL::VARCHAR AS file_id, file_name, save_folder, resolved_file_path FROM eshot_audio
    UNION ALL
    SELECT 'points', eshot_point_id, NULL, NULL, NULL, file_id, file_name, save_folder, resolved_file_path FROM eshot_points
)
SELECT
    smp.modality, smp.eshot_id, c.category, smp.youtube_id, smp.start_time, smp.end_time,
    smp.file_id, smp.file_name, smp.save_folder,
    smp.resolved_file_path AS file_path
FROM samples AS smp
LEFT JOIN eshot_categories AS c ON c.modality = smp.modality AND c.eshot_id = smp.eshot_id;
COMMENT ON VIEW eshot_samples IS 'EShot zero-shot benchmark samples (audio and point clouds) with category and file path.';
COMMENT ON COLUMN eshot_samples.modality IS 'audio or points.';
COMMENT ON COLUMN eshot_samples.eshot_id IS 'eshot_audio_id or eshot_point_id.';
COMMENT ON COLUMN eshot_samples.category IS 'EShot category (NULL if the sample is in no category file).';
COMMENT ON COLUMN eshot_samples.youtube_id IS 'YouTube id (audio).';
COMMENT ON COLUMN eshot_samples.start_time IS 'Clip start in seconds (audio).';
COMMENT ON COLUMN eshot_samples.end_time IS 'Clip end in seconds (audio).';
COMMENT ON COLUMN eshot_samples.file_id IS 'Source 3D uid (points).';
COMMENT ON COLUMN eshot_samples.file_name IS 'File name below <asset_root>/<save_folder>/<modality folder>/.';
COMMENT ON COLUMN eshot_samples.save_folder IS 'Top folder under the asset root.';
COMMENT ON COLUMN eshot_samples.file_path IS 'Where the file lives; NULL if save_folder or file_name is unsafe (see unsafe_assets).';
