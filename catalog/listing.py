"""Listing the files below an asset root fast: os.scandir folder by folder, one stat per file
(for its size), names and sizes kept in lists that become Arrow arrays for DuckDB to join."""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import pyarrow as pa

from catalog.progress import Progress

BATCH_FILES = 1 << 20  # files per Arrow batch of the listing


@dataclass
class Listing:
    """Files below <root>/<save_folder>/<folder>/, as two Arrow tables: `files` (dir_id, name,
    bytes) and `dirs` (dir_id, save_folder, folder, subdir)."""

    files: pa.Table
    dirs: pa.Table
    unreadable: list[str]

    @property
    def count(self) -> int:
        return self.files.num_rows


class _Lister:
    """Walks folders with os.scandir, keeping names and sizes in lists that become Arrow
    batches; the per-file work is one is_file() (no system call) and one stat."""

    def __init__(self) -> None:
        self.dir_save: list[str] = []
        self.dir_folder: list[str] = []
        self.dir_sub: list[str] = []
        self.names: list[str] = []
        self.sizes: list[int] = []
        self.dir_ids: list[int] = []
        self.batches: list[pa.RecordBatch] = []
        self.listed = 0
        self.unreadable: list[str] = []
        self._seen: set[tuple[int, int]] = set()

    def walk(self, top: str, save_folder: str, folder: str) -> int:
        """List every file below `top` (= <root>/<save_folder>/<folder>); returns how many.
        Symlinked folders are followed, each folder is listed once, so links cannot loop."""
        before = self.listed + len(self.names)
        stack = [(top, "")]
        while stack:
            path, subdir = stack.pop()
            try:
                listed = self._list_dir(path)
            except OSError:
                self.unreadable.append(path)
                continue
            if listed is None:  # seen before, through a symlink
                continue
            names, subdirs = listed
            dir_id = len(self.dir_save)
            self.dir_save.append(save_folder)
            self.dir_folder.append(folder)
            self.dir_sub.append(subdir)
            self.dir_ids.extend(repeat(dir_id, len(names)))
            for name in subdirs:
                stack.append((f"{path}/{name}", f"{subdir}/{name}" if subdir else name))
            if len(self.names) >= BATCH_FILES:
                self._flush()
        return self.listed + len(self.names) - before

    def _list_dir(self, path: str) -> tuple[list[str], list[str]] | None:
        """Append the files of one folder (names, sizes) and return them with its subfolders;
        None if the folder was listed before. Sizes come from stat relative to the open
        folder: a short lookup per file, about half the time of DirEntry.stat()."""
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in self._seen:
                return None
            self._seen.add((st.st_dev, st.st_ino))
            with os.scandir(fd) as entries:
                files, subdirs = [], []
                for entry in entries:
                    if entry.is_file():
                        files.append(entry.name)
                    elif entry.is_dir():
                        subdirs.append(entry.name)
            stat = os.stat
            try:
                sizes = [stat(name, dir_fd=fd).st_size for name in files]
            except OSError:  # a file went away since it was listed: keep the others
                files, sizes = self._sizes_one_by_one(fd, files)
        finally:
            os.close(fd)
        self.names.extend(files)
        self.sizes.extend(sizes)
        return files, subdirs

    @staticmethod
    def _sizes_one_by_one(fd: int, names: list[str]) -> tuple[list[str], list[int]]:
        kept, sizes = [], []
        for name in names:
            try:
                sizes.append(os.stat(name, dir_fd=fd).st_size)
            except OSError:
                continue
            kept.append(name)
        return kept, sizes

    def _flush(self) -> None:
        self.batches.append(
            pa.record_batch(
                [
                    pa.array(self.dir_ids, pa.int32()),
                    pa.array(self.names, pa.string()),
                    pa.array(self.sizes, pa.int64()),
                ],
                names=["dir_id", "name", "bytes"],
            )
        )
        self.listed += len(self.names)
        self.names, self.sizes, self.dir_ids = [], [], []

    def finish(self) -> Listing:
        self._flush()
        dirs = pa.table(
            {
                "dir_id": pa.array(range(len(self.dir_save)), pa.int32()),
                "save_folder": pa.array(self.dir_save, pa.string()),
                "folder": pa.array(self.dir_folder, pa.string()),
                "subdir": pa.array(self.dir_sub, pa.string()),
            }
        )
        return Listing(pa.Table.from_batches(self.batches), dirs, self.unreadable)


def list_files(
    root: Path,
    save_folders: list[str],
    folders: set[str] | None = None,
    progress: Progress | None = None,
) -> Listing:
    """List every file below <root>/<save_folder>/<folder>/ for each save folder, and for every
    folder in it (or only those in `folders`). Files directly in a save folder are no asset."""
    progress = progress or Progress(enabled=False)
    lister = _Lister()
    for save_folder in save_folders:
        base = os.path.join(root, save_folder)
        try:
            with os.scandir(base) as entries:
                subfolders = sorted(e.name for e in entries if e.is_dir())
        except OSError:
            continue  # nothing downloaded into this save folder
        for folder in subfolders:
            if folders is not None and folder not in folders:
                continue
            progress.start(f"listing {save_folder}/{folder}/")
            n = lister.walk(os.path.join(base, folder), save_folder, folder)
            progress.done(f"{n:,} files")
    return lister.finish()
