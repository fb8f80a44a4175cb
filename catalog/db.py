"""Where the catalog file is, opening it, and the lock that keeps two writers apart."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from catalog.errors import CatalogError

DEFAULT_DB = "emm1.duckdb"
# DuckDB 1.1 and later (and the BI drivers that embed them) can open files written this way.
DEFAULT_STORAGE_VERSION = "v1.1.0"
# Set when a hardened connection opens the file: nothing may be fetched or loaded later.
HARDENED_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}


def db_path(flag: str | os.PathLike | None = None) -> Path:
    """The catalog path: the explicit flag, else $EMM1_DB, else ./emm1.duckdb."""
    return Path(flag or os.environ.get("EMM1_DB") or DEFAULT_DB).absolute()


def connect_read_only(
    path: str | os.PathLike, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """Open an existing catalog for reading; many processes may do this at once. `config` is
    passed to DuckDB as it opens the file."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(
            f"{path}: no catalog there. Build one with `emm1 build DATA_DIR "
            f"--db {path}` (or set EMM1_DB to the catalog you have)."
        )
    try:
        con = duckdb.connect(str(path), read_only=True, config=config or {})
    except duckdb.ConnectionException as e:
        if "different configuration" not in str(e):
            raise CatalogError(f"{path}: cannot open the catalog: {_first_line(e)}") from None
        raise CatalogError(
            f"{path} is already open in this process with other settings (DuckDB shares one "
            "database per file and process): close that connection first, or query through it."
        ) from None
    except duckdb.Error as e:
        raise CatalogError(f"{path}: cannot open the catalog: {_first_line(e)}") from None
    if not first_row(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'catalog_info'")[
        0
    ]:
        con.close()
        raise CatalogError(f"{path} is a DuckDB file but not an emm1 catalog (no catalog_info).")
    return con


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple:
    """The first row of a statement's result, with the result fully consumed (DuckDB 2.0 keeps
    a connection busy until its result is finished)."""
    rows = (
        con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    )
    return rows[0]


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Exclusive right to write `path`, held through a lock file beside it. A second writer
    fails at once with a clear message instead of racing the first."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise CatalogError(
                f"{path} is being written by {holder} (lock file {lock_path}). "
                "Wait for it to finish, then run this again."
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"emm1 process {os.getpid()}")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def rewrite(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Change an existing catalog without disturbing anyone reading it.

    Under the write lock, the catalog is copied beside itself, the copy is changed through the
    connection this yields, and the copy is renamed over the original once it is closed
    cleanly. Readers keep the file they opened; new connections see the change. If the block
    fails, the original is untouched.
    """
    path = Path(path)
    connect_read_only(path).close()  # a clear error if there is no catalog
    with write_lock(path):
        work = path.with_name(f".{path.name}.writing-{os.getpid()}")
        try:
            shutil.copyfile(path, work)
            with duckdb.connect(str(work)) as con:
                yield con
                con.execute("CHECKPOINT")
            os.replace(work, path)
        finally:
            for leftover in (work, Path(str(work) + ".wal")):
                leftover.unlink(missing_ok=True)


# Settings a hardened connection may take before its configuration is locked.
HARDENED_SETTINGS = (
    "memory_limit",
    "threads",
    "temp_directory",
    "enable_progress_bar",
    "enable_progress_bar_print",
)


def connect_hardened(
    path: str | os.PathLike,
    allow_dirs: Iterable[str | os.PathLike] = (),
    settings: dict[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the catalog read-only for SQL written by someone else: no file outside
    `allow_dirs` can be read or written (no read_csv, COPY, ATTACH, EXPORT, LOAD), no
    extension is loaded, and the configuration is locked so `SET` cannot undo any of it.
    `settings` (one of HARDENED_SETTINGS each) apply first.

    The catalog is attached READ_ONLY to a private in-memory database (named after the file,
    as a plain connect would) rather than opened with duckdb.connect(path): within one process
    DuckDB shares one instance per file, so locking that instance would also lock every other
    connection the process has to the catalog."""
    from catalog.build import default_memory_limit  # build imports this module
    from catalog.sqltext import ident, literal

    path = Path(path).absolute()
    folders = [Path(d).resolve() for d in allow_dirs]
    for folder in folders:
        if not folder.is_dir():
            raise CatalogError(f"{folder}: no such folder to allow. Create it first.")
    settings = {"memory_limit": default_memory_limit(), **(settings or {})}
    connect_read_only(path).close()  # the same clear errors for a missing or foreign file
    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        con.execute(f"ATTACH {literal(str(path))} AS {ident(path.stem)} (READ_ONLY)")
        con.execute(f"USE {ident(path.stem)}")
        for key, value in settings.items():
            if key not in HARDENED_SETTINGS:
                raise ValueError(f"{key} is not one of {HARDENED_SETTINGS}")
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int):
                value = str(value)
            else:
                value = literal(str(value))
            con.execute(f"SET {key} = {value}")
        dirs = [literal(str(folder)) for folder in folders]
        if dirs:
            con.execute(f"SET allowed_directories = [{', '.join(dirs)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def view_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The catalog's views, sorted."""
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
    ).fetchall()
    return [r[0] for r in rows]


def checked_view(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """`name` if it is a view of the catalog; otherwise an error that lists the views."""
    views = view_names(con)
    if name not in views:
        raise CatalogError(f"no view {name!r} in the catalog. Views: {', '.join(views)}.")
    return name
