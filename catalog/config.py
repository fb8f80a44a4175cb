"""Settings stored in the catalog: the asset root and the folder of each modality.

Each asset's table stores its whole path (resolved_file_path), computed by the build with the
settings in force, and every view reads the stored path. Changing a setting rewrites the paths
it moves, in a copy of the catalog swapped in whole, so every path in every view follows for
every client without a rebuild: the asset root rewrites every path, a layout folder the paths
of its modality."""

from __future__ import annotations

import os
from pathlib import Path

from catalog import leftovers
from catalog.db import connect_read_only, rewrite
from catalog.definitions import store_resolved_triplets
from catalog.discover import ASSET_MODALITIES
from catalog.errors import CatalogError
from catalog.ingest import layout_folder
from catalog.sqltext import render, resource_text

# key -> default; the asset root's default is decided at build time.
LAYOUT_DEFAULTS = {f"layout.{m}": m for m in ASSET_MODALITIES}
KEYS = ("asset_root", *LAYOUT_DEFAULTS)


def explicit_asset_root(flag: str | os.PathLike | None) -> tuple[str, str] | None:
    """The asset root given to a build and where it came from: the flag, else $ROOT_DATA_PATH.
    None when neither is given: then the catalog being rebuilt keeps its own, and a new one
    takes the data folder (precedence: flag > environment > stored value > default)."""
    if flag:
        return os.path.abspath(flag), "from --asset-root"
    if os.environ.get("ROOT_DATA_PATH"):
        return os.path.abspath(os.environ["ROOT_DATA_PATH"]), "from $ROOT_DATA_PATH"
    return None


def normalise(key: str, value: str) -> str:
    """Check a setting and return the value to store."""
    if key not in KEYS:
        raise CatalogError(f"unknown setting {key!r}. Settings: {', '.join(KEYS)}.")
    if key == "asset_root":
        return os.path.abspath(value)
    if not value or "/" in value or value in (".", ".."):
        raise CatalogError(
            f"{key} must be one folder name (such as {LAYOUT_DEFAULTS[key]!r}), not {value!r}."
        )
    return value


def initial_settings(root: str) -> dict[str, str]:
    """Every setting with its default, the asset root being `root`."""
    return {"asset_root": root, **LAYOUT_DEFAULTS}


def get_settings(db: Path) -> dict[str, str]:
    with connect_read_only(db) as con:
        return dict(con.execute("SELECT key, value FROM settings ORDER BY key").fetchall())


def set_setting(db: Path, key: str, value: str) -> str:
    """Store one setting in the catalog; returns the value stored."""
    value = normalise(key, value)
    try:
        with rewrite(db) as con:
            con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])
            # every path a view gives is stored: rewrite those the setting moves
            _store_paths(con, None if key == "asset_root" else key.removeprefix("layout."))
            store_resolved_triplets(con)  # it holds the paths of E-MM1:1M items
    except OSError as e:  # rewrite says a full disk itself, once it holds the lock
        if not leftovers.is_disk_full(e):
            raise
        raise leftovers.no_room_for_lock(db) from None
    return value


def _store_paths(con, modality: str | None) -> None:
    """Rewrite the stored path of every asset of `modality` (its layout folder changed), or of
    every asset (the asset root changed), with the settings now stored: one UPDATE per table,
    on the copy that rewrite() swaps in, so readers see the old paths or the new ones, never a
    mix."""
    suffix = f"_{modality}" if modality else ""
    tables = con.execute(
        resource_text("catalog", "load/path_tables.sql"), {"suffix": suffix}
    ).fetchall()
    for (table,) in tables:  # infos_<part>_<modality>, eshot_<modality>
        folder = layout_folder(con, table.rsplit("_", 1)[1])
        sql = render("catalog", "load/store_paths.sql.j2", table=table)
        con.execute(sql, {"folder": folder})
