"""`emm1 files scan` stays inside the asset root and survives whatever is on disk: links out of
the root, links that loop or lead nowhere, names that are not UTF-8, folders it may not read, a
full disk. Each test runs the real command in a subprocess, then checks what it said on stderr
and what it stored in the catalog."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from catalog.progress import human_bytes

OUT = "outside the asset root {root} (--follow-links follows it)"
SKIPPED = "files in them count as missing"
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def _without_read_override() -> None:
    """In the child: give up root's right to read and enter every folder (from the next
    program on), so file modes apply to it as to any other user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(*args, modes_apply: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """`emm1 ARGS` in a subprocess; with `modes_apply`, without root's right to read anything."""
    preexec = _without_read_override if modes_apply and os.geteuid() == 0 else None
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        preexec_fn=preexec,
    )


def scan(db: Path, root: Path | None, *args, **kwargs) -> subprocess.CompletedProcess:
    """`emm1 files scan` of `root`, or of the catalog's asset_root if None."""
    where = ("--root", root) if root is not None else ()
    return run("files", "scan", "--db", db, *where, *args, **kwargs)


def reported(result: subprocess.CompletedProcess) -> list[str]:
    """The lines about what the scan skipped, after checking the scan ended well."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith(("skipped", "warning"))]


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def pick(db: Path, modality: str, save_folder: str, n: int) -> list[str]:
    """The first `n` file names of catalog assets of `modality` in `save_folder`."""
    return [
        name
        for (name,) in rows(
            db,
            "SELECT DISTINCT file_name FROM assets WHERE modality = ? AND save_folder = ? "
            "AND file_path IS NOT NULL ORDER BY file_name LIMIT ?",
            [modality, save_folder, n],
        )
    ]


def stored(db: Path) -> tuple[set[str], int, int]:
    """What the last scan stored: the files it matched (save_folder/folder/file_name), how many
    asset rows they gave, and how many assets file_coverage counts as present."""
    matched = rows(
        db,
        "SELECT a.save_folder || '/' || f.folder || '/' || a.file_name "
        "FROM asset_files AS f JOIN assets AS a USING (part, modality, asset_id)",
    )
    present = rows(db, "SELECT sum(present)::BIGINT FROM file_coverage")[0][0]
    return {path for (path,) in matched}, len(matched), present


def wanted(db: Path, paths: list[str]) -> tuple[set[str], int, int]:
    """What `stored` must give when exactly these files (save_folder/modality/file_name, each
    in its modality's folder) are found: every asset with that save_folder and file_name."""
    n = 0
    for path in paths:
        save_folder, modality, name = path.split("/", 2)
        n += rows(
            db,
            "SELECT count(*) FROM assets WHERE save_folder = ? AND file_name = ? "
            "AND file_path IS NOT NULL",
            [save_folder, name],
        )[0][0]
    return set(paths), n, n


def touch(path: Path, data: bytes = b"x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def site(catalogs, tmp_path) -> tuple[Path, Path]:
    """A private copy of the upstream catalog, and a folder (no links on its path) beside it."""
    base = Path(os.path.realpath(tmp_path))
    db = base / "c.duckdb"
    shutil.copyfile(catalogs["upstream"], db)
    return db, base


def _links_tree(db: Path, base: Path, link_to_slash: bool) -> dict:
    """An asset root with real files, a file and a folder linked inside it, and links that
    lead out of it (a file, a modality folder, a whole save folder, and `/`)."""
    root, outside = base / "root", base / "outside"
    image = pick(db, "image", "shared", 4)
    video = pick(db, "video", "shared", 1)
    only = pick(db, "image", "e-mm1_100m_only", 1)
    touch(root / "shared" / "image" / image[0])
    touch(root / "shared" / "image" / image[1])
    (root / "shared" / "image" / image[2]).symlink_to("/etc/passwd")
    touch(root / "store" / image[3])
    (root / "shared" / "image" / image[3]).symlink_to(Path("..", "..", "store", image[3]))
    touch(outside / "videos" / video[0])
    (root / "shared" / "video").symlink_to(outside / "videos")
    touch(outside / "save" / "image" / only[0])
    (root / "e-mm1_100m_only").symlink_to(outside / "save")
    if link_to_slash:
        (root / "shared" / "image" / "everything").symlink_to("/")
    return {"root": root, "outside": outside, "image": image, "video": video, "only": only}


def test_links_out_of_the_root_are_skipped_and_named(site):
    db, base = site
    t = _links_tree(db, base, link_to_slash=True)
    root, outside, image = t["root"], t["outside"], t["image"]
    out = OUT.format(root=root)
    # a link to / would walk the whole file system: the timeout turns that into a failure
    result = scan(db, root, timeout=60)
    assert reported(result) == [
        f"skipped {root}/e-mm1_100m_only: symbolic link to {outside}/save, {out}",
        f"skipped {root}/shared/image/{image[2]}: symbolic link to /etc/passwd, {out}",
        f"skipped {root}/shared/image/everything: symbolic link to /, {out}",
        f"skipped {root}/shared/video: symbolic link to {outside}/videos, {out}",
        f"warning 4 folders and entries skipped; {SKIPPED}",
    ]
    # the link to /etc/passwd is not a file of the catalog; the link inside the root is
    assert stored(db) == wanted(db, [f"shared/image/{image[i]}" for i in (0, 1, 3)])


def test_follow_links_follows_every_link(site):
    db, base = site
    t = _links_tree(db, base, link_to_slash=False)
    image = t["image"]
    assert reported(scan(db, t["root"], "--follow-links")) == []
    assert stored(db) == wanted(
        db,
        [f"shared/image/{name}" for name in image]
        + [f"shared/video/{t['video'][0]}", f"e-mm1_100m_only/image/{t['only'][0]}"],
    )


def test_a_broken_or_looping_link_is_one_skipped_entry(site):
    db, base = site
    root = base / "root"
    image = root / "shared" / "image"
    names = pick(db, "image", "shared", 3)
    touch(image / names[0])
    touch(image / "sub" / "deeper" / "not_in_catalog.jpg")
    touch(image / names[1])
    (image / names[2]).symlink_to("missing.jpg")  # a catalog name, leading nowhere
    (image / "loop").symlink_to("loop")
    (image / "sub" / "a").symlink_to("b")
    (image / "sub" / "b").symlink_to("a")
    (image / "sub" / "back").symlink_to("..")  # a folder inside the root: listed once, no loop
    assert reported(scan(db, root)) == [
        f"skipped {image}/{names[2]}: broken symbolic link to missing.jpg",
        f"skipped {image}/loop: symbolic link loop",
        f"skipped {image}/sub/a: symbolic link loop",
        f"skipped {image}/sub/b: symbolic link loop",
        f"warning 4 folders and entries skipped; {SKIPPED}",
    ]
    assert stored(db) == wanted(db, [f"shared/image/{names[0]}", f"shared/image/{names[1]}"])


def test_many_skipped_entries_are_counted_beyond_the_first_twenty(site):
    db, base = site
    image = base / "root" / "shared" / "image"
    name = pick(db, "image", "shared", 1)[0]
    touch(image / name)
    for i in range(25):
        (image / f"gone{i:02}.jpg").symlink_to(f"missing{i:02}.jpg")
    assert reported(scan(db, base / "root")) == [
        *(
            f"skipped {image}/gone{i:02}.jpg: broken symbolic link to missing{i:02}.jpg"
            for i in range(20)
        ),
        f"warning 25 folders and entries skipped (5 not shown); {SKIPPED}",
    ]
    assert stored(db) == wanted(db, [f"shared/image/{name}"])


def test_names_that_are_not_utf8_are_skipped_and_named(site):
    db, base = site
    root = base / "root"
    shared = root / "shared"
    names = pick(db, "image", "shared", 2)
    touch(shared / "image" / names[0])
    touch(shared / "image" / os.fsdecode(b"caf\xe9.jpg"))
    touch(shared / "image" / os.fsdecode(b"d\xff") / names[1])
    touch(shared / os.fsdecode(b"\xfe") / names[1])
    assert reported(scan(db, root)) == [
        f"skipped {shared}/\\xfe/: the folder name is not UTF-8, so no file below it matches "
        "a catalog file_name",
        f"skipped {shared}/image/caf\\xe9.jpg: the name is not UTF-8, so it matches no catalog "
        "file_name",
        f"skipped {shared}/image/d\\xff/: the folder name is not UTF-8, so no file below it "
        "matches a catalog file_name",
        f"warning 3 folders and entries skipped; {SKIPPED}",
    ]
    assert stored(db) == wanted(db, [f"shared/image/{names[0]}"])

    # a root whose own path is not UTF-8 cannot be stored; through a UTF-8 link it scans
    odd = base / os.fsdecode(b"r\xffoot")
    touch(odd / "shared" / "image" / names[1])
    refused = scan(db, odd)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"Error: {base}/r\\xffoot: the path is not UTF-8, and the catalog keeps paths as UTF-8 "
        "text. Scan it through a symbolic link with a UTF-8 name (ln -s PATH NAME, then --root "
        "NAME), or rename it.\n"
    )
    assert stored(db) == wanted(db, [f"shared/image/{names[0]}"])
    (base / "linked").symlink_to(odd)
    assert reported(scan(db, base / "linked")) == []
    assert stored(db) == wanted(db, [f"shared/image/{names[1]}"])


@pytest.fixture
def modes_apply(tmp_path) -> None:
    """Skip unless a subprocess can be refused a folder by its mode (tests run as root, who
    reads everything: run() takes that right away from the subprocess)."""
    locked = tmp_path / "probe"
    locked.mkdir(mode=0)
    try:
        probe = run_python(f"import os; os.listdir({str(locked)!r})")
    finally:
        locked.chmod(0o700)
    if probe.returncode == 0:
        pytest.skip("cannot make a folder unreadable to a subprocess on this machine")


def run_python(code: str) -> subprocess.CompletedProcess:
    preexec = _without_read_override if os.geteuid() == 0 else None
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=preexec
    )


