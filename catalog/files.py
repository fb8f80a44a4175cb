"""Assets on disk: which files a user has (`emm1 files scan`), in which folder the files of each
modality really are, and what is still to download (`emm1 files missing`).

The scan lists the asset root once (catalog.listing: Arrow arrays of names and sizes) and
DuckDB matches that listing against every catalog asset. It records every folder below
<root>/<save_folder>/ a file was found in, so the views that use presence follow the layout
setting without a rescan.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import duckdb
import pyarrow.csv
import pyarrow.parquet

from catalog.build import default_memory_limit
from catalog.db import connect_read_only, rewrite
from catalog.definitions import install_views
from catalog.discover import ASSET_MODALITIES, PARTS
from catalog.errors import CatalogError
from catalog.listing import is_utf8, list_files, printable
from catalog.progress import Progress, count, human_bytes
from catalog.sqltext import render, resource_text

PART_NAMES = tuple(p.name for p in PARTS)
# Where each modality's files may be below <root>/<save_folder>/: the documented formula (the
# modality name) first, then the folders other published guides use.
CANDIDATE_FOLDERS = {
    "image": ("image",),
    "audio": ("audio", "video"),
    "video": ("video",),
    "points": ("points", "point-clouds"),
}
# Sources fetched from Hugging Face by file_id (OpenShape hosts the point-cloud sources).
HUGGING_FACE_SOURCES = (
    "VidGen-1M",
    "OpenShape",
    "Objaverse",
    "ShapeNet",
    "ABO",
    "3D-FUTURE",
    "ImageNet",
    "Flickr30k",
)
# Columns of the download list, per downloader; `None` (all downloaders) has every column.
DOWNLOAD_COLUMNS = {
    None: (
        "downloader",
        "part",
        "modality",
        "asset_id",
        "source_dataset",
        "youtube_id",
        "start_time",
        "end_time",
        "url",
        "file_id",
        "save_folder",
        "file_name",
        "file_path",
    ),
    "youtube": (
        "youtube_id",
        "start_time",
        "end_time",
        "file_path",
        "part",
        "modality",
        "asset_id",
    ),
    # img2dataset reads `url`; pass the others with --save_additional_columns.
    "url": ("url", "file_path", "save_folder", "file_name", "part", "modality", "asset_id"),
    "huggingface": ("source_dataset", "file_id", "file_path", "part", "modality", "asset_id"),
    "other": ("source_dataset", "file_id", "file_path", "part", "modality", "asset_id"),
}
DOWNLOADERS = tuple(d for d in DOWNLOAD_COLUMNS if d)
FORMATS = ("csv", "parquet")
STDOUT = "-"  # --out - writes the download list to stdout
BATCH_ROWS = 100_000  # rows per batch written to stdout
SHOWN_SKIPS = 20  # skipped folders and entries a scan names one by one; the rest are counted


@dataclass
class LayoutFinding:
    """Where the files of one modality were found, against the folder the layout names."""

    modality: str
    configured: str
    expected: int  # files the assets of this modality in scope name (with a safe path)
    found: dict[str, int]  # folder -> files of this modality found there
    # folder -> files found there but not in the configured folder, so counted as missing
    elsewhere: dict[str, int] = field(default_factory=dict)

    @property
    def best(self) -> str | None:
        """The folder holding the most files of this modality (the configured one on a tie)."""
        if not any(self.found.values()):
            return None
        return max(self.found, key=lambda f: (self.found[f], f == self.configured))

    @property
    def candidates(self) -> list[str]:
        seen = [self.configured, *CANDIDATE_FOLDERS[self.modality], *self.found]
        return list(dict.fromkeys(seen))

    @property
    def command(self) -> str | None:
        """The setting that makes paths point at the files, when they are elsewhere."""
        best = self.best
        if best is None or best == self.configured:
            return None
        return f"emm1 config set layout.{self.modality} {best}"

    @property
    def split(self) -> bool:
        """Files in the folder the layout names and others only elsewhere, or in two or more
        folders the layout does not name."""
        stray = [f for f, n in self.elsewhere.items() if n]
        return bool(stray) and (self.found.get(self.configured, 0) > 0 or len(stray) > 1)

    def describe(self) -> str:
        counts = ", ".join(f"{f}/: {self.found.get(f, 0):,}" for f in self.candidates)
        head = f"{self.modality}: {count(self.expected, 'file')}; found in {counts}"
        if self.best is None:
            return f"{head}; none on disk yet"
        if self.split:
            return f"{head}; {self._split_advice()}"
        if self.command:
            return (
                f"{head}; paths use {self.configured}/ but the files are in {self.best}/: "
                f"run `{self.command}`"
            )
        return f"{head}; layout.{self.modality} = {self.configured} is right"

    def _split_advice(self) -> str:
        stray = {f: n for f, n in self.elsewhere.items() if n}
        total = sum(stray.values())
        where = " and ".join(f"{count(n, 'file')} only in {f}/" for f, n in stray.items())
        if self.command is None:  # most files are where the paths point
            fix = f"Move {'it' if total == 1 else 'them'} into {self.configured}/"
        else:
            fix = (
                f"Move every {self.modality} file into {self.best}/ and run `{self.command}` "
                f"(or every one into {self.configured}/)"
            )
        return (
            f"split: paths use {self.configured}/, so the {where} "
            f"{'counts' if total == 1 else 'count'} as missing. {fix}, then run "
            "emm1 files scan again"
        )


@dataclass
class ScanReport:
    root: Path
    files_listed: int
    seconds: float
    coverage: list[tuple]  # part, modality, source_dataset, present, expected, percent
    layout: list[LayoutFinding]
    unsafe: list[tuple]  # reason, assets, example
    skipped: list[tuple[str, str]] = field(default_factory=list)  # path, reason (the first ones)
    skipped_count: int = 0  # folders and entries the listing skipped
    asset_root: str = ""  # the catalog's asset_root setting
    incomplete: list[tuple] = field(default_factory=list)  # reason, files, example

    def messages(self) -> list[str]:
        """What the user should know beyond the coverage figures."""
        lines = [f"layout  {f.describe()}" for f in self.layout]
        if str(self.root) != self.asset_root:
            lines.append(
                f"note    scanned {self.root}, but paths in the views start at {self.asset_root}: "
                f"run `emm1 config set asset_root {self.root}` if the files live there"
            )
        for reason, n, example in self.unsafe:
            lines.append(
                f"unsafe  {count(n, 'asset')} {'has' if n == 1 else 'have'} no safe path "
                f"({reason}), e.g. {example}; never matched to a file. List them: "
                'emm1 sql "SELECT * FROM unsafe_assets"'
            )
        for reason, n, example in self.incomplete:
            lines.append(
                f"incomplete {count(n, 'file')}: {reason}, e.g. {example}; not counted as "
                "present, so `emm1 files missing` lists them to download again. List them: "
                'emm1 sql "SELECT * FROM incomplete_files"'
            )
        shown = sorted(self.skipped)[:SHOWN_SKIPS]
        lines.extend(f"skipped {path}: {reason}" for path, reason in shown)
        if self.skipped_count:
            more = self.skipped_count - len(shown)
            skipped = count(self.skipped_count, "folder or entry", "folders and entries")
            them = "it" if self.skipped_count == 1 else "them"
            lines.append(
                f"warning {skipped} skipped{f' ({more:,} not shown)' if more else ''}; files "
                f"in {them} count as missing"
            )
        return lines

    def coverage_table(self) -> str:
        head = f"{'part':<11} {'modality':<8} {'source_dataset':<28} {'present':>9} "
        head += f"{'expected':>9} {'%':>6}"
        rows = [
            f"{part:<11} {modality:<8} {source:<28} {present:>9,} {expected:>9,} {percent:>6.1f}"
            for part, modality, source, present, expected, percent in self.coverage
        ]
        return "\n".join([head, *rows])


def _scope(parts, modalities) -> dict[str, list[str]]:
    """Bound parameters for the parts and modalities a command covers (all when none given)."""
    parts, modalities = list(parts or PART_NAMES), list(modalities or ASSET_MODALITIES)
    for value, allowed, what in (
        (parts, PART_NAMES, "part"),
        (modalities, ASSET_MODALITIES, "modality"),
    ):
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise CatalogError(f"unknown {what} {unknown[0]!r}. Choose from: {', '.join(allowed)}.")
    return {"parts": parts, "modalities": modalities}


def _sql(name: str) -> str:
    return resource_text("catalog", f"disk/{name}")


def scan_files(
    db: Path,
    root: str | os.PathLike | None = None,
    parts=None,
    modalities=None,
    progress: Progress | None = None,
    follow_links: bool = False,
) -> ScanReport:
    """Find which catalog assets have their file below the asset root, and store it.

    `root` defaults to $ROOT_DATA_PATH, else the catalog's asset_root. Only `parts` and
    `modalities` (default: all) are scanned; their earlier results are replaced. Symbolic links
    are followed only where they stay inside the root, unless `follow_links`; what the listing
    skipped is in the report.
    """
    started = time.perf_counter()
    progress = progress or Progress(enabled=False)
    scope = _scope(parts, modalities)
    with connect_read_only(db) as con:
        settings = dict(con.execute("SELECT key, value FROM settings").fetchall())
        save_folders = [s for (s,) in con.execute(_sql("scan_folders.sql"), scope).fetchall()]
    root = _scan_root(root or os.environ.get("ROOT_DATA_PATH") or settings["asset_root"])
    folders = None
    if modalities:  # only the folders these modalities may be in
        folders = {settings.get(f"layout.{m}", m) for m in scope["modalities"]}
        folders |= {f for m in scope["modalities"] for f in CANDIDATE_FOLDERS[m]}
    listing = list_files(root, save_folders, folders, progress, follow_links)
    progress.start(f"matching {count(listing.count, 'file')} against the catalog")
    try:
        with rewrite(db) as con:
            con.execute("SET memory_limit = ?", [default_memory_limit()])
            con.execute("SET enable_progress_bar = false")  # it would print into stdout
            if not _has_scan_tables(con):  # a catalog built before they existed
                install_views(con)
            con.register("listing_files", listing.files)
            con.register("listing_dirs", listing.dirs)
            con.execute(_sql("forget_files.sql"), scope)
            con.execute(_sql("forget_incomplete.sql"), scope)
            con.execute(_sql("forget_scans.sql"), scope)
            con.execute(_sql("scan_inputs.sql"))
            con.execute(_sql("match_files.sql"), scope)
            con.execute(_sql("store_matches.sql"))
            con.execute(_sql("match_incomplete.sql"), {**scope, "root": str(root)})
            seconds = time.perf_counter() - started
            con.execute(
                _sql("record_scan.sql"),
                {
                    **scope,
                    "scanned_at": datetime.now(UTC).replace(tzinfo=None),
                    "root": str(root),
                    "seconds": round(seconds, 3),
                    "files_listed": listing.count,
                },
            )
            con.unregister("listing_files")
            con.unregister("listing_dirs")
            coverage = con.execute(_sql("coverage_report.sql"), scope).fetchall()
            layout = _layout(con.execute(_sql("layout_report.sql"), scope).fetchall(), settings)
            unsafe = con.execute(_sql("unsafe_report.sql"), scope).fetchall()
            incomplete = con.execute(_sql("incomplete_report.sql"), scope).fetchall()
    except (OSError, duckdb.Error) as e:
        raise CatalogError(_not_stored(db, e)) from None
    present = sum(r[3] for r in coverage if r[1] == "(all)")
    progress.done(f"{count(present, 'asset')} present")
    return ScanReport(
        root=root,
        files_listed=listing.count,
        seconds=time.perf_counter() - started,
        coverage=coverage,
        layout=layout,
        unsafe=unsafe,
        skipped=listing.skipped,
        skipped_count=listing.skipped_count,
        asset_root=settings["asset_root"],
        incomplete=incomplete,
    )


def _scan_root(root: str | os.PathLike) -> Path:
    """`root` as an absolute path, once it is known to be a folder the scan can enter."""
    root = Path(root).absolute()
    try:
        os.stat(os.path.join(root, "."))  # needs the right to enter the folder
    except (FileNotFoundError, NotADirectoryError):
        raise CatalogError(
            f"{printable(str(root))}: no such folder to scan. Give the folder you downloaded the "
            "media into with --root, or store it: emm1 config set asset_root PATH."
        ) from None
    except OSError as e:
        raise CatalogError(
            f"{printable(str(root))}: cannot read this folder ({e.strerror}). Scan it as a user "
            "who can read it, or give another folder with --root."
        ) from None
    if not is_utf8(str(root)):
        raise CatalogError(
            f"{printable(str(root))}: the path is not UTF-8, and the catalog keeps paths as UTF-8 "
            "text. Scan it through a symbolic link with a UTF-8 name (ln -s PATH NAME, then "
            "--root NAME), or rename it."
        )
    return root


def _not_stored(db: Path, error: Exception) -> str:
    """The message for a scan whose result could not be written into the catalog."""
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"{db}: cannot store the scan ({reason}); the catalog was not changed. Make room or "
        f"get write access in {db.parent}, then run the scan again."
    )


def _layout(rows: list[tuple], settings: dict[str, str]) -> list[LayoutFinding]:
    """LayoutFindings from the per-(modality, folder) counts of layout_report.sql."""
    findings: dict[str, LayoutFinding] = {}
    for modality, expected, folder, files, not_in_layout in rows:
        finding = findings.setdefault(
            modality,
            LayoutFinding(modality, settings.get(f"layout.{modality}", modality), expected, {}),
        )
        if folder is not None:
            finding.found[folder] = files
            finding.elsewhere[folder] = not_in_layout
    return list(findings.values())


def write_missing(
    db: Path,
    out: str | os.PathLike,
    fmt: str = "csv",
    parts=None,
    modalities=None,
    sources=None,
    downloader: str | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Write the files still to download (assets_missing, one row per file) to `out` as CSV or
    Parquet, with the columns their downloader needs; the folders above `out` are created. `out`
    "-" writes to `stdout` (default: sys.stdout); Parquet only when that is not a terminal.
    Returns the number of rows written."""
    if fmt not in FORMATS:
        raise CatalogError(f"unknown format {fmt!r}. Formats: {', '.join(FORMATS)}.")
    if downloader is not None and downloader not in DOWNLOADERS:
        raise CatalogError(
            f"unknown downloader {downloader!r}. Downloaders: {', '.join(DOWNLOADERS)}."
        )
    scope = _scope(parts, modalities)
    stream = (stdout or sys.stdout) if str(out) == STDOUT else None
    if stream is not None and fmt == "parquet" and stream.isatty():
        raise CatalogError(
            "Parquet is binary, not for a terminal: redirect stdout to a file "
            "(--out - > missing.parquet), or give --out a file name."
        )
    target = None if stream is not None else Path(out).absolute()
    sql = render(
        "catalog",
        "disk/missing.sql.j2",
        columns=DOWNLOAD_COLUMNS[downloader],
        out=str(target) if target else None,
        fmt=fmt,
        text=target is None and fmt == "csv",
    )
    params = {
        **scope,
        "sources": list(sources) if sources else None,
        "downloader": downloader,
        "hugging_face_sources": list(HUGGING_FACE_SOURCES),
    }
    with connect_read_only(db) as con:
        if not _scanned(con, scope):
            raise CatalogError(
                f"{db}: no scan of these parts and modalities yet, so nothing is known to be "
                "missing. Run `emm1 files scan` first."
            )
        from catalog.known import check_sources  # an unknown name: refused with the list

        check_sources(con, sources, scope)
        if target is not None:
            _make_folder(target.parent)
        try:
            if stream is not None:
                return _write_stream(con.sql(sql, params=params), fmt, stream)
            (rows,) = con.execute(sql, params).fetchall()[0]
        except duckdb.Error as e:
            where = "stdout" if stream is not None else str(target)
            raise CatalogError(f"cannot write {where}: {str(e).splitlines()[0]}") from None
    return rows


