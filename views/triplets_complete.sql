-- Table macro: the triplets whose paired and rated items are both on disk.
CREATE OR REPLACE MACRO triplets_complete() AS TABLE
SELECT * FROM triplets_present WHERE paired_present AND annotated_present;
COMMENT ON MACRO TABLE triplets_complete IS 'triplets_present rows whose paired and rated files are both on disk: SELECT * FROM triplets_complete().';