def test_unreadable_folders_are_skipped_and_named(site, modes_apply):
    db, base = site
    root = base / "root"
    image = pick(db, "image", "shared", 2)
    video = pick(db, "video", "shared", 1)
    points = pick(db, "points", "shared", 1)
    only = pick(db, "image", "e-mm1_100m_only", 1)
    touch(root / "shared" / "image" / image[0])
    touch(root / "shared" / "image" / "sub" / image[1])
    touch(root / "shared" / "video" / video[0])
    touch(root / "shared" / "points" / points[0])
    touch(root / "e-mm1_100m_only" / "image" / only[0])
    locked = [
        (root / "shared" / "image" / "sub", 0),
        (root / "shared" / "video", 0),
        (root / "shared" / "points", 0o444),  # its names can be read, not its files' sizes
        (root / "e-mm1_100m_only", 0),
    ]
    try:
        for folder, mode in locked:
            folder.chmod(mode)
        result = scan(db, root, modes_apply=True)
    finally:
        for folder, _ in locked:
            folder.chmod(0o755)
    denied = "(Permission denied)"
    assert reported(result) == [
        f"skipped {root}/e-mm1_100m_only/: cannot read this folder {denied}",
        f"skipped {root}/shared/image/sub/: cannot read this folder {denied}",
        f"skipped {root}/shared/points/{points[0]}: cannot read this file's size {denied}",
        f"skipped {root}/shared/video/: cannot read this folder {denied}",
        f"warning 4 folders and entries skipped; {SKIPPED}",
    ]
    assert stored(db) == wanted(db, [f"shared/image/{image[0]}"])


