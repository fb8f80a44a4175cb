"""Finding the E-MM1 files under a data folder, in either the upstream or the legacy layout."""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

from catalog.errors import CatalogError

ASSET_MODALITIES = ("image", "audio", "video", "points")
MODALITIES = (*ASSET_MODALITIES, "text")
NN_SHARDS = 16
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"


@dataclass(frozen=True)
class Part:
    name: str  # the value stored in the catalog's `part` enum
    code: str  # short form used in table names
    folders: tuple[str, ...]  # upstream folder name first, then legacy names


PARTS = (
    Part("e-mm1_100m", "100m", ("e-mm1_100m", "encord_phase_1_dataset")),
    Part("e-mm1_1m", "1m", ("e-mm1_1m", "encord_phase_2_dataset")),
    Part("eshot", "eshot", ("eshot",)),
)
PART_BY_NAME = {p.name: p for p in PARTS}


@dataclass(frozen=True)
class DataFile:
    """One file the build reads."""

    path: Path  # absolute
    rel: str  # relative to the data folder, with '/'
    part: str
    kind: str  # infos | nn_shard | triplets | annotation_mapping | eshot_info | eshot_categories
    table: str
    modality: str | None = None
    nn_index: int | None = None
    lfs_include: str = ""  # the --include pattern that fetches this file with git lfs

    @property
    def is_lfs_pointer(self) -> bool:
        with open(self.path, "rb") as f:
            return f.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX


@dataclass(frozen=True)
class Discovery:
    data_dir: Path
    parts: dict[str, Path]  # part name -> its folder
    files: list[DataFile]
    absent: list[str]  # expected files that are not there (relative paths)


def discover(data_dir: str | Path) -> Discovery:
    """Find the parts and their files under `data_dir` (a folder of parts, or one part)."""
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise CatalogError(
            f"{data_dir}: no such folder. Give the folder that holds e-mm1_100m/, "
            "e-mm1_1m/ and eshot/ (upstream: datasets/), or one of them."
        )
    files: list[DataFile] = []
    absent: list[str] = []
    try:
        parts = _find_parts(data_dir)
        for name, folder in parts.items():
            found, missing = _PART_FILES[name](folder)
            for kind, table, path, extra in found:
                files.append(_data_file(data_dir, name, kind, table, path, **extra))
            absent.extend(_rel(data_dir, p) for p in missing)
    except OSError as e:
        raise CatalogError(unreadable(e, data_dir)) from None
    return Discovery(data_dir, parts, files, absent)


def unreadable(error: OSError, data_dir: Path) -> str:
    """One line for a file or folder that cannot be read, named relative to `data_dir`."""
    name = _rel(data_dir, Path(error.filename)) if error.filename else str(data_dir)
    return (
        f"{name} cannot be read: {error.strerror or error}. Check that it is a file (or a "
        "folder) you may read, and that you may open the folders above it."
    )


def _present(path: Path) -> bool:
    """Whether a data file is there: a file (or a link to one) is, nothing at all is not;
    anything else at that path (a folder, a broken or looping link) raises OSError."""
    if path.is_file():  # raises when a folder above cannot be searched
        return True
    if not os.path.lexists(path):
        return False
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", str(path))
    path.stat()  # a broken or looping link: raises with the reason
    raise OSError(errno.EINVAL, "it is not a regular file", str(path))


def _find_parts(data_dir: Path) -> dict[str, Path]:
    parts: dict[str, Path] = {}
    for part in PARTS:
        present = [data_dir / f for f in part.folders if (data_dir / f).is_dir()]
        if len(present) > 1:
            names = " and ".join(f"{p.name}/" for p in present)
            raise CatalogError(
                f"{data_dir} holds both {names}: two copies of {part.name}. "
                "Keep one of them (or point at one) and build again."
            )
        if present:
            parts[part.name] = present[0]
    if parts:
        return parts
    own = _part_of_folder(data_dir)
    if own:
        return {own: data_dir}
    raise CatalogError(
        f"{data_dir} holds no E-MM1 part: expected e-mm1_100m/, e-mm1_1m/ or eshot/ in it "
        "(legacy: encord_phase_1_dataset/, encord_phase_2_dataset/), or one part's own files "
        "(nn_1/ ... nn_16/, triplets.csv, eshot_audio_info.csv)."
    )


