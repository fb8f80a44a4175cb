-- What the licences allow, read from their text: 'NC', 'NonCommercial', 'non-commercial',
-- 'academic use', 'research use only' forbid commercial use; 'ND', 'NoDerivatives', 'NoDerivs'
-- forbid derivative works (a trained model may be one). \b keeps NC and ND whole words, so
-- 'NCSA' or 'ANDROID' do not count. A licence text that says neither is not flagged: read the
-- licence itself before you rely on that.
CREATE OR REPLACE MACRO licence_non_commercial(licence) AS regexp_matches(
    licence,
    '(?i)\bNC\b|non[- ]?commercial|not for commercial|academic[- ](use|research|purposes)|research[- ](use[- ])?only|research purposes only');
CREATE OR REPLACE MACRO licence_no_derivatives(licence) AS regexp_matches(
    licence, '(?i)\bND\b|no[- ]?deriv');
COMMENT ON MACRO licence_non_commercial IS 'True if a licence text forbids commercial use (NC, NonCommercial, academic or research use only).';
COMMENT ON MACRO licence_no_derivatives IS 'True if a licence text forbids derivative works (ND, NoDerivatives, NoDerivs).';

-- Items per part, modality, source dataset and licence, with what the licence forbids.
CREATE OR REPLACE VIEW licence_summary AS
WITH items AS (
    SELECT part::part AS part, modality::modality AS modality, source_dataset, dataset_license FROM assets
    UNION ALL
    SELECT part::part, 'text'::modality, source_dataset, dataset_license FROM captions
)
SELECT
    part, modality, source_dataset, dataset_license,
    count(*) AS items,
    round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY part, modality), 2) AS share,
    coalesce(licence_non_commercial(dataset_license), FALSE) AS non_commercial,
    coalesce(licence_no_derivatives(dataset_license), FALSE) AS no_derivatives
FROM items
GROUP BY part, modality, source_dataset, dataset_license;
COMMENT ON VIEW licence_summary IS 'Items per part, modality (text: captions), source dataset and licence, with their share of the part and modality and whether the licence text forbids commercial use or derivative works.';
COMMENT ON COLUMN licence_summary.part IS 'Dataset part: e-mm1_100m, e-mm1_1m or eshot.';
COMMENT ON COLUMN licence_summary.modality IS 'image, audio, video, points, or text for captions.';
COMMENT ON COLUMN licence_summary.source_dataset IS 'Dataset the items come from (NULL where the CSV does not say, as for EShot).';
COMMENT ON COLUMN licence_summary.dataset_license IS 'Licence text as the infos file has it (NULL where the CSV does not say).';
COMMENT ON COLUMN licence_summary.items IS 'Infos rows (items) with this source and licence.';
COMMENT ON COLUMN licence_summary.share IS 'items as a percentage of the part and modality, two decimals.';
COMMENT ON COLUMN licence_summary.non_commercial IS 'The licence text forbids commercial use (NC, NonCommercial, academic or research use only).';
COMMENT ON COLUMN licence_summary.no_derivatives IS 'The licence text forbids derivative works (ND, NoDerivatives).';
