"""The order of a view's rows in an export (`emm1 export --view`): by the columns that identify
a row, so a caption's rows sit together, by k (nn_index) for groups and by pair for triplets.

Rows that agree on these columns are exact duplicates (triplets.csv repeats some rows), so the
order is deterministic. A view not listed here is sorted by all its columns, left to right.
"""

from __future__ import annotations

import duckdb

from catalog.sqltext import ident

TRIPLET = (
    "encord_text_id",
    "paired_modality",
    "annotated_modality",
    "encord_paired_id",
    "encord_annotated_id",
    "annotation",
)
ASSET = ("part", "modality", "asset_id")
VIEW_ORDER: dict[str, tuple[str, ...]] = {
    "nn_groups_resolved": ("encord_text_id", "nn_index"),
    "nn_groups_present": ("encord_text_id", "nn_index"),
    "triplets_labeled": TRIPLET,
    "triplets_present": TRIPLET,
    "captions": ("part", "encord_text_id"),
    "assets": ASSET,
    "assets_present": ASSET,
    "assets_missing": ASSET,
    "asset_presence": ASSET,
    "unsafe_assets": ASSET,
    "path_parts_1m": ("modality", "asset_id"),
    "eshot_samples": ("modality", "eshot_id", "category"),
    "eshot_leakage": ("eshot_modality", "eshot_id", "part", "modality", "asset_id"),
    "file_coverage": ("part", "modality", "source_dataset"),
    "licence_summary": ("part", "modality", "source_dataset", "dataset_license"),
}


def order_text(view: str) -> str:
    """The order of `view`'s rows, for people."""
    keys = VIEW_ORDER.get(view)
    return ", ".join(keys) if keys else "all its columns, left to right"


def ordered_view(con: duckdb.DuckDBPyConnection, view: str) -> duckdb.DuckDBPyRelation:
    """View `view` (a name the caller has checked) as a relation in its documented order. A
    filter applied to it still runs before the sort (DuckDB moves it below the ORDER BY)."""
    keys = VIEW_ORDER.get(view)
    return con.table(view).order(", ".join(map(ident, keys)) if keys else "ALL")
