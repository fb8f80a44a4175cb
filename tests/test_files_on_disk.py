"""Files on disk counted as a user counts them: a file two parts share is one file, to download
once; files split between two folders, empty files and partial downloads are reported, not
counted as present; `emm1 files missing --out` creates its folders and writes to stdout."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import expected
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.config import set_setting
from catalog.progress import human_bytes


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def emm1(*args, stdout=subprocess.PIPE, **kwargs) -> subprocess.CompletedProcess:
    """`emm1 ARGS` in a subprocess; stdout and stderr as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        **kwargs,
    )


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def put(root: Path, asset: dict, folder: str | None = None, suffix="", size=None) -> Path:
    path = (
        root / asset["save_folder"] / (folder or asset["modality"]) / (asset["file_name"] + suffix)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * (asset["asset_id"] % 5 + 1 if size is None else size))
    return path


def where(root: Path, asset: dict) -> str:
    return f"{root}/{asset['save_folder']}/{asset['modality']}/{asset['file_name']}"


@pytest.fixture
def site(catalogs, samples, tmp_path):
    """A copy of the upstream catalog whose asset root is an empty folder, and its assets."""
    db, root = tmp_path / "c.duckdb", tmp_path / "root"
    shutil.copyfile(catalogs["upstream"], db)
    root.mkdir()
    set_setting(db, "asset_root", str(root))
    return db, root, expected.assets(samples["upstream"])


def test_a_file_two_parts_share_is_one_row_to_download_and_counted_once(site, tmp_path):
    db, root, assets = site
    # every image of save folder `shared` is on disk, nothing else
    images = [a for a in assets if a["modality"] == "image" and a["save_folder"] == "shared"]
    on_disk = {where(root, a): put(root, a).stat().st_size for a in images}
    assert len(on_disk) < len(images)  # E-MM1:100M and E-MM1:1M share some of these files
    assert run("files", "scan", "--db", db).exit_code == 0

    out = tmp_path / "youtube.csv"
    result = run("files", "missing", "--db", db, "--downloader", "youtube", "--out", out)
    assert result.exit_code == 0, result.stderr
    with open(out, newline="") as f:
        listed = [r["file_path"] for r in csv.DictReader(f)]
    clips = [where(root, a) for a in assets if a.get("youtube_id")]
    assert len(set(clips)) < len(clips)
    assert sorted(listed) == sorted(set(clips))
    assert result.stderr == f"wrote {len(set(clips)):,} missing files to {out}\n"

    info = run("info", "--db", db).stdout
    files = {where(root, a) for a in assets}
    share = 100 * len(on_disk) / len(files)
    assert (
        f"files        {len(on_disk):,} of {len(files):,} files of the scanned assets on disk "
        f"({share:.1f} %, {human_bytes(sum(on_disk.values()))}; a file two parts share counts "
        "once), scanned "
    ) in info


@pytest.mark.parametrize("most_in", ["audio", "video"])
def test_audio_split_between_two_folders_is_reported_with_the_fix(site, most_in):
    db, root, assets = site
    audio = [a for a in assets if a["modality"] == "audio" and a["part"] != "eshot"]
    files = sorted({(a["save_folder"], a["file_name"]) for a in audio})
    other = "video" if most_in == "audio" else "audio"
    placed = {f: other if n % 3 == 0 else most_in for n, f in enumerate(files)}
    for a in audio:
        put(root, a, placed[a["save_folder"], a["file_name"]])
    counts = {folder: sum(f == folder for f in placed.values()) for folder in ("audio", "video")}
    result = run(
        "files",
        "scan",
        "--db",
        db,
        "--modality",
        "audio",
        "--part",
        "e-mm1_100m",
        "--part",
        "e-mm1_1m",
    )
    assert result.exit_code == 0, result.stderr
    head = (
        f"layout  audio: {len(files):,} files; found in audio/: {counts['audio']:,}, "
        f"video/: {counts['video']:,}; split: paths use audio/, so the "
        f"{counts['video']:,} files only in video/ count as missing. "
    )
    fix = (
        "Move them into audio/"
        if most_in == "audio"
        else "Move every audio file into video/ and run `emm1 config set layout.audio video` "
        "(or every one into audio/)"
    )
    assert f"{head}{fix}, then run emm1 files scan again" in result.stderr.splitlines()
    present = rows(db, "SELECT count(DISTINCT file_path) FROM assets_present")[0][0]
    assert present == counts["audio"]


