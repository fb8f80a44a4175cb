"""A failed or killed `emm1 build`, `emm1 config set` or `emm1 export` leaves the catalog exactly
as it was; whatever a killed run leaves beside it, the next run removes and names on stderr.

Real processes throughout, signalled for real while they write (SIGKILL, SIGTERM, SIGHUP,
Ctrl-C); a full disk is a real, small filesystem (a tmpfs mounted for the test).
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import WAIT, emm1, finish, wait_for

from catalog.build import build_catalog
from catalog.progress import human_bytes
from catalog.sample import generate_sample

SPILLING_BUILD = ("--memory-limit", "50MB", "-q")  # the big sample's build spills beyond this
SPILLING_EXPORT = ("--memory-limit", "100MB", "--threads", "1", "-q")


def kill(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=WAIT)  # reaped: its number is free, as after any real kill


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def removed(names: list[str], pid: int, command: str) -> list[str]:
    return [
        f"removed {name} left by a stopped {command} (process {pid} is gone)"
        for name in sorted(names)
    ]


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory) -> Path:
    """Large enough that a build takes a few seconds: time to catch it mid-way."""
    out = tmp_path_factory.mktemp("big") / "data"
    generate_sample(out, captions=20000, seed=5)
    return out


@pytest.fixture(scope="module")
def big_catalog(big_sample, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big-catalog") / "emm1.duckdb"
    build_catalog(big_sample, path, asset_root="/assets")
    return path


@pytest.fixture
def target(db, tmp_path) -> Path:
    """A catalog of its own in an empty folder, for the test to rebuild or change."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copyfile(db, folder / "emm1.duckdb")
    return folder / "emm1.duckdb"


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) puts a real filesystem of `size` bytes (tmpfs) at tmp_path/disk; remount(size)
    gives it more room. Needs the right to mount (root)."""
    disk = tmp_path / "disk"
    disk.mkdir()

    def mount(size: int, *options: str) -> Path:
        command = ["mount", "-t", "tmpfs", "-o", ",".join([*options, f"size={size}"])]
        done = subprocess.run([*command, "tmpfs", str(disk)], capture_output=True, text=True)
        if done.returncode != 0 and not options:
            pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip()}")
        assert done.returncode == 0, done.stderr
        return disk

    mount.remount = lambda size: mount(size, "remount")
    yield mount
    if disk.is_mount():
        subprocess.run(["umount", str(disk)], check=True)


def test_a_build_killed_outright_changes_nothing_and_the_next_build_removes_its_files(
    big_sample, samples, target
):
    """Killed while DuckDB loads the files: its copy, the copy's WAL and, if it has spilled
    by then (a 50MB limit makes it likely, not certain), its spill folder stay behind."""
    folder, before = target.parent, sha256(target)
    build = emm1("build", big_sample, "--db", target, *SPILLING_BUILD)
    work = folder / f".emm1.duckdb.building-{build.pid}"
    wait_for(Path(f"{work}.wal").exists, "the build to write its first rows", build)
    kill(build)
    left = [
        p.name for p in folder.iterdir() if p.name.endswith(f"-{build.pid}") or ".wal" in p.name
    ]
    assert {work.name, f"{work.name}.wal"} <= set(left) <= {
        work.name, f"{work.name}.wal", f".emm1.duckdb.spill-{build.pid}"
    }  # fmt: skip
    assert listing(folder) == sorted(["emm1.duckdb", "emm1.duckdb.lock", *left])
    assert sha256(target) == before

    code, err = finish(emm1("build", samples["legacy"], "--db", target, "-q"))
    assert code == 0, err
    assert err.splitlines()[: len(left)] == removed(left, build.pid, "build")
    assert err.splitlines()[len(left)].startswith(f"built {target}: ")
    assert listing(folder) == ["emm1.duckdb"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_or_kill_stops_a_build_at_once_and_leaves_nothing(big_sample, target, signum):
    """Sent while DuckDB loads the files, which it notices only if interrupted."""
    folder, before = target.parent, sha256(target)
    build = emm1("build", big_sample, "--db", target, *SPILLING_BUILD)
    wal = folder / f".emm1.duckdb.building-{build.pid}.wal"
    wait_for(wal.exists, "the build to write its first rows", build)
    build.send_signal(signum)
    assert finish(build) == (128 + signum, f"build interrupted: nothing was changed at {target}\n")
    assert sha256(target) == before
    assert listing(folder) == ["emm1.duckdb"]


def _caught_writing(target: Path, signum: int) -> tuple[subprocess.Popen, list[str]]:
    """Start `emm1 config set` and signal it as soon as its copy of the catalog appears (the
    copy lives some 50 ms); tries again if the copy came and went between two looks."""
    for n in range(20):
        proc = emm1("config", "set", "asset_root", f"/killed-{n}", "--db", target)
        work = target.with_name(f".{target.name}.writing-{proc.pid}")
        while not work.exists() and proc.poll() is None:
            time.sleep(0.0002)
        if proc.poll() is None:
            proc.send_signal(signum)
            proc.wait(timeout=WAIT)
            left = [p.name for p in target.parent.iterdir() if p.name.startswith(work.name)]
            return proc, left
        proc.wait(timeout=WAIT)
    raise AssertionError("config set always finished before its copy was seen")


def test_a_settings_change_killed_outright_changes_nothing_and_the_next_removes_its_copy(
    big_catalog, tmp_path
):
    target = tmp_path / "emm1.duckdb"
    shutil.copyfile(big_catalog, target)
    before = sha256(target)
    proc, left = _caught_writing(target, signal.SIGKILL)
    assert f".emm1.duckdb.writing-{proc.pid}" in left
    assert listing(tmp_path) == sorted(["emm1.duckdb", "emm1.duckdb.lock", *left])
    assert sha256(target) == before

    code, err = finish(emm1("config", "set", "asset_root", "/next", "--db", target))
    assert code == 0, err
    command = "config set or files scan"
    assert err.splitlines() == [*removed(left, proc.pid, command), "asset_root = /next"]
    assert listing(tmp_path) == ["emm1.duckdb"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_kill_stops_a_settings_change_and_leaves_nothing(big_catalog, tmp_path, signum):
    target = tmp_path / "emm1.duckdb"
    shutil.copyfile(big_catalog, target)
    before = sha256(target)
    proc, left = _caught_writing(target, signum)
    assert left == []
    assert (proc.returncode, proc.stderr.read()) == (
        128 + signum,
        f"config set interrupted: nothing was changed at {target}\n",
    )
    assert sha256(target) == before
    assert listing(tmp_path) == ["emm1.duckdb"]


def test_a_spilling_export_killed_outright_leaves_no_target_and_the_next_removes_its_folders(
    big_catalog, tmp_path
):
    before = sha256(big_catalog)
    out = tmp_path / "slice"
    export = ("export", "--view", "nn_groups_resolved", "--db", big_catalog, "--out", out)
    proc = emm1(*export, *SPILLING_EXPORT)
    work, spill = (tmp_path / f".slice.{kind}-{proc.pid}" for kind in ("exporting", "spill"))
    wait_for(spill.exists, "the export to spill to disk", proc)
    kill(proc)
    assert listing(tmp_path) == sorted([work.name, spill.name])

    code, err = finish(emm1(*export, *SPILLING_EXPORT))
    assert code == 0, err
    assert err.splitlines()[:2] == removed([work.name, spill.name], proc.pid, "export")
    assert err.splitlines()[2].startswith(f"exported 320,000 rows to {out}: ")
    assert listing(tmp_path) == ["slice", "slice.manifest.json"]
    assert sha256(big_catalog) == before


# Takes the write lock of argv[1] argv[3] times; inside it, creates argv[2] exclusively (which
# fails if another process is inside too) and removes it again.
LOCK_TAKER = """
import os, sys, time
from pathlib import Path
from catalog.db import write_lock
from catalog.errors import CatalogError