def _make_folder(folder: Path) -> None:
    """Create `folder` and the folders above it for --out, or say why that cannot be done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CatalogError(
            f"{folder}: cannot create this folder for --out ({e.strerror}). Give --out a path "
            "in a folder you can write to."
        ) from None


def _write_stream(rel: duckdb.DuckDBPyRelation, fmt: str, stream: TextIO) -> int:
    """Stream `rel` to the binary side of `stream` as CSV with a header (`rel` gives text) or
    Parquet (zstd), batch by batch; returns the rows written."""
    reader = rel.to_arrow_reader(BATCH_ROWS)
    stream.flush()
    sink = stream.buffer
    if fmt == "csv":
        options = pyarrow.csv.WriteOptions(include_header=True, quoting_style="needed")
        writer = pyarrow.csv.CSVWriter(sink, reader.schema, write_options=options)
    else:
        writer = pyarrow.parquet.ParquetWriter(sink, reader.schema, compression="zstd")
    rows = 0
    with writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    sink.flush()
    return rows


def _has_scan_tables(con: duckdb.DuckDBPyConnection) -> bool:
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'file_scans'"
    return con.execute(sql).fetchall()[0][0] > 0


def _scanned(con: duckdb.DuckDBPyConnection, scope: dict) -> bool:
    return (
        _has_scan_tables(con) and con.execute(_sql("scanned_scope.sql"), scope).fetchall()[0][0] > 0
    )


def describe_scan(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Lines for `emm1 info`: the last scan's coverage, counting each file once, the files it
    found empty or partly downloaded, and the assets with no safe path."""
    if not _has_scan_tables(con):
        return []
    lines = _scan_summary(con)
    unsafe = con.execute("SELECT count(*) FROM unsafe_assets").fetchall()[0][0]
    if unsafe:
        lines.append(
            f"unsafe       {count(unsafe, 'asset')} {'has' if unsafe == 1 else 'have'} an "
            "absolute or '..' save_folder/file_name and no path (SELECT * FROM unsafe_assets)"
        )
    return lines


def _scan_summary(con: duckdb.DuckDBPyConnection) -> list[str]:
    row = con.execute(_sql("scan_summary.sql")).fetchall()[0]
    scanned_at, root, present, expected, nbytes, incomplete = row
    if scanned_at is None:
        return ["files        not scanned yet (emm1 files scan)"]
    share = 100.0 * present / expected if expected else 0.0
    lines = [
        f"files        {present:,} of {count(expected, 'file')} of the scanned assets on disk "
        f"({share:.1f} %, {human_bytes(nbytes or 0)}; a file two parts share counts once), "
        f"scanned {scanned_at:%Y-%m-%d %H:%M} UTC in {root}"
    ]
    if incomplete:
        lines.append(
            f"incomplete   {count(incomplete, 'file')} empty or partly downloaded, counted as "
            "missing (SELECT * FROM incomplete_files)"
        )
    return lines
