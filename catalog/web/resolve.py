"""Where an asset's file is for the explorer: the path the catalog resolves, under the asset root
the user chose (`--root`, else $ROOT_DATA_PATH, else the catalog's own asset_root setting).

The catalog builds every path as `<asset_root>/<save_folder>/<modality folder>/<file_name>`
and gives none (NULL) to a name that is absolute or contains `..`. A chosen root replaces the
stored one at the front of that path and nothing else, so the file is always the one the
catalog names, below the root the user named.
"""

from __future__ import annotations

import os
from pathlib import Path

from catalog.errors import CatalogError
from catalog.sqltext import resource_text

PARTS = ("e-mm1_100m", "e-mm1_1m", "eshot")
MODALITIES = ("image", "audio", "video", "points")
ASSET_SQL = resource_text("catalog.web", "sql/asset.sql")


def chosen_root(flag: str | os.PathLike | None) -> Path | None:
    """The asset root the user chose: the flag, else $ROOT_DATA_PATH; None keeps the
    catalog's setting."""
    chosen = flag or os.environ.get("ROOT_DATA_PATH")
    return Path(chosen).absolute() if chosen else None


class Resolver:
    """Asset -> file. `db` is the explorer's catalog (catalog.web.database.Database); `stored_root`
    is the catalog's asset_root setting; `root`, when given, takes its place."""

    def __init__(self, db, stored_root: str | None, root: Path | None = None):
        self.db = db
        self.stored_root = (stored_root or "").rstrip("/")
        self.root = root

    def lookup(self, part: str, modality: str, asset_id: int) -> dict | None:
        """The catalog's row for one asset (sql/asset.sql: its facts and the path the catalog
        gives it); None when the catalog does not know the asset."""
        if part not in PARTS or modality not in MODALITIES or not 0 <= asset_id < 2**31:
            return None
        rows = self.db.rows(ASSET_SQL, {"part": part, "modality": modality, "asset_id": asset_id})
        return rows[0] if rows else None

    def path(self, part: str, modality: str, asset_id: int) -> Path | None:
        """The absolute file path of an asset under the chosen root, or None when the catalog
        does not know the asset or gives it no safe path."""
        row = self.lookup(part, modality, asset_id)
        path = self.local(row["file_path"]) if row else None
        return Path(path) if path else None

    def local(self, file_path: str | None) -> str | None:
        """A path as the catalog gives it, moved under the chosen root."""
        if file_path is None:
            return None
        if self.root is not None:
            if not file_path.startswith(self.stored_root + "/"):
                raise CatalogError(
                    f"{file_path} is not below the catalog's asset root {self.stored_root}: "
                    "the catalog changed while the explorer ran; restart `emm1 serve`."
                )
            file_path = str(self.root) + file_path[len(self.stored_root) :]
        return os.path.abspath(file_path)

    def on_disk(self, file_path: str | None) -> bool:
        """Whether the file at a path from `local` is there now."""
        return file_path is not None and os.path.isfile(file_path)
