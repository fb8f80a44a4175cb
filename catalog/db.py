"""Where the catalog file is, opening it, and the lock that keeps two writers apart."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

import duckdb

from catalog import leftovers
from catalog.errors import CatalogError, duckdb_message
from catalog.interrupt import interruptible
from catalog.progress import human_bytes

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
    check_duckdb_file(path)
    try:
        con = duckdb.connect(str(path), read_only=True, config=config or {})
    except duckdb.ConnectionException as e:
        if "different configuration" not in str(e):
            raise CatalogError(f"{path}: cannot open the catalog: {duckdb_message(e)}") from None
        raise CatalogError(
            f"{path} is already open in this process with other settings (DuckDB shares one "
            "database per file and process): close that connection first, or query through it."
        ) from None
    except duckdb.Error as e:
        raise CatalogError(f"{path}: cannot open the catalog: {duckdb_message(e)}") from None
    if not first_row(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'catalog_info'")[
        0
    ]:
        con.close()
        raise CatalogError(f"{path} is a DuckDB file but not an emm1 catalog (no catalog_info).")
    from catalog.definitions import SCHEMA_VERSION  # the shape this emm1 reads

    facts = dict(
        con.execute(
            "SELECT key, value FROM catalog_info WHERE key IN ('schema_version', 'data_dir')"
        ).fetchall()
    )
    found = facts.get("schema_version")
    if found != str(SCHEMA_VERSION):
        con.close()
        newer = found is not None and found.isdigit() and int(found) > SCHEMA_VERSION
        raise CatalogError(
            f"{path} was built by {'a newer' if newer else 'an older'} emm1 (catalog schema "
            f"{found or 'unversioned'}, this emm1 reads schema {SCHEMA_VERSION}): rebuild it with "
            f"`emm1 build {facts.get('data_dir') or 'DATA_DIR'} --db {path}`"
            + (" or upgrade emm1." if newer else ".")
        )
    return con


# Files that are often mistaken for the catalog, by their first bytes.
_OTHER_FILES = ((b"PAR1", "a Parquet file"), (b"SQLite format 3\x00", "a SQLite database"))


def check_duckdb_file(path: Path) -> None:
    """A clear error if the file at `path` is not a DuckDB database (its bytes 8-11 are not
    DUCK), checked before DuckDB opens it: DuckDB's own message for a CSV is "Cannot launch
    in-memory database in read-only mode". Nothing happens if there is no file at `path`."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError):
        return
    except OSError as e:
        raise CatalogError(f"{path}: cannot read the catalog file: {e.strerror}.") from None
    if head[8:12] == b"DUCK":
        return
    what = next((name for start, name in _OTHER_FILES if head.startswith(start)), None)
    if what is None and not head:
        what = "an empty file"
    elif what is None:
        text = b"\x00" not in head and head.decode("utf-8", "ignore").isprintable()
        what = "a text file, such as CSV" if text else "binary data of another kind"
    raise CatalogError(
        f"{path} is not a DuckDB catalog ({what}). --db (or EMM1_DB) takes the catalog file "
        "that `emm1 build` writes, e.g. emm1.duckdb."
    )


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple:
    """The first row of a statement's result, with the result fully consumed (DuckDB 2.0 keeps
    a connection busy until its result is finished)."""
    rows = (
        con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    )
    return rows[0]


@contextmanager
def write_lock(path: Path) -> Iterator[Path]:
    """Exclusive right to write `path`, held through a lock file beside it. A second writer
    fails at once with a clear message instead of racing the first.

    Yields the real file (symbolic links resolved): one lock per real file, and the new file
    is written beside it and renamed over it, so a link to the catalog stays a link. What a
    killed writer left beside the file is removed first (catalog.leftovers). The lock file is
    removed when the lock is released (catalog.db._locked says how that stays safe)."""
    real = _real_path(path)
    lock_path = real.with_name(real.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path, lock_path) as lock:
        try:
            lock.write(f"emm1 process {os.getpid()}")
            lock.flush()
            leftovers.remove_stale(real, leftovers.CATALOG)
            yield real
        finally:
            # Unlinked while the lock is still held: a writer that opened this file before
            # the unlink finds, once it holds the lock, that the path names another file (or
            # none), and starts again (see _locked).
            with suppress(OSError):
                lock_path.unlink()


