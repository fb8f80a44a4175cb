"""`emm1 export`: a template's rows or a filtered view, streamed by DuckDB COPY into Parquet,
CSV or JSON lines, with a `_manifest.json` that lets a training run cite its slice.

The export is written into a folder beside the target (`.<name>.exporting-<pid>`) and renamed
into place only when complete, so a failed or interrupted export leaves nothing at the target.
The COPY runs on a hardened connection (read-only, no file access outside that folder, locked
configuration) with a memory limit; beyond it DuckDB spills to `.<name>.spill-<pid>`, which is
removed afterwards.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet

from catalog import __version__
from catalog.db import checked_view, connect_hardened
from catalog.errors import CatalogError
from catalog.progress import Progress
from catalog.sqltext import ident, literal
from catalog.templates import prepare

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "json"}  # ours -> DuckDB's
COMPRESSIONS = ("zstd", "snappy", "none")
MANIFEST = "_manifest.json"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update({"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40})


@dataclass
class ExportReport:
    out: Path
    rows: int
    files: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    manifest: dict = field(default_factory=dict)


def parse_size(text: str | int) -> int:
    """'512MB' -> 512000000 bytes; '1GiB' -> 1073741824; a bare number is bytes."""
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(text)
    if not match:
        raise CatalogError(f"{text!r} is not a size. Write it like 512MB, 2GB or 1GiB.")
    return int(float(match[1]) * _UNITS[(match[2] or "b").lower()])


def export_slice(
    db: str | os.PathLike,
    out: str | os.PathLike,
    *,
    template: str | None = None,
    params: dict | None = None,
    view: str | None = None,
    where: str | None = None,
    fmt: str = "parquet",
    partition_by: tuple[str, ...] | list[str] = (),
    compression: str | None = None,
    row_group_size: int | None = None,
    max_file_size: str | int | None = None,
    overwrite: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export template `template` with `params`, or view `view` filtered by the SQL expression
    `where`, into the folder `out`. Returns what was written; `out/_manifest.json` says the same."""
    started = time.perf_counter()
    progress = progress or Progress(enabled=False)
    if (template is None) == (view is None):
        raise CatalogError("export needs a template NAME or --view VIEW, and not both.")
    if where is not None and view is None:
        raise CatalogError(
            "--where filters a --view; a template takes its filters as -p NAME VALUE."
        )
    if fmt not in FORMATS:
        raise CatalogError(f"{fmt!r} is not an export format. Formats: {', '.join(FORMATS)}.")
    compression = compression or ("zstd" if fmt == "parquet" else "none")
    if compression not in COMPRESSIONS or (compression == "snappy" and fmt != "parquet"):
        allowed = COMPRESSIONS if fmt == "parquet" else ("zstd", "none")
        raise CatalogError(
            f"{compression!r} is not a compression for {fmt}. Compressions: {', '.join(allowed)}."
        )
    file_size = parse_size(max_file_size) if max_file_size is not None else None
    out = Path(out).absolute()
    _check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    work = out.with_name(f".{out.name}.exporting-{os.getpid()}")
    spill = out.with_name(f".{out.name}.spill-{os.getpid()}")
    work.mkdir()
    data = work / "slice"  # the only folder the export connection may write is `work`
    try:
        settings = {
            "temp_directory": str(spill),
            # Progress is polled by _watch and printed our way, never by DuckDB itself.
            "enable_progress_bar": progress.enabled,
            "enable_progress_bar_print": False,
        }
        if memory_limit:  # otherwise connect_hardened's default: half of this machine's memory
            settings["memory_limit"] = memory_limit
        if threads:
            settings["threads"] = int(threads)
        with connect_hardened(db, allow_dirs=[work], settings=settings) as con:
            sql, bound, query, source = _source(con, template, params, view, where)
            columns = _columns(con, sql, bound)
            for col in partition_by:
                if col not in columns:
                    raise CatalogError(
                        f"cannot partition by {col!r}: not a column of the result. "
                        f"Columns: {', '.join(columns)}."
                    )
            rows = _copy(
                con,
                sql,
                bound,
                data,
                fmt,
                compression,
                partition_by,
                row_group_size,
                file_size,
                progress,
                f"exporting to {out}",
            )
            facts = dict(con.execute("SELECT key, value FROM catalog_info ORDER BY key").fetchall())
            settings_now = dict(
                con.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
            )
        files = _files(data, fmt)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "exported_by": f"emm1 {__version__}, duckdb {duckdb.__version__}",
            **source,
            "query": query,
            "format": fmt,
            "compression": compression,
            "partition_by": list(partition_by),
            "row_group_size": row_group_size,
            "max_file_size_bytes": file_size,
            "rows": rows,
            "columns": [{"name": name, "type": kind} for name, kind in columns.items()],
            "files": files,
            "catalog": {"path": str(Path(db).absolute()), **facts, "settings": settings_now},
        }
        (data / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _swap(data, out)
        work.rmdir()
    except BaseException:
        _discard(work)
        raise
    finally:
        _discard(spill)
    return ExportReport(out, rows, files, time.perf_counter() - started, manifest)


def _check_target(out: Path, overwrite: bool) -> None:
    if not out.exists():
        return
    if not overwrite:
        raise CatalogError(
            f"{out} already exists. Use --overwrite to replace it, or choose another --out."
        )
    if not (out.is_dir() and ((out / MANIFEST).is_file() or not any(out.iterdir()))):
        raise CatalogError(
            f"{out} is not an earlier export (no {MANIFEST}); refusing to replace it. "
            "Choose another --out."
        )


def _discard(path: Path) -> None:
    """Remove a temporary folder; a failure to clean up never hides the error being raised."""
    try:
        shutil.rmtree(path)
    except OSError:
        pass


def _remove_stale(out: Path) -> None:
    """Folders left by exports to the same target whose process is gone (killed)."""
    for leftover in out.parent.glob(f".{out.name}.exporting-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            _discard(leftover)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _source(con, template, params, view, where):
    """(sql, bound values, runnable query text, what the manifest says the slice is)."""
    if template is not None:
        t, values, sql, bound = prepare(template, params or {})
        shown = {
            p.name: None if values[p.name] is None else p.show(values[p.name]) for p in t.params
        }
        return sql, bound, t.render(values, "inline")[0], {"template": t.name, "parameters": shown}
    sql = _view_query(con, view, where)
    return sql, {}, sql, {"view": view, "where": where}


def _view_query(con: duckdb.DuckDBPyConnection, view: str, where: str | None) -> str:
    rel = con.table(checked_view(con, view))
    if where is None:
        return rel.sql_query()
    try:
        # DuckDB parses `where` as one expression: it cannot close the query or add statements.
        return rel.filter(where).sql_query()
    except duckdb.Error as e:
        raise CatalogError(f"--where {where!r} is not a valid filter: {_first_line(e)}") from None


def _columns(con, sql: str, bound: dict) -> dict[str, str]:
    try:
        cur = con.execute(f"DESCRIBE {sql}", bound or None)
        return {name: kind for name, kind, *_ in cur.fetchall()}
    except duckdb.Error as e:
        raise CatalogError(f"the export query failed: {_first_line(e)}") from None


def _copy(
    con,
    sql,
    bound,
    data: Path,
    fmt,
    compression,
    partition_by,
    row_group_size,
    file_size,
    progress: Progress,
    label: str,
) -> int:
    ext = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}[fmt]
    if compression == "zstd" and fmt != "parquet":
        ext += ".zst"
    codec = {"none": "uncompressed" if fmt == "parquet" else "none"}.get(compression, compression)
    options = [f"FORMAT {FORMATS[fmt]}", f"COMPRESSION {codec}"]
    if row_group_size and fmt == "parquet":
        options.append(f"ROW_GROUP_SIZE {int(row_group_size)}")
    if partition_by or file_size:
        target = data
        options += ["FILENAME_PATTERN 'data_{i}'", f"FILE_EXTENSION {literal(ext[1:])}"]
        if partition_by:
            options.append(f"PARTITION_BY ({', '.join(ident(c) for c in partition_by)})")
        if file_size:
            options.append(f"FILE_SIZE_BYTES {int(file_size)}")
    else:
        data.mkdir()
        target = data / f"data_0{ext}"
    copy = f"COPY ({sql}) TO {literal(str(target))} ({', '.join(options)})"
    progress.start(label)
    rows = _run_interruptibly(con, copy, bound, progress, label)
    progress.done(f"{rows:,} rows")
    return rows


def _run_interruptibly(con, copy: str, bound: dict, progress: Progress, label: str) -> int:
    """Run COPY here while a watcher thread reports progress and, on Ctrl-C or SIGTERM,
    interrupts DuckDB at once (a Python signal handler alone runs late, when DuckDB next checks
    for signals). The watcher learns of a signal through signal.set_wakeup_fd, which the C-level
    handler writes to immediately; that works only when called from the main thread. Once COPY
    has stopped, the signal's own handler is run, so Ctrl-C is KeyboardInterrupt as usual."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.set_wakeup_fd(wake_w) if in_main else None
    done = threading.Event()
    received: list[int] = []
    watcher = threading.Thread(
        target=_watch, args=(con, wake_r, done, received, progress, label), daemon=True
    )
    watcher.start()
    error: Exception | None = None
    try:
        rows = con.execute(copy, bound or None).fetchall()[0][0]
    except (duckdb.Error, RuntimeError) as e:  # RuntimeError: DuckDB saw the signal itself
        error = e
    finally:
        done.set()
        os.write(wake_w, b"\0")  # wakes the watcher; signal numbers are never 0
        watcher.join()
        if in_main:
            signal.set_wakeup_fd(previous)
        os.close(wake_r)
        os.close(wake_w)
    if received:
        handler = signal.getsignal(received[0])
        if callable(handler):
            handler(received[0], None)
        raise KeyboardInterrupt(f"export stopped by signal {received[0]}")
    if isinstance(error, duckdb.Error):
        raise CatalogError(
            f"the export failed: {_first_line(error)}. Nothing was written to the target."
        ) from None
    if error is not None:
        raise error
    return rows


def _watch(con, wake_r: int, done, received: list, progress: Progress, label: str) -> None:
    while not done.is_set():
        ready, _, _ = select.select([wake_r], [], [], 0.5)
        signums = [b for b in os.read(wake_r, 64) if b] if ready else []
        if signums:
            received.append(signums[0])
            con.interrupt()
            return
        if progress.enabled and not done.is_set():
            pct = con.query_progress()
            if pct >= 0:
                progress.stream.write(f"\r{label} ... {pct:3.0f}%")
                progress.stream.flush()
    if progress.enabled:
        progress.stream.write(f"\r{label} ...")


def _files(work: Path, fmt: str) -> list[dict]:
    files = []
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        entry = {"path": path.relative_to(work).as_posix(), "bytes": path.stat().st_size}
        if fmt == "parquet":
            entry["rows"] = pyarrow.parquet.read_metadata(path).num_rows
        files.append(entry)
    return files


def _swap(data: Path, out: Path) -> None:
    """Put the finished export at `out`; an earlier export there is replaced."""
    if out.exists():
        old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
        os.rename(out, old)
        os.rename(data, out)
        _discard(old)
    else:
        os.rename(data, out)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
