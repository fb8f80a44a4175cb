"""An independent computation of the catalog's views in plain Python, straight from the CSVs
(Python's csv module, dicts and string joins: no DuckDB), for tests to compare against."""

from __future__ import annotations

import csv
import json
from pathlib import Path

PART_FOLDERS = {
    "e-mm1_100m": ("e-mm1_100m", "encord_phase_1_dataset"),
    "e-mm1_1m": ("e-mm1_1m", "encord_phase_2_dataset"),
    "eshot": ("eshot",),
}
ASSETS = ("image", "audio", "video", "points")
# The public columns of the two main views, exactly as the contract names them.
NN_COLUMNS = [
    "encord_text_id",
    "nn_index",
    "caption",
    "encord_image_id",
    "encord_audio_id",
    "encord_video_id",
    "encord_points_id",
    "image_file_path",
    "audio_file_path",
    "video_file_path",
    "points_file_path",
]
TRIPLET_COLUMNS = [
    "encord_text_id",
    "caption",
    "paired_modality",
    "annotated_modality",
    "encord_paired_id",
    "encord_annotated_id",
    "annotation",
    "annotation_label",
    "paired_modality_file_path",
    "annotated_modality_file_path",
]


def part_dir(data: Path, part: str) -> Path:
    for name in PART_FOLDERS[part]:
        if (data / name).is_dir():
            return data / name
    raise FileNotFoundError(part)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(value: str):
    """CSV text -> the value DuckDB stores: '' is NULL, ints stay ints."""
    return None if value == "" else int(value)


def infos(data: Path, part: str, modality: str) -> dict[int, dict[str, str]]:
    rows = read_csv(part_dir(data, part) / "infos" / f"{modality}.csv")
    return {int(r[f"encord_{modality}_id"]): r for r in rows}


def unsafe(name: str) -> bool:
    """A save_folder or file_name that could leave the asset root: absolute, or with '..'."""
    return name.startswith("/") or ".." in name


def path_of(
    root: str, row: dict[str, str] | None, modality: str, folder: str | None = None
) -> str | None:
    """root/save_folder/folder/file_name (folder defaults to the modality), None if unsafe."""
    if row is None or unsafe(row["save_folder"]) or unsafe(row["file_name"]):
        return None
    return "/".join([root.rstrip("/"), row["save_folder"], folder or modality, row["file_name"]])


def nn_groups_resolved(data: Path, root: str, folders: dict[str, str] | None = None) -> list[tuple]:
    part = part_dir(data, "e-mm1_100m")
    text = infos(data, "e-mm1_100m", "text")
    assets = {m: infos(data, "e-mm1_100m", m) for m in ASSETS}
    out = []
    for k in range(1, 17):
        shard = part / f"nn_{k}" / "data_groups.csv"
        if shard.read_bytes().startswith(b"version https://git-lfs"):
            continue
        for r in read_csv(shard):
            tid = num(r["encord_text_id"])
            ids = {m: num(r[f"encord_{m}_id"]) for m in ASSETS}
            caption = text.get(tid, {}).get("caption")
            out.append(
                (
                    tid,
                    int(r["nn_index"]),
                    caption,
                    ids["image"],
                    ids["audio"],
                    ids["video"],
                    ids["points"],
                    *(
                        path_of(root, assets[m].get(ids[m]), m, (folders or {}).get(m))
                        for m in ASSETS
                    ),
                )
            )
    return out


def triplet_rows(data: Path) -> list[dict]:
    """triplets.csv in the current schema, whichever schema the file has."""
    rows = read_csv(part_dir(data, "e-mm1_1m") / "triplets.csv")
    if rows and "modality_1" in rows[0]:
        return [
            {
                "encord_text_id": r["encord_text_id"],
                "paired_modality": r["modality_1"],
                "annotated_modality": r["modality_2"],
                "encord_paired_id": r[f"encord_{r['modality_1']}_id"],
                "encord_annotated_id": r[f"encord_{r['modality_2']}_id"],
                "annotation": r["annotation"],
            }
            for r in rows
        ]
    return rows


