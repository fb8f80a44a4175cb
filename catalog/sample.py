"""`emm1 sample`: a deterministic synthetic E-MM1 with the published layout and columns.

All rows are made by DuckDB from integer arithmetic on row numbers (no per-row Python), so the
same arguments give byte-identical files, and large samples generate quickly.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from catalog.discover import ASSET_MODALITIES, NN_SHARDS
from catalog.errors import CatalogError
from catalog.progress import Progress
from catalog.sqltext import render, resource_text

LAYOUTS = {
    "upstream": {"e-mm1_100m": "e-mm1_100m", "e-mm1_1m": "e-mm1_1m", "eshot": "eshot"},
    "legacy": {
        "e-mm1_100m": "encord_phase_1_dataset",
        "e-mm1_1m": "encord_phase_2_dataset",
        "eshot": "eshot",
    },
}
# The published size of E-MM1:100M: rows of every nn shard (scale 1.0).
FULL_CAPTIONS = 6_706_765
# Rows of each 100M infos file per caption, chosen so that file sizes follow the published ones
# (image.csv 613 MB, video.csv 458 MB, audio.csv 238 MB, points.csv 59 MB at scale 1.0).
ASSETS_PER_CAPTION = {"image": 1.03, "audio": 0.42, "video": 0.84, "points": 0.08}
ANNOTATION_LABELS = [(1, "Good Match"), (2, "Partial Match"), (3, "Bad (No) Match")]
DEFAULT_CAPTIONS = 200  # rows of each nn shard when no size is asked for


@dataclass(frozen=True)
class SampleSizes:
    captions: int  # rows of each nn shard
    assets_100m: dict[str, int]
    text_1m: int
    assets_1m: int  # rows of each 1M infos file
    triplets: int  # before the duplicated rows
    eshot: int  # samples per modality
    eshot_categories: int
    caption_padding: int  # longer captions with a larger value

    @classmethod
    def chosen(cls, captions: int | None, scale: float | None) -> SampleSizes:
        """The sizes `emm1 sample` was asked for: --captions or --scale (DEFAULT_CAPTIONS
        when neither is given); both at once is refused."""
        if captions is not None and scale is not None:
            raise CatalogError(
                f"--captions {captions} and --scale {scale} both set the sample's size: give "
                "one of them."
            )
        if scale is not None:
            return cls.for_scale(scale)
        return cls.for_captions(DEFAULT_CAPTIONS if captions is None else captions)

    @classmethod
    def for_scale(cls, scale: float) -> SampleSizes:
        """Sizes proportional to the published dataset: 1.0 is the real size."""
        if not 0 < scale <= 4:
            raise CatalogError(f"--scale must be above 0 and at most 4, not {scale}.")
        return cls.for_captions(max(20, round(FULL_CAPTIONS * scale)))

    @classmethod
    def for_captions(cls, captions: int) -> SampleSizes:
        if captions < 20:
            raise CatalogError(f"--captions must be at least 20, not {captions}.")
        eshot = min(1750, max(24, captions // 10))
        return cls(
            captions=captions,
            assets_100m={m: max(10, round(captions * f)) for m, f in ASSETS_PER_CAPTION.items()},
            text_1m=max(20, round(captions * 0.07)),
            assets_1m=max(10, round(captions * 0.05)),
            triplets=max(40, round(captions * 0.15)),
            eshot=eshot,
            eshot_categories=min(112, max(4, eshot // 15)),
            caption_padding=13,  # text.csv of ~1.25 GB at scale 1.0
        )


def generate_sample(
    out: str | os.PathLike,
    captions: int = DEFAULT_CAPTIONS,
    layout: str = "upstream",
    seed: int = 0,
    progress: Progress | None = None,
    sizes: SampleSizes | None = None,
) -> SampleSizes:
    """Write a synthetic dataset (all three parts) into the folder `out`. `sizes` (for
    example `SampleSizes.for_scale(0.1)`) overrides `captions`."""
    if layout not in LAYOUTS:
        raise CatalogError(f"unknown layout {layout!r}. Layouts: {', '.join(LAYOUTS)}.")
    out = Path(out)
    folders = {part: out / name for part, name in LAYOUTS[layout].items()}
    taken = [str(f) for f in folders.values() if f.exists()]
    if taken:
        raise CatalogError(f"{taken[0]} already exists: give `emm1 sample` a new or empty folder.")
    sizes = sizes or SampleSizes.for_captions(captions)
    progress = progress or Progress(enabled=False)
    with duckdb.connect() as con:
        con.execute(resource_text("catalog", "sample/macros.sql"))
        writer = _Writer(con, seed, progress)
        _part_100m(writer, folders["e-mm1_100m"], sizes)
        _part_1m(writer, folders["e-mm1_1m"], sizes, legacy=layout == "legacy")
        _eshot(writer, folders["eshot"], sizes)
    return sizes


class _Writer:
    def __init__(self, con: duckdb.DuckDBPyConnection, seed: int, progress: Progress):
        self.con, self.seed, self.progress = con, seed, progress

    def relation(self, name: str, **params):
        sql = (
            render("catalog", f"sample/{name}", modality=params.get("modality"))
            if name.endswith(".j2")
            else resource_text("catalog", f"sample/{name}")
        )
        wanted = set(re.findall(r"\$(\w+)", sql))
        values = {k: v for k, v in {"seed": self.seed, **params}.items() if k in wanted}
        return self.con.sql(sql, params=values)

    def csv(self, path: Path, name: str, **params) -> None:
        self.progress.start(f"writing {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.relation(name, **params).write_csv(str(path), header=True)
        self.progress.done("done")


def _part_100m(w: _Writer, folder: Path, sizes: SampleSizes) -> None:
    _infos(
        w,
        folder,
        sizes.captions,
        sizes.assets_100m,
        "e-mm1_100m_only",
        with_source=True,
        padding=sizes.caption_padding,
    )
    counts = {f"n_{m}": n for m, n in sizes.assets_100m.items()}
    for k in range(1, NN_SHARDS + 1):
        w.csv(
            folder / f"nn_{k}" / "data_groups.csv", "nn_shard.sql", n=sizes.captions, k=k, **counts
        )


def _part_1m(w: _Writer, folder: Path, sizes: SampleSizes, legacy: bool) -> None:
    _infos(
        w,
        folder,
        sizes.text_1m,
        dict.fromkeys(ASSET_MODALITIES, sizes.assets_1m),
        "e-mm1_1m_only",
        with_source=not legacy,
        padding=1,
    )
    params = {"n": sizes.triplets, "n_text": sizes.text_1m, "n_assets": sizes.assets_1m}
    if legacy:
        w.con.register("current", w.relation("triplets.sql", **params))
        w.csv(folder / "triplets.csv", "triplets_legacy.sql")
        w.con.unregister("current")
    else:
        w.csv(folder / "triplets.csv", "triplets.sql", **params)
    labels = w.con.sql(
        "SELECT * FROM (VALUES "
        + ", ".join("(?, ?)" for _ in ANNOTATION_LABELS)
        + ") AS t(id, name)",
        params=[v for row in ANNOTATION_LABELS for v in row],
    )
    labels.write_csv(str(folder / "annotation_mapping.csv"), header=True)


def _infos(
    w: _Writer,
    folder: Path,
    captions: int,
    assets: dict[str, int],
    only_folder: str,
    with_source: bool,
    padding: int,
) -> None:
    text = w.relation("text.sql", n=captions, padding=padding)
    if not with_source:
        text = text.select("encord_text_id, caption")
    w.progress.start(f"writing {folder / 'infos' / 'text.csv'}")
    (folder / "infos").mkdir(parents=True, exist_ok=True)
    text.write_csv(str(folder / "infos" / "text.csv"), header=True)
    w.progress.done("done")
    for modality, n in assets.items():
        w.csv(
            folder / "infos" / f"{modality}.csv",
            "infos.sql.j2",
            modality=modality,
            n=n,
            only_folder=only_folder,
        )


def _eshot(w: _Writer, folder: Path, sizes: SampleSizes) -> None:
    w.csv(folder / "eshot_audio_info.csv", "eshot_audio.sql", n=sizes.eshot)
    w.csv(folder / "eshot_points_info.csv", "eshot_points.sql", n=sizes.eshot)
    for name in ("category_to_audio_ids.json", "category_to_point_ids.json"):
        rows = w.relation(
            "eshot_categories.sql", n=sizes.eshot, n_categories=sizes.eshot_categories
        ).fetchall()  # one row per category
        (folder / name).write_text(
            json.dumps(dict(rows), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