db, inside, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
held = 0
while held < rounds:
    try:
        with write_lock(db):
            os.close(os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            time.sleep(0.0005)
            os.unlink(inside)
            held += 1
    except CatalogError:
        time.sleep(0.0005)  # another process holds the lock: try again
"""


def test_the_lock_file_is_removed_after_each_writer_and_still_keeps_writers_apart(db, tmp_path):
    """Writers remove the lock file as they release it; processes racing for the lock meanwhile
    never hold it together (each writer is alone inside)."""
    target = tmp_path / "emm1.duckdb"
    shutil.copyfile(db, target)
    assert finish(emm1("config", "set", "asset_root", "/one", "--db", target)) == (
        0,
        "asset_root = /one\n",
    )
    assert listing(tmp_path) == ["emm1.duckdb"]

    inside = tmp_path / "inside"
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", LOCK_TAKER, str(target), str(inside), "150"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=WAIT), p.stderr.read()) for p in takers]
    assert results == [(0, "")] * 4
    assert listing(tmp_path) == ["emm1.duckdb"]


def test_a_live_process_s_files_are_never_removed(big_catalog, tmp_path):
    """Two exports to one target at once: the second leaves the first's folders alone."""
    out = tmp_path / "slice"
    export = ("export", "--view", "nn_groups_resolved", "--db", big_catalog, "--out", out)
    first = emm1(*export, *SPILLING_EXPORT)
    spill = tmp_path / f".slice.spill-{first.pid}"
    wait_for(spill.exists, "the first export to spill to disk", first)
    second = emm1("export", "--view", "captions", "--db", big_catalog, "--out", out, "-q")
    code, err = finish(second)
    assert code == 0 and err.startswith(f"exported 21,298 rows to {out}: "), err
    assert spill.exists() and (tmp_path / f".slice.exporting-{first.pid}").exists()
    kill(first)


def no_room_for_lock(disk: Path, target: Path) -> str:
    return (
        f"Error: no space left on the device of {disk}, not even for the lock file beside the "
        f"catalog: free some space there, then run this again; {target} was not changed.\n"
    )


def on_small_disk(small_disk, db: Path, room: int) -> Path:
    """A copy of `db` on a disk with `room` bytes free beside it."""
    pages = -(-db.stat().st_size // 4096) * 4096
    disk = small_disk(pages + room)
    shutil.copyfile(db, disk / "emm1.duckdb")
    return disk / "emm1.duckdb"


# Full while loading the files, at the final checkpoint, or at once (the lock file).
@pytest.mark.parametrize("room", [2**16, 2**20, 0])
def test_a_build_that_fills_the_disk_says_so_in_one_line_and_changes_nothing(
    db, samples, small_disk, room
):
    target = on_small_disk(small_disk, db, room)
    disk, before = target.parent, sha256(target)
    code, err = finish(emm1("build", samples["upstream"], "--db", target, "-q"))
    assert code == 1
    if room == 0:
        assert err == no_room_for_lock(disk, target)
    else:
        assert err.startswith(f"Error: no space left on the device of {disk} after writing ")
        assert err.endswith(
            "of the new catalog there: free some space (a build needs about twice the "
            f"catalog's size) or build elsewhere with --db, then run this again; {target} was "
            "not changed.\n"
        )
        assert err.count("\n") == 1
    assert sha256(target) == before
    assert listing(disk) == ["emm1.duckdb"]

    small_disk.remount(3 * db.stat().st_size)
    code, err = finish(emm1("build", samples["upstream"], "--db", target, "-q"))
    assert code == 0, err
    assert listing(disk) == ["emm1.duckdb"]


@pytest.mark.parametrize("room", [2**20, 0])  # not room for a copy of the catalog; for nothing
def test_a_settings_change_that_fills_the_disk_says_so_in_one_line_and_changes_nothing(
    db, small_disk, room
):
    target = on_small_disk(small_disk, db, room)
    disk, before = target.parent, sha256(target)
    assert finish(emm1("config", "set", "asset_root", "/full", "--db", target)) == (
        1,
        no_room_for_lock(disk, target)
        if room == 0
        else f"Error: no space left on the device of {disk}: changing the catalog writes a copy "
        f"of it there first ({human_bytes(db.stat().st_size)}). Free that much space, then "
        f"run this again; {target} was not changed.\n",
    )
    assert sha256(target) == before
    assert listing(disk) == ["emm1.duckdb"]

    small_disk.remount(3 * db.stat().st_size)
    assert finish(emm1("config", "set", "asset_root", "/full", "--db", target)) == (
        0,
        "asset_root = /full\n",
    )
    assert listing(disk) == ["emm1.duckdb"]
