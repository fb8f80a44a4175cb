"""`emm1 build`: every E-MM1 file into one new DuckDB file, swapped into place on success."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from catalog import __version__, leftovers
from catalog.config import explicit_asset_root, initial_settings
from catalog.db import DEFAULT_STORAGE_VERSION, check_duckdb_file, write_lock
from catalog.definitions import (
    SCHEMA_VERSION,
    install_path_macros,
    install_views,
    store_resolved_triplets,
)
from catalog.discover import PARTS, DataFile, Discovery, discover, lfs_pull_command, unreadable
from catalog.errors import CatalogError, duckdb_message
from catalog.ingest import (
    check_unique_ids,
    is_legacy_triplets,
    key_column,
    load_categories,
    load_csv,
    load_legacy_triplets,
    record_size_limit,
    scans_ahead,
)
from catalog.interrupt import interruptible
from catalog.macros import install_macros
from catalog.progress import Progress, count, human_bytes
from catalog.sqltext import literal, render, resource_text

# The catalog a build replaces, attached read-only while the new one is written, so that its
# settings and file scan carry over (load/carry_settings.sql, disk/carry_*.sql).
PREVIOUS = "previous_catalog"


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
    asset_root: str = ""  # the asset root in force
    asset_root_source: str = ""  # where it came from
    kept_settings: dict[str, str] = field(default_factory=dict)  # not defaults, from the old
    scan_kept: tuple[int, int] | None = None  # assets whose scan was kept, assets scanned
    not_kept: str | None = None  # why nothing (or not the scan) came from the old catalog

    @property
    def fetch_command(self) -> str | None:
        if not self.skipped:
            return None
        return lfs_pull_command([f.lfs_include for f in self.skipped])

    def carried(self) -> str | None:
        """What came over from the catalog this build replaced, in one line (None: nothing)."""
        said = []
        if self.kept_settings:
            said.append(
                "kept settings " + ", ".join(f"{k}={v}" for k, v in self.kept_settings.items())
            )
        if self.scan_kept and self.scan_kept[1]:
            kept, scanned = self.scan_kept
            line = f"kept the file scan for {kept:,} of {count(scanned, 'asset')}"
            if scanned > kept:
                line += f" ({scanned - kept:,} changed or new: run emm1 files scan)"
            said.append(line)
        if self.not_kept:
            said.append(self.not_kept)
        return "; ".join(said) or None


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
    max_record_size: str | int | None = None,
    progress: Progress | None = None,
    reset_settings: bool = False,
) -> BuildReport:
    """Build the catalog at `db` from the E-MM1 files under `data_dir`.

    The new catalog is written to a file beside `db` (beside the real file, if `db` is a
    symbolic link) and renamed into place only when it is complete, so a failed or interrupted
    build leaves whatever was at `db` exactly as it was, and no temporary file; what a build
    killed outright left, the next one removes (catalog.leftovers).

    A catalog already at `db` keeps its settings (unless `reset_settings`; `asset_root`, else
    $ROOT_DATA_PATH, still wins over its asset root) and its file scan for the assets whose
    infos row did not change: the report says what was kept.
    """
    started = time.perf_counter()
    progress = progress or Progress(enabled=False)
    found = discover(data_dir)
    db = Path(db).absolute()
    check_duckdb_file(db)  # never replace a CSV or Parquet file given as --db
    report = BuildReport(
        db=db, data_dir=found.data_dir, parts=list(found.parts), absent=found.absent
    )
    explicit_root = explicit_asset_root(asset_root)
    with _write_lock(db) as real:  # a symbolic link at `db` stays one, to the new catalog
        work = leftovers.work_path(real, "building")
        spill = leftovers.work_path(real, "spill")
        wal = Path(f"{work}.wal")
        try:
            con = _connect_new(work, spill, threads, memory_limit, storage_version)
            with con, interruptible(con):  # a signal stops DuckDB at once (catalog.interrupt)
                _create_tables(con)
                # settings first: the load stores each asset's path with the layout in force
                previous = _attach_previous(con, real, report)
                keep = set() if reset_settings else previous
                root = _store_settings(con, keep, explicit_root, found.data_dir, report)
                _ingest(con, found, report, progress, max_record_size)
                _record_provenance(con, found, report, root, storage_version)
                install_views(con)
                store_resolved_triplets(con)
                _carry_scan(con, previous, report)
                install_macros(con)
                if previous:
                    con.execute(f"DETACH {PREVIOUS}")
                con.execute("CHECKPOINT")
            swap_started = time.perf_counter()
            os.replace(work, real)
            report.swap_seconds = time.perf_counter() - swap_started
        except Exception as e:
            if not leftovers.is_disk_full(e):
                raise
            raise _disk_full(db, real, work, wal) from None
        finally:
            for path in (work, wal, spill):
                leftovers.remove(path)
    report.seconds = time.perf_counter() - started
    report.bytes = db.stat().st_size
    return report


@contextmanager
def _write_lock(db: Path) -> Iterator[Path]:
    """catalog.db.write_lock, with a disk too full for the lock file as a one-line error."""
    try:
        with write_lock(db) as real:
            yield real
    except OSError as e:  # the build itself says a full disk in its own words
        if not leftovers.is_disk_full(e):
            raise
        raise leftovers.no_room_for_lock(db) from None


def _disk_full(db: Path, real: Path, work: Path, wal: Path) -> CatalogError:
    written = sum(p.stat().st_size for p in (work, wal) if p.exists())
    return CatalogError(
        f"no space left on the device of {real.parent} after writing {human_bytes(written)} "
        "of the new catalog there: free some space (a build needs about twice the catalog's "
        f"size) or build elsewhere with --db, then run this again; {db} was not changed."
    )


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
    install_path_macros(con)  # the load computes the stored paths with them


def _ingest(
    con, found: Discovery, report: BuildReport, progress: Progress, max_size: str | int | None
) -> None:
    record_size = record_size_limit(max_size)
    total = len(found.files)
    with scans_ahead(found.files) as scans:
        for n, file in enumerate(found.files, 1):
            try:
                size = file.path.stat().st_size
                progress.start(f"[{n:>2}/{total}] {file.rel} ({human_bytes(size)})")
                if file.is_lfs_pointer:
                    report.skipped.append(file)
                    progress.done("skipped: git LFS pointer, not data")
                    continue
                t0 = time.perf_counter()
                rows = _load(con, file, record_size, scans.get(file.path))
            except OSError as e:
                raise CatalogError(unreadable(e, found.data_dir)) from None
            seconds = time.perf_counter() - t0
            report.loaded.append((file, rows, seconds))
            progress.done(f"{rows:,} rows")


def _load(con, file: DataFile, record_size: int, scanned) -> int:
    if file.kind == "eshot_categories":
        return load_categories(con, file)
    if file.kind == "triplets" and is_legacy_triplets(file):
        return load_legacy_triplets(con, file, record_size)
    rows = load_csv(con, file, file.table, record_size, scanned)
    if key_column(file):
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
    facts = {
        "tool_version": __version__,
        "duckdb_version": duckdb.__version__,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(found.data_dir),
        "parts": ",".join(found.parts),
        "asset_root_at_build": root,
        "storage_version": storage_version,
        "absent_files": ",".join(found.absent),
        "schema_version": str(SCHEMA_VERSION),
    }
    con.executemany("INSERT INTO catalog_info VALUES (?, ?)", list(facts.items()))


def _attach_previous(con, real: Path, report: BuildReport) -> set[str]:
    """Attach the catalog at `real`, which this build replaces, read-only as PREVIOUS; returns
    the names of its tables and views. Nothing is attached, and the set is empty, when there is
    no catalog there; report.not_kept says why when there is a file that is not one."""
    if not real.exists():
        return set()
    try:
        con.execute(f"ATTACH {literal(str(real))} AS {PREVIOUS} (READ_ONLY)")
    except duckdb.Error as e:
        if isinstance(e, duckdb.InterruptException):
            raise
        report.not_kept = f"kept nothing from the file it replaces ({duckdb_message(e)})"
        return set()
    names = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $db "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = $db",
            {"db": PREVIOUS},
        ).fetchall()
    }
    if "settings" not in names:
        con.execute(f"DETACH {PREVIOUS}")
        report.not_kept = "kept nothing from the file it replaces (not an emm1 catalog)"
        return set()
    return names


def _store_settings(
    con, previous: set[str], explicit: tuple[str, str] | None, data_dir: Path, report
) -> str:
    """Store the settings: the old catalog's (when `previous` has them), else the defaults; an
    explicit asset root wins over both. Returns the asset root in force."""
    defaults = initial_settings(os.path.abspath(data_dir))
    root, source = explicit or (defaults["asset_root"], "the data folder, by default")
    if "settings" not in previous:
        con.executemany("INSERT INTO settings VALUES (?, ?)", list(initial_settings(root).items()))
    else:
        con.execute(
            resource_text("catalog", "load/carry_settings.sql"),
            {
                "keys": list(defaults),
                "defaults": list(defaults.values()),
                "asset_root": explicit[0] if explicit else None,
            },
        )
        stored = dict(con.execute("SELECT key, value FROM settings").fetchall())
        old = dict(con.execute(f"SELECT key, value FROM {PREVIOUS}.settings").fetchall())
        report.kept_settings = {
            key: value
            for key, value in stored.items()
            if old.get(key) == value
            and value != defaults[key]
            and not (key == "asset_root" and explicit)
        }
        if not explicit and "asset_root" in old:
            root, source = stored["asset_root"], "kept from the catalog it replaces"
    report.asset_root, report.asset_root_source = root, source
    return root


def _carry_scan(con, previous: set[str], report: BuildReport) -> None:
    """Keep the old catalog's file scan for the assets whose infos row did not change (DuckDB
    joins the two catalogs); an old catalog without a scan, or one it cannot read, keeps none."""
    if not {"assets", "asset_files", "file_scans"} <= previous:
        return
    if not con.execute(f"SELECT count(*) FROM {PREVIOUS}.file_scans").fetchall()[0][0]:
        return  # never scanned
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(resource_text("catalog", "disk/carry_scan.sql"))
        if "incomplete_files" in previous:
            con.execute(resource_text("catalog", "disk/carry_incomplete.sql"))
        summary = resource_text("catalog", "disk/carry_summary.sql")
        kept, scanned = con.execute(summary).fetchall()[0]
        con.execute("DROP TABLE unchanged_assets")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        if isinstance(e, duckdb.InterruptException) or leftovers.is_disk_full(e):
            raise
        report.not_kept = (
            f"could not keep the file scan of the catalog it replaces ({duckdb_message(e)}): "
            "run emm1 files scan"
        )
        return
    con.execute("COMMIT")
    report.scan_kept = (kept, scanned)
