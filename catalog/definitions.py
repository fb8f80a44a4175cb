"""The catalog's views: plain SQL stored in the file, one views/<name>.sql per view."""

from __future__ import annotations

import duckdb

from catalog.sqltext import resource_text

PACKAGE = "catalog.views"
# Creation order: path_settings first, every other view reads it.
VIEWS = (
    "path_settings",
    "assets",
    "captions",
    "nn_groups_resolved",
    "triplets_labeled",
    "eshot_samples",
)


def install_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every view, with its comments."""
    for name in VIEWS:
        con.execute(resource_text(PACKAGE, f"{name}.sql"))