def triplets_labeled(data: Path, root: str, folders: dict[str, str] | None = None) -> list[tuple]:
    part = part_dir(data, "e-mm1_1m")
    text = infos(data, "e-mm1_1m", "text")
    assets = {m: infos(data, "e-mm1_1m", m) for m in ASSETS}
    with open(part / "annotation_mapping.csv", newline="", encoding="utf-8") as f:
        labels = {int(r[0]): r[1] for r in list(csv.reader(f))[1:]}
    out = []
    for r in triplet_rows(data):
        tid, pm, am = num(r["encord_text_id"]), r["paired_modality"], r["annotated_modality"]
        pid, aid = num(r["encord_paired_id"]), num(r["encord_annotated_id"])
        code = num(r["annotation"])
        out.append(
            (
                tid,
                text.get(tid, {}).get("caption"),
                pm,
                am,
                pid,
                aid,
                code,
                labels.get(code),
                path_of(root, assets[pm].get(pid), pm, (folders or {}).get(pm)),
                path_of(root, assets[am].get(aid), am, (folders or {}).get(am)),
            )
        )
    return out


def eshot_samples(data: Path, root: str, folders: dict[str, str] | None = None) -> list[tuple]:
    part = part_dir(data, "eshot")
    out = []
    for modality, info, id_col, cats in (
        ("audio", "eshot_audio_info.csv", "eshot_audio_id", "category_to_audio_ids.json"),
        ("points", "eshot_points_info.csv", "eshot_point_id", "category_to_point_ids.json"),
    ):
        category = {i: c for c, ids in json.loads((part / cats).read_text()).items() for i in ids}
        for r in read_csv(part / info):
            sid = int(r[id_col])
            path = path_of(root, r, modality, (folders or {}).get(modality))
            out.append((modality, sid, category.get(sid), path))
    return out


def assets(data: Path) -> list[dict[str, str]]:
    """Every asset of every part, as the infos CSVs have it, with part, modality and asset_id."""
    out = []
    for part in ("e-mm1_100m", "e-mm1_1m"):
        for m in ASSETS:
            for i, r in infos(data, part, m).items():
                out.append({**r, "part": part, "modality": m, "asset_id": i})
    eshot = part_dir(data, "eshot")
    for m, name, id_col in (
        ("audio", "eshot_audio_info.csv", "eshot_audio_id"),
        ("points", "eshot_points_info.csv", "eshot_point_id"),
    ):
        for r in read_csv(eshot / name):
            out.append({**r, "part": "eshot", "modality": m, "asset_id": int(r[id_col])})
    return out


def eshot_leakage(data: Path) -> list[tuple]:
    """(eshot_modality, eshot_id, part, modality, asset_id) for every EShot sample and each
    E-MM1:100M or E-MM1:1M item with the same YouTube clip (same youtube_id, ranges overlapping;
    an empty start or end leaves a range open on that side) or the same 3D object (file_id)."""
    eshot = part_dir(data, "eshot")

    def span(row: dict[str, str]) -> tuple[float, float]:
        start, end = row.get("start_time") or "", row.get("end_time") or ""
        return (float(start) if start else float("-inf"), float(end) if end else float("inf"))

    out = []
    for part in ("e-mm1_100m", "e-mm1_1m"):
        for modality in ("audio", "video"):
            for asset_id, row in infos(data, part, modality).items():
                if not row.get("youtube_id"):
                    continue
                lo, hi = span(row)
                for e in read_csv(eshot / "eshot_audio_info.csv"):
                    e_lo, e_hi = span(e)
                    if e["youtube_id"] == row["youtube_id"] and lo < e_hi and e_lo < hi:
                        out.append(("audio", int(e["eshot_audio_id"]), part, modality, asset_id))
        for asset_id, row in infos(data, part, "points").items():
            for e in read_csv(eshot / "eshot_points_info.csv"):
                if row.get("file_id") and e["file_id"] == row["file_id"]:
                    out.append(("points", int(e["eshot_point_id"]), part, "points", asset_id))
    return out
