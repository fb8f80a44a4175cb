"""Temporary files beside a catalog or an export, and what a killed run leaves of them.

A run writes its temporary files beside its target, each named `.<target>.<kind>-<pid>`
(DuckDB adds `.wal` and `.tmp` to a database file's name), and removes them when it ends,
however it ends. A run killed outright (SIGKILL, a crash, a power cut) cannot: the next run for
the same target removes what a process that is gone left there, one line on stderr for each.
Also here: telling a full disk from other failures, so a writer can say so in one line.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
from pathlib import Path

import duckdb

from catalog.errors import CatalogError

# Temporary files by kind, with the command that writes them (for the message).
CATALOG = {"building": "build", "spill": "build", "writing": "config set or files scan"}
EXPORT = {"exporting": "export", "spill": "export", "replaced": "export"}


def work_path(target: Path, kind: str) -> Path:
    """Where this process keeps its temporary `kind` for `target`."""
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}")


def remove(path: Path) -> None:
    """Remove a temporary file or folder if it is there. A failure to clean up is ignored, so
    it never hides the error being raised."""
    try:
        _delete(path)
    except OSError:  # FileNotFoundError included: already gone
        pass


def remove_stale(target: Path, kinds: dict[str, str]) -> list[str]:
    """Remove the temporary files of `kinds` beside `target` whose process is gone, saying so on
    stderr; returns the names removed. A live process's files are never touched."""
    names = "|".join(map(re.escape, kinds))
    pattern = re.compile(rf"\.{re.escape(target.name)}\.({names})-(\d+)(\.wal|\.tmp)?")
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return []  # no folder yet, so nothing left in it
    removed = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or _alive(int(match[2])):
            continue
        what = f"{entry.name} left by a stopped {kinds[match[1]]} (process {match[2]} is gone)"
        try:
            _delete(entry)
        except FileNotFoundError:
            continue  # another run removed it first
        except OSError as e:
            print(f"could not remove {what}: {e.strerror}; remove it yourself", file=sys.stderr)
            continue
        print(f"removed {what}", file=sys.stderr)
        removed.append(entry.name)
    return removed


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _alive(pid: int) -> bool:
    """Whether process `pid` may still be writing. This process's own number counts as gone:
    whatever carries it was left by an earlier process with the same number."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the disk is full: an OSError, or
    DuckDB failing to write a file."""
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if isinstance(error, _WRITE_ERRORS) and os.strerror(errno.ENOSPC) in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


# What DuckDB raises when a write fails: on a file, at commit, at checkpoint.
_WRITE_ERRORS = (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException)


def no_room_for_lock(db: Path) -> CatalogError:
    """The error for a disk too full to hold even the lock file beside the catalog."""
    return CatalogError(
        f"no space left on the device of {db.resolve().parent}, not even for the lock file "
        f"beside the catalog: free some space there, then run this again; {db} was not changed."
    )
