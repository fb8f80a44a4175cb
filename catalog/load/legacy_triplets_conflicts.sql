-- Legacy rows whose annotated_modality disagrees with modality_2 (the annotated one).
SELECT count(*), any_value(modality_2), any_value(annotated_modality)
FROM legacy_triplets
WHERE annotated_modality IS NOT NULL AND annotated_modality <> modality_2;