def test_an_unreadable_root_is_an_error_and_changes_nothing(site, modes_apply):
    db, base = site
    root = base / "root"
    name = pick(db, "image", "shared", 1)[0]
    touch(root / "shared" / "image" / name)
    assert reported(scan(db, root)) == []
    assert run("config", "set", "asset_root", root, "--db", db).returncode == 0
    before, earlier = db.read_bytes(), stored(db)
    assert earlier == wanted(db, [f"shared/image/{name}"])
    root.chmod(0)
    try:  # the root the catalog stores (--root is checked by the option itself)
        result = scan(db, None, modes_apply=True)
    finally:
        root.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {root}: cannot read this folder (Permission denied). Scan it as a user who can "
        "read it, or give another folder with --root.\n"
    )
    assert db.read_bytes() == before
    assert stored(db) == earlier


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a folder on a file system of `size` bytes (tmpfs), unmounted afterwards."""
    mounted = []

    def mount(size: int) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        try:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                capture_output=True,
                text=True,
            )
        except FileNotFoundError:
            pytest.skip("no mount command to make a small file system")
        if done.returncode:
            pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=True)


PAGE = 4096


@pytest.mark.parametrize("room", ["nothing", "less than a copy", "a copy, not the changes"])
def test_a_full_disk_is_one_line_and_the_catalog_stays_as_it_was(site, small_disk, room):
    source, base = site
    root = base / "root"
    for name in pick(db=source, modality="image", save_folder="shared", n=5):
        touch(root / "shared" / "image" / name)
    size = source.stat().st_size
    pages = -(-size // PAGE) * PAGE
    free = {"nothing": 0, "less than a copy": pages // 2, "a copy, not the changes": pages + 65536}
    disk = small_disk(pages + free[room])
    db = disk / "c.duckdb"
    shutil.copyfile(source, db)
    before = db.read_bytes()
    result = scan(db, root)
    assert result.returncode == 1
    if room == "nothing":  # the lock file beside the catalog cannot be written
        line = (
            f"Error: {db}: cannot store the scan (No space left on device); the catalog was not "
            f"changed. Make room or get write access in {disk}, then run the scan again."
        )
    else:  # the copy of the catalog, or DuckDB's writes into it, fill the disk
        line = (
            f"Error: no space left on the device of {disk}: changing the catalog writes a copy "
            f"of it there first ({human_bytes(size)}). Free that much space, then run this "
            f"again; {db} was not changed."
        )
    assert result.stderr.splitlines() == [line]
    assert db.read_bytes() == before
    assert sorted(p.name for p in disk.iterdir()) == ["c.duckdb"]