def test_empty_files_and_partial_downloads_are_not_present_and_are_listed(site, tmp_path):
    db, root, assets = site
    images = [a for a in assets if a["modality"] == "image" and a["save_folder"] != "shared"]
    whole, empty, part, tmp = images[:5], images[5], images[6], images[7]
    for a in whole:
        put(root, a)
    put(root, empty, size=0)
    bad = {
        where(root, empty): "empty file",
        str(put(root, part, suffix=".part")): "partial download (.part)",
        str(put(root, tmp, suffix=".tmp", size=0)): "partial download (.tmp)",
        str(put(root, whole[0], suffix=".ytdl")): "partial download (.ytdl)",
    }
    result = run("files", "scan", "--db", db, "--modality", "image")
    assert result.exit_code == 0, result.stderr
    for path, reason in bad.items():
        assert (
            f"incomplete 1 file: {reason}, e.g. {path}; not counted as present, so "
            "`emm1 files missing` lists them to download again. List them: "
            'emm1 sql "SELECT * FROM incomplete_files"'
        ) in result.stderr.splitlines()
    listed = rows(db, "SELECT path, reason FROM incomplete_files")
    assert sorted(listed) == sorted(bad.items())
    present = {p for (p,) in rows(db, "SELECT file_path FROM assets_present")}
    assert present == {where(root, a) for a in whole}  # whole[0] also has a .ytdl beside it
    out = tmp_path / "m.csv"
    assert run("files", "missing", "--db", db, "--out", out).exit_code == 0
    with open(out, newline="") as f:
        missing = {r["file_path"] for r in csv.DictReader(f)}
    assert {where(root, a) for a in (empty, part, tmp)} <= missing
    info = run("info", "--db", db).stdout
    assert (
        "incomplete   4 files empty or partly downloaded, counted as missing "
        "(SELECT * FROM incomplete_files)"
    ) in info.splitlines()


def test_missing_out_creates_its_folders_and_dash_is_stdout(site, tmp_path):
    db, root, assets = site
    assert emm1("files", "scan", "--db", db, "-q").returncode == 0
    nested = tmp_path / "lists" / "today" / "missing.csv"
    result = run("files", "missing", "--db", db, "--part", "eshot", "--out", nested)
    assert result.exit_code == 0, result.stderr
    with open(nested, newline="") as f:
        in_file = list(csv.DictReader(f))
    assert len(in_file) == sum(a["part"] == "eshot" for a in assets)

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    to_stdout = emm1("files", "missing", "--db", db, "--part", "eshot", "--out", "-", cwd=cwd)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert list(csv.DictReader(io.StringIO(to_stdout.stdout.decode()))) == in_file
    assert to_stdout.stderr.decode() == f"wrote {len(in_file)} missing files to stdout\n"
    parquet = emm1(
        "files",
        "missing",
        "--db",
        db,
        "--part",
        "eshot",
        "--format",
        "parquet",
        "--out",
        "-",
        cwd=cwd,
    )
    assert parquet.returncode == 0, parquet.stderr
    table = pq.read_table(io.BytesIO(parquet.stdout))
    assert table.column("file_path").to_pylist() == [r["file_path"] for r in in_file]
    assert list(cwd.iterdir()) == []  # no file named "-"

    # Parquet is not written to a terminal
    controller, terminal = pty.openpty()
    try:
        refused = emm1(
            "files",
            "missing",
            "--db",
            db,
            "--format",
            "parquet",
            "--out",
            "-",
            cwd=cwd,
            stdout=terminal,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert refused.returncode == 1
    assert refused.stderr.decode() == (
        "Error: Parquet is binary, not for a terminal: redirect stdout to a file "
        "(--out - > missing.parquet), or give --out a file name.\n"
    )
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    result = run("files", "missing", "--db", db, "--out", blocked / "m.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {blocked}: cannot create this folder for --out (File exists). Give --out a "
        "path in a folder you can write to.\n"
    )


def test_counts_of_one_are_singular(site, tmp_path):
    db, root, assets = site
    points = [a for a in assets if a["part"] == "eshot" and a["modality"] == "points"]
    for a in points[1:]:
        put(root, a)
    scan = run("files", "scan", "--db", db, "--part", "eshot", "--modality", "points")
    assert re.search(rf"^scanned {root}: {len(points) - 1} files listed in ", scan.stderr, re.M)
    out = tmp_path / "m.csv"
    missing = run("files", "missing", "--db", db, "--out", out)
    assert missing.stderr == f"wrote 1 missing file to {out}\n"
    (root / "shared").mkdir()
    (root / "shared" / "image").symlink_to("/")
    one = run("files", "scan", "--db", db, "--part", "e-mm1_1m", "--modality", "image")
    assert "warning 1 folder or entry skipped; files in it count as missing" in one.stderr
    alone = tmp_path / "alone"
    put(alone, points[0])
    scan = run("files", "scan", "--db", db, "--part", "eshot", "--root", alone)
    assert re.search(rf"^scanned {alone}: 1 file listed in ", scan.stderr, re.M)
