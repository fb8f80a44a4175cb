"""The catalog's views: plain SQL stored in the file, one views/<name>.sql per view."""

from __future__ import annotations

import duckdb

from catalog.sqltext import resource_text

PACKAGE = "catalog.views"
# Scalar macros the views call (views/<name>.sql), created first.
MACROS = ("asset_path", "contains_nocase")
# Creation order: path_settings first, every other view reads it.
VIEWS = (
    "path_settings",
    "assets",
    "captions",
    "nn_groups_resolved",
    "path_parts_1m",
    "triplets_labeled",
    "eshot_samples",
    "asset_presence",
    "assets_present",
    "assets_missing",
    "unsafe_assets",
    "file_coverage",
    "nn_groups_present",
    "triplets_present",
    "eshot_leakage",
    "licence_summary",
)
# The shape of the catalog's tables, views and macros, recorded in catalog_info by the build.
# Bump it whenever one of them changes: a catalog of another version is refused, with the
# command that rebuilds it, when it is opened (catalog.db.connect_read_only).
# 4: paths below the root stored; 5: whole paths too, triplets_resolved; 6: whole paths only
SCHEMA_VERSION = 6
# Table macros over the views, created last (DuckDB binds a table macro when it is created).
TABLE_MACROS = ("nn_groups_complete", "triplets_complete")
# Tables that `emm1 files scan` fills; the presence views read them, so they always exist.
SCAN_TABLES = "disk/tables.sql"


def install_path_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The macros that decide a file's path (views/asset_path.sql) and the settings they take
    (views/path_settings.sql): the build's load and `emm1 config set` store paths with them."""
    con.execute(resource_text(PACKAGE, "asset_path.sql"))
    con.execute(resource_text(PACKAGE, "path_settings.sql"))


def store_resolved_triplets(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)fill triplets_resolved, the stored rows of triplets_labeled, from the triplets and
    the E-MM1:1M asset tables (catalog/load/triplets_resolved.sql): by the build once the views
    exist, and by `emm1 config set layout.<modality>` once the asset tables hold the new paths."""
    con.execute(resource_text("catalog", "load/triplets_resolved.sql"))


def install_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every macro and view, with its comments."""
    con.execute(resource_text("catalog", SCAN_TABLES))
    for name in (*MACROS, *VIEWS, *TABLE_MACROS):
        con.execute(resource_text(PACKAGE, f"{name}.sql"))