def _part_of_folder(folder: Path) -> str | None:
    """Which part `folder` is, by its name, else by what it holds."""
    for part in PARTS:
        if folder.name in part.folders:
            return part.name
    if any(_nn_index(p) for p in folder.iterdir() if p.is_dir()):
        return "e-mm1_100m"
    if (folder / "triplets.csv").is_file():
        return "e-mm1_1m"
    if (folder / "eshot_audio_info.csv").is_file() or (folder / "eshot_points_info.csv").is_file():
        return "eshot"
    return None


def _nn_index(folder: Path) -> int | None:
    match = re.fullmatch(r"nn_(\d+)", folder.name)
    return int(match.group(1)) if match else None


def _infos(folder: Path, code: str):
    found, missing = [], []
    for modality in MODALITIES:
        path = folder / "infos" / f"{modality}.csv"
        if _present(path):
            found.append(("infos", f"infos_{code}_{modality}", path, {"modality": modality}))
        else:
            missing.append(path)
    return found, missing


def _files_100m(folder: Path):
    found, missing = _infos(folder, "100m")
    shards = {_nn_index(p): p for p in folder.iterdir() if p.is_dir() and _nn_index(p)}
    for k in sorted(set(shards) | set(range(1, NN_SHARDS + 1))):
        path = shards.get(k, folder / f"nn_{k}") / "data_groups.csv"
        if _present(path):
            found.append(("nn_shard", "nn_groups", path, {"nn_index": k}))
        else:
            missing.append(path)
    return found, missing


def _files_1m(folder: Path):
    found, missing = _infos(folder, "1m")
    for name, kind, table in (
        ("triplets.csv", "triplets", "triplets"),
        ("annotation_mapping.csv", "annotation_mapping", "annotation_labels"),
    ):
        path = folder / name
        (found.append((kind, table, path, {})) if _present(path) else missing.append(path))
    return found, missing


def _files_eshot(folder: Path):
    found, missing = [], []
    for name, kind, table, modality in (
        ("eshot_audio_info.csv", "eshot_info", "eshot_audio", "audio"),
        ("eshot_points_info.csv", "eshot_info", "eshot_points", "points"),
        ("category_to_audio_ids.json", "eshot_categories", "eshot_categories", "audio"),
        ("category_to_point_ids.json", "eshot_categories", "eshot_categories", "points"),
    ):
        path = folder / name
        if _present(path):
            found.append((kind, table, path, {"modality": modality}))
        else:
            missing.append(path)
    return found, missing


_PART_FILES = {"e-mm1_100m": _files_100m, "e-mm1_1m": _files_1m, "eshot": _files_eshot}


def _rel(data_dir: Path, path: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix()
    except ValueError:  # data_dir is the part itself: the file is below it anyway
        return path.as_posix()


def _data_file(data_dir: Path, part: str, kind: str, table: str, path: Path, **extra) -> DataFile:
    return DataFile(
        path=path,
        rel=_rel(data_dir, path),
        part=part,
        kind=kind,
        table=table,
        lfs_include=_lfs_include(path),
        **extra,
    )


def _lfs_include(path: Path) -> str:
    """The path git lfs knows the file by: relative to the enclosing git work tree if there is
    one, else starting at the part folder (as in the upstream repository's datasets/)."""
    for parent in path.parents:
        if (parent / ".git").exists():
            return path.relative_to(parent).as_posix()
    for parent in path.parents:
        if _part_of_folder_name(parent.name):
            return path.relative_to(parent.parent).as_posix()
    return path.name


def _part_of_folder_name(name: str) -> bool:
    return any(name in p.folders for p in PARTS)


def lfs_pull_command(includes: list[str]) -> str:
    """One git lfs command that fetches all the given files."""
    return f'git lfs pull --include="{",".join(includes)}"'
