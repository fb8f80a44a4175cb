-- The captions of both parts. Ids are unique per part only.
CREATE OR REPLACE VIEW captions AS
SELECT 'e-mm1_100m'::part AS part, encord_text_id, caption, source_dataset, dataset_license FROM infos_100m_text
UNION ALL
SELECT 'e-mm1_1m'::part, encord_text_id, caption, source_dataset, dataset_license FROM infos_1m_text;
COMMENT ON VIEW captions IS 'Captions of E-MM1:100M and E-MM1:1M; encord_text_id is unique within a part only.';
COMMENT ON COLUMN captions.part IS 'Dataset part: e-mm1_100m or e-mm1_1m.';
COMMENT ON COLUMN captions.encord_text_id IS 'Caption id within its part.';
COMMENT ON COLUMN captions.caption IS 'Caption text.';
COMMENT ON COLUMN captions.source_dataset IS 'Dataset the caption comes from, when known.';
COMMENT ON COLUMN captions.dataset_license IS 'Licence of the source dataset, when known.';
