"""`emm1 build`: every E-MM1 file into one new DuckDB file, swapped into place on success."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from catalog import __version__
from catalog.config import asset_root as choose_asset_root
from catalog.config import initial_settings
from catalog.db import DEFAULT_STORAGE_VERSION, write_lock
from catalog.definitions import install_views
from catalog.discover import PARTS, DataFile, Discovery, discover, lfs_pull_command
from catalog.errors import CatalogError
from catalog.ingest import (
    check_unique_ids,
    is_legacy_triplets,
    load_categories,
    load_csv,
    load_legacy_triplets,
)
from catalog.macros import install_macros
from catalog.progress import Progress, human_bytes
from catalog.sqltext import render


@dataclass
class BuildReport:
    db: Path
    data_dir: Path
    parts: list[str]
    loaded: list[tuple[DataFile, int, float]] = field(default_factory=list)  # file, rows, seconds
    skipped: list[DataFile] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    seconds: float = 0.0
    bytes: int = 0
    swap_seconds: float = 0.0  # the rename of the new file over the old one

    @property
    def fetch_command(self) -> str | None:
        if not self.skipped:
            return None
        return lfs_pull_command([f.lfs_include for f in self.skipped])


def default_memory_limit() -> str:
    """Half of this machine's memory: room for the OS and the user's other work."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(total // 2 // 2**20, 256)}MB"


def build_catalog(
    data_dir: str | os.PathLike,
    db: str | os.PathLike,
    *,
    asset_root: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    storage_version: str = DEFAULT_STORAGE_VERSION,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the catalog at `db` from the E-MM1 files under `data_dir`.

    The new catalog is written to a file beside `db` and renamed into place only when it is
    complete, so a failed build leaves whatever was at `db` exactly as it was.
    """
    started = time.perf_counter()
    progress = progress or Progress(enabled=False)
    found = discover(data_dir)
    db = Path(db).absolute()
    report = BuildReport(
        db=db, data_dir=found.data_dir, parts=list(found.parts), absent=found.absent
    )
    root = choose_asset_root(asset_root, found.data_dir)
    with write_lock(db):
        work = db.with_name(f".{db.name}.building-{os.getpid()}")
        spill = db.with_name(f".{db.name}.spill-{os.getpid()}")
        _remove(work)
        try:
            con = _connect_new(work, spill, threads, memory_limit, storage_version)
            with con:
                _create_tables(con)
                _ingest(con, found, report, progress)
                _record_provenance(con, found, report, root, storage_version)
                install_views(con)
                install_macros(con)
                con.execute("CHECKPOINT")
            swap_started = time.perf_counter()
            os.replace(work, db)
            report.swap_seconds = time.perf_counter() - swap_started
        except BaseException:
            _remove(work)
            raise
        finally:
            _remove(Path(str(work) + ".wal"))
            _remove_tree(spill)
    report.seconds = time.perf_counter() - started
    report.bytes = db.stat().st_size
    return report


def _connect_new(path: Path, spill: Path, threads, memory_limit, storage_version):
    config = {
        "storage_compatibility_version": storage_version,
        "memory_limit": memory_limit or default_memory_limit(),
        "temp_directory": str(spill),
    }
    if threads:
        config["threads"] = int(threads)
    try:
        return duckdb.connect(str(path), config=config)
    except duckdb.Error as e:
        raise CatalogError(
            f"cannot create the catalog: {str(e).splitlines()[0]} "
            "(check --threads, --memory-limit and --storage-version)"
        ) from None


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(render("catalog", "load/tables.sql.j2", parts=PARTS[:2]))


def _ingest(con, found: Discovery, report: BuildReport, progress: Progress) -> None:
    total = len(found.files)
    for n, file in enumerate(found.files, 1):
        size = file.path.stat().st_size
        progress.start(f"[{n:>2}/{total}] {file.rel} ({human_bytes(size)})")
        if file.is_lfs_pointer:
            report.skipped.append(file)
            progress.done("skipped: git LFS pointer, not data")
            continue
        t0 = time.perf_counter()
        rows = _load(con, file)
        seconds = time.perf_counter() - t0
        report.loaded.append((file, rows, seconds))
        progress.done(f"{rows:,} rows")


def _load(con, file: DataFile) -> int:
    if file.kind == "eshot_categories":
        return load_categories(con, file)
    if file.kind == "triplets" and is_legacy_triplets(file):
        return load_legacy_triplets(con, file)
    rows = load_csv(con, file, file.table)
    if file.kind == "infos":
        check_unique_ids(con, file)
    return rows


def _record_provenance(
    con, found: Discovery, report: BuildReport, root: str, storage_version: str
) -> None:
    for file, rows, seconds in report.loaded:
        stat = file.path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)
        con.execute(
            "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file.rel,
                file.part,
                file.kind,
                file.table,
                stat.st_size,
                modified,
                rows,
                round(seconds, 3),
            ],
        )
    for file in report.skipped:
        con.execute(
            "INSERT INTO skipped_files VALUES (?, ?, ?, ?, ?)",
            [
                file.rel,
                file.part,
                "git LFS pointer, not data",
                file.lfs_include,
                lfs_pull_command([file.lfs_include]),
            ],
        )
    con.executemany("INSERT INTO settings VALUES (?, ?)", list(initial_settings(root).items()))
    facts = {
        "tool_version": __version__,
        "duckdb_version": duckdb.__version__,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(found.data_dir),
        "parts": ",".join(found.parts),
        "asset_root_at_build": root,
        "storage_version": storage_version,
        "absent_files": ",".join(found.absent),
    }
    con.executemany("INSERT INTO catalog_info VALUES (?, ?)", list(facts.items()))


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _remove_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
