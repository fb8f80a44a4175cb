-- Table macro: the nn_groups_present rows whose chosen modalities are all on disk, e.g.
-- SELECT * FROM nn_groups_complete(['image', 'audio']). Unknown modality names are an error.
CREATE OR REPLACE MACRO nn_groups_complete(modalities) AS TABLE
SELECT *
FROM nn_groups_present
WHERE CASE
    WHEN list_has_all(['image', 'audio', 'video', 'points'], modalities::VARCHAR[]) THEN
        (image_present OR NOT list_contains(modalities, 'image'))
        AND (audio_present OR NOT list_contains(modalities, 'audio'))
        AND (video_present OR NOT list_contains(modalities, 'video'))
        AND (points_present OR NOT list_contains(modalities, 'points'))
    ELSE error('nn_groups_complete takes a list of image, audio, video, points, not '
               || modalities::VARCHAR)
END;
COMMENT ON MACRO TABLE nn_groups_complete IS 'nn_groups_present rows whose files are on disk for every modality in the list, e.g. nn_groups_complete([''image'', ''audio'']).';