@contextmanager
def _locked(path: Path, lock_path: Path) -> Iterator[IO[str]]:
    """The lock file at `lock_path`, open and exclusively locked (flock). A file whose lock was
    won just after its holder removed it is no longer the one at the path: it is closed and
    the path opened again, so two writers never hold two different lock files of one catalog."""
    while True:
        lock = open(lock_path, "a+")  # closed below, or by the with block
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise CatalogError(
                f"{path} is being written by {holder} (lock file {lock_path}). "
                "Wait for it to finish, then run this again."
            ) from None
        except BaseException:
            lock.close()
            raise
        if _same_file(lock, lock_path):
            break
        lock.close()  # removed by the writer that held it: open the path again
    with lock:
        lock.seek(0)
        lock.truncate()
        yield lock


def _same_file(lock: IO[str], path: Path) -> bool:
    """Whether the open file `lock` is still the file at `path`."""
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(lock.fileno())
    return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)


def _real_path(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError) as e:  # RuntimeError: a loop of symbolic links
        raise CatalogError(
            f"{path}: cannot follow the symbolic link ({e}). Point --db at the catalog file."
        ) from None


@contextmanager
def rewrite(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Change an existing catalog without disturbing anyone reading it.

    Under the write lock, the catalog is copied beside itself, the copy is changed through the
    connection this yields, and the copy is renamed over the original once it is closed
    cleanly. Readers keep the file they opened; new connections see the change. If the block
    fails, the original is untouched and the copy removed; a full disk is a one-line error.
    """
    path = Path(path)
    connect_read_only(path).close()  # a clear error if there is no catalog
    with write_lock(path) as real:
        work = leftovers.work_path(real, "writing")
        spill = Path(f"{work}.tmp")  # DuckDB's own choice, named here to be removed below
        try:
            shutil.copyfile(real, work)
            con = duckdb.connect(str(work), config={"temp_directory": str(spill)})
            with con, interruptible(con):  # a signal stops DuckDB at once (catalog.interrupt)
                yield con
                con.execute("CHECKPOINT")
            os.replace(work, real)
        except Exception as e:
            if not leftovers.is_disk_full(e):
                raise
            raise CatalogError(
                f"no space left on the device of {real.parent}: changing the catalog writes a "
                f"copy of it there first ({human_bytes(real.stat().st_size)}). Free that much "
                f"space, then run this again; {path} was not changed."
            ) from None
        finally:
            for leftover in (work, Path(f"{work}.wal"), spill):
                leftovers.remove(leftover)


# Settings a hardened connection may take before its configuration is locked.
HARDENED_SETTINGS = (
    "memory_limit",
    "threads",
    "temp_directory",
    "enable_progress_bar",
    "enable_progress_bar_print",
)
# Database names DuckDB itself uses; a catalog file named after one is attached as NAME_db.
HARDENED_RESERVED_NAMES = ("memory", "temp", "system", "main")
# The statements SQL on a hardened connection may run, checked before any of them runs. Measured
# on DuckDB 2.0.1: DESCRIBE, SHOW, SUMMARIZE, FROM-first, VALUES, WITH and PIVOT with an IN
# list are SELECT statements (PIVOT without one is MULTI: it creates a type first); USE, RESET
# and SET VARIABLE are SET statements; IMPORT DATABASE and COPY FROM DATABASE are PRAGMA;
# CHECKPOINT is CALL. EXPLAIN is allowed when what it explains is (EXPLAIN ANALYZE runs it).
HARDENED_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.COPY)
HARDENED_ALLOWED = (
    "Only queries run here: SELECT (also WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, "
    "PIVOT with its IN list), EXPLAIN of a query, and COPY ... TO a file under --allow-files DIR"
)


def connect_hardened(
    path: str | os.PathLike,
    allow_dirs: Iterable[str | os.PathLike] = (),
    settings: dict[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the catalog read-only for SQL written by someone else: no file outside
    `allow_dirs` can be read or written (no read_csv, COPY, ATTACH, EXPORT, LOAD), no
    extension is loaded, and the configuration is locked so `SET` cannot undo any of it.
    `settings` (one of HARDENED_SETTINGS each) apply first. Run the SQL statement by statement
    through `hardened_statements`, which refuses ATTACH, DETACH, USE, SET and every other
    statement that is not a query.

    Nothing spills to disk unless `settings` names a temp_directory: DuckDB lets SQL read and
    write its temp directory (measured), so the default (`.tmp` in the working directory) would
    open a folder. DuckDB refuses to COPY over the file of an attached database (the catalog and
    its .wal), even when an allowed folder holds it. A folder is refused if a symbolic link in
    it leads to a folder outside: DuckDB refuses to open files through the link, but glob()
    would list their names.

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
        _check_no_way_out(folder)
    settings = {"memory_limit": default_memory_limit(), "temp_directory": "", **(settings or {})}
    connect_read_only(path).close()  # the same clear errors for a missing or foreign file
    con = duckdb.connect(":memory:", config=HARDENED_CONFIG)
    try:
        name = ident(_database_name(path))
        con.execute(f"ATTACH {literal(str(path))} AS {name} (READ_ONLY)")
        con.execute(f"USE {name}")
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


def _database_name(path: Path) -> str:
    """The file's stem, as a plain connect names the database, or NAME_db for a name DuckDB
    uses itself (the private in-memory database is "memory")."""
    return f"{path.stem}_db" if path.stem.lower() in HARDENED_RESERVED_NAMES else path.stem


def _check_no_way_out(folder: Path) -> None:
    """Refuse `folder` if a symbolic link below it leads to a folder outside it. A walk of the
    folder (about 0.4 s for 300,000 files); nothing is outside the root folder."""
    if folder == Path(folder.anchor):
        return
    for parent, dirs, _ in os.walk(folder):  # links to folders are listed, not followed
        for name in dirs:
            link = Path(parent, name)
            target = link.resolve() if link.is_symlink() else link
            if not target.is_relative_to(folder):
                raise CatalogError(
                    f"{folder} cannot be allowed: {link} is a symbolic link to {target}, "
                    "outside it, so a query could list the files there. Allow a folder "
                    "without such links, or remove the link."
                )


def hardened_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    """The statements of `sql`, once each is known to be one HARDENED_STATEMENTS allows (or
    EXPLAIN of one); otherwise a CatalogError quoting the first refused, before any runs. Run
    them as given (`con.sql(statement)`), never as re-parsed text."""
    statements = con.extract_statements(sql)
    for number, statement in enumerate(statements, 1):
        if not _allowed(con, statement):
            text = " ".join(statement.query.split()).rstrip(";")
            text = text if len(text) <= 60 else text[:57] + "..."
            raise CatalogError(
                f"{text!r} is refused (statement {number} of {len(statements)}), so nothing "
                f"ran. {HARDENED_ALLOWED}."
            )
    return statements


def _allowed(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> bool:
    if statement.type in HARDENED_STATEMENTS:
        return True
    if statement.type != duckdb.StatementType.EXPLAIN:
        return False
    try:
        explained = con.extract_statements(_explained(statement.query))
    except duckdb.Error:
        return False
    return len(explained) == 1 and explained[0].type in HARDENED_STATEMENTS


def _explained(text: str) -> str:
    """What an EXPLAIN statement explains: its text after EXPLAIN and then ANALYZE, VERBOSE or
    a parenthesised list of options. Comments are skipped; anything unexpected leaves text that
    does not parse as one allowed statement, so it is refused."""
    tokens = duckdb.tokenize(text)
    ends = [start for start, _ in tokens[1:]] + [len(text)]
    depth = 0
    for (start, kind), end in list(zip(tokens, ends, strict=True))[1:]:
        word = text[start:end].strip()
        if kind == duckdb.token_type.comment:
            continue
        if depth == 0 and word.upper() not in ("ANALYZE", "ANALYSE", "VERBOSE", "("):
            return text[start:]
        if kind == duckdb.token_type.operator:
            depth += word.count("(") - word.count(")")
    return ""


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
