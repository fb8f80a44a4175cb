"""Assets on disk: a test creates part of the asset files (audio and points in the folders the
other guides use, plus decoys), scans, and checks every figure against plain Python."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import expected
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from csv_edit import rewrite_csv

from catalog.build import build_catalog
from catalog.cli import main
from catalog.config import set_setting
from catalog.files import HUGGING_FACE_SOURCES, scan_files, write_missing
from catalog.listing import list_files
from catalog.templates import get_template

# Where the test puts each modality's files: audio and points in the alternative folders.
ON_DISK = {"image": "image", "audio": "video", "video": "video", "points": "point-clouds"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def chosen(asset: dict) -> bool:
    """About two thirds of the assets get a file."""
    return (asset["asset_id"] * 7 + len(asset["modality"]) + len(asset["part"])) % 3 != 0


def make_files(root: Path, assets: list[dict], keep=chosen) -> dict[str, int]:
    """Create the files of the chosen assets; returns relative path -> size in bytes."""
    made = {}
    for a in assets:
        if not keep(a) or expected.unsafe(a["save_folder"]) or expected.unsafe(a["file_name"]):
            continue
        rel = f"{a['save_folder']}/{ON_DISK[a['modality']]}/{a['file_name']}"
        size = a["asset_id"] % 17 + 1
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        made[rel] = size
    # decoys: an unknown file, a file straight in a save folder, an image name in audio/
    (root / "shared" / "image" / "not_in_catalog.jpg").write_bytes(b"x")
    (root / "shared" / "000000001.jpg").write_bytes(b"x")
    image = next(a for a in assets if a["modality"] == "image" and a["save_folder"] == "shared")
    (root / "shared" / "audio").mkdir(exist_ok=True)
    (root / "shared" / "audio" / image["file_name"]).write_bytes(b"x")
    return made


def on_disk(asset: dict, made: dict[str, int], folders: dict[str, str]) -> bool:
    rel = f"{asset['save_folder']}/{folders[asset['modality']]}/{asset['file_name']}"
    return rel in made


@pytest.fixture
def scanned(catalogs, samples, layout, tmp_path):
    """A catalog whose asset root holds about two thirds of the files, in ON_DISK folders."""
    db = tmp_path / "c.duckdb"
    shutil.copyfile(catalogs[layout], db)
    root = tmp_path / "root"
    set_setting(db, "asset_root", str(root))
    assets = expected.assets(samples[layout])
    made = make_files(root, assets)
    return db, root, assets, made, samples[layout]


def coverage(assets: list[dict], made: dict[str, int], folders: dict[str, str]) -> dict:
    """(part, modality, source) -> (present, expected), with '(all)' totals, in plain Python."""
    out: dict[tuple, list[int]] = {}
    for a in assets:
        have = on_disk(a, made, folders)
        source = a.get("source_dataset") or "-"
        p, m = a["part"], a["modality"]
        for key in ((p, m, source), (p, m, "(all)"), (p, "(all)", "(all)")):
            counts = out.setdefault(key, [0, 0])
            counts[0] += have
            counts[1] += 1
    return {k: tuple(v) for k, v in out.items()}


def test_scan_reports_exact_coverage_and_finds_the_layout(scanned):
    db, root, assets, made, _ = scanned
    result = run("files", "scan", "--db", db)
    assert result.exit_code == 0, result.stderr
    # files, not assets: an asset of save folder `shared` in two parts is one file
    audio = {(a["save_folder"], a["file_name"]) for a in assets if a["modality"] == "audio"}
    found = {
        (a["save_folder"], a["file_name"])
        for a in assets
        if a["modality"] == "audio" and on_disk(a, made, ON_DISK)
    }
    assert len(found) < sum(on_disk(a, made, ON_DISK) for a in assets if a["modality"] == "audio")
    assert (
        f"layout  audio: {len(audio):,} files; found in audio/: 0, video/: {len(found):,}; "
        "paths use audio/ but the files are in video/: run `emm1 config set layout.audio video`"
    ) in result.stderr.splitlines()
    assert "run `emm1 config set layout.points point-clouds`" in result.stderr
    assert "layout.image = image is right" in result.stderr
    assert "layout.video = video is right" in result.stderr
    # two decoys are listed; the file straight in a save folder is no asset and is not
    assert re.search(rf"scanned {root}: {len(made) + 2} files listed in", result.stderr)

    # the printed table, per part, modality and source dataset, against plain Python; audio
    # and points files are all in the other folders, so none of them is present yet
    printed = {}
    for line in result.stdout.splitlines()[1:]:
        part, modality, *source, present, total, percent = line.split()
        present, total = int(present.replace(",", "")), int(total.replace(",", ""))
        assert float(percent) == round(100 * present / total, 1)
        printed[(part, modality, " ".join(source))] = (present, total)
    assert printed == coverage(assets, made, {m: m for m in ON_DISK})
    assert printed[("e-mm1_100m", "audio", "(all)")][0] == 0
    assert printed[("e-mm1_100m", "image", "(all)")][0] > 0

    # after the advised settings, without a rescan, presence follows the layout
    set_setting(db, "layout.audio", "video")
    set_setting(db, "layout.points", "point-clouds")
    got = {
        (p, m, s or "-"): (present, total)
        for p, m, s, present, total, missing in rows(
            db,
            "SELECT part::VARCHAR, modality::VARCHAR, source_dataset, present, expected, missing "
            "FROM file_coverage",
        )
        if missing == total - present
    }
    want = coverage(assets, made, ON_DISK)
    assert got == {k: v for k, v in want.items() if "(all)" not in k}
    assert all(v[0] > 0 for k, v in want.items() if k[1] == "(all)" and k[0] != "eshot")
    sizes = dict(rows(db, "SELECT file_path, bytes FROM assets_present"))
    assert sizes == {str(root / rel): size for rel, size in made.items()}


def test_missing_list_is_exactly_the_complement(scanned, tmp_path):
    db, root, assets, made, _ = scanned
    scan_files(db)
    set_setting(db, "layout.audio", "video")
    set_setting(db, "layout.points", "point-clouds")
    out = tmp_path / "missing.csv"
    result = run("files", "missing", "--db", db, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    with open(out, newline="") as f:
        listed = list(csv.DictReader(f))

    def downloader(a):
        if a.get("youtube_id"):
            return "youtube"
        if a.get("file_id", "").startswith(("http://", "https://")):
            return "url"
        return "huggingface" if a.get("source_dataset") in HUGGING_FACE_SOURCES else "other"

    def path(a):
        return f"{root}/{a['save_folder']}/{ON_DISK[a['modality']]}/{a['file_name']}"

    # one row per file to fetch: the first (part, modality, id) of the assets naming it
    first: dict[str, dict] = {}
    for a in sorted(assets, key=lambda a: (a["part"], a["modality"], a["asset_id"])):
        if not on_disk(a, made, ON_DISK):
            first.setdefault(path(a), a)
    want_missing = list(first.values())
    assert result.stderr == f"wrote {len(want_missing):,} missing files to {out}\n"

    got = Counter(
        (r["downloader"], r["part"], r["modality"], int(r["asset_id"]), r["youtube_id"])
        + (r["url"], r["file_id"], r["file_path"])
        for r in listed
    )
    want = Counter(
        (downloader(a), a["part"], a["modality"], a["asset_id"], a.get("youtube_id", ""))
        + (a["file_id"] if downloader(a) == "url" else "", a.get("file_id", ""), path(a))
        for a in want_missing
    )
    assert got == want
    present = {r[0] for r in rows(db, "SELECT file_path FROM assets_present")}
    paths = [r["file_path"] for r in listed]
    assert len(set(paths)) == len(paths) and present.isdisjoint(paths)
    assert present | set(paths) == {path(a) for a in assets}
    assert {"youtube", "url", "huggingface", "other"} <= {r["downloader"] for r in listed}

    # one downloader's rows with only its columns, as Parquet
    yt = tmp_path / "youtube.parquet"
    n = write_missing(db, yt, "parquet", modalities=["audio"], downloader="youtube")
    table = pq.read_table(yt)
    assert table.column_names == [
        "youtube_id",
        "start_time",
        "end_time",
        "file_path",
        "part",
        "modality",
        "asset_id",
    ]
    want_yt = [a for a in want_missing if a["modality"] == "audio" and a.get("youtube_id")]
    assert n == table.num_rows == len(want_yt)
    got_yt = zip(table["youtube_id"].to_pylist(), table["start_time"].to_pylist(), strict=True)
    assert sorted(got_yt) == sorted((a["youtube_id"], float(a["start_time"])) for a in want_yt)
    urls = tmp_path / "urls.csv"
    result = run(
        "files",
        "missing",
        "--db",
        db,
        "--source-dataset",
        "Google Conceptual Captions",
        "--downloader",
        "url",
        "--out",
        urls,
    )
    assert result.exit_code == 0
    lines = urls.read_text().splitlines()
    assert lines[0] == "url,file_path,save_folder,file_name,part,modality,asset_id"
    want_urls = [a for a in want_missing if a.get("source_dataset") == "Google Conceptual Captions"]
    assert sorted(lines[1:]) == sorted(
        f"{a['file_id']},{path(a)},{a['save_folder']},{a['file_name']},{a['part']},image,"
        f"{a['asset_id']}"
        for a in want_urls
    )


def test_present_only_returns_exactly_the_complete_groups(scanned):
    db, root, assets, made, data = scanned
    set_setting(db, "layout.audio", "video")
    set_setting(db, "layout.points", "point-clouds")
    scan_files(db)
    files = {str(root / rel) for rel in made}
    groups = expected.nn_groups_resolved(data, str(root), ON_DISK)
    paths = {"image": 7, "audio": 8, "video": 9, "points": 10}
    for chosen_modalities in (["image"], ["image", "audio"], ["audio", "video", "points"]):
        want = Counter(g for g in groups if all(g[paths[m]] in files for m in chosen_modalities))
        got = Counter(
            r[:11] for r in rows(db, "SELECT * FROM nn_groups_complete(?)", [chosen_modalities])
        )
        assert got == want and 0 < len(want) < len(groups)
    triplets = expected.triplets_labeled(data, str(root), ON_DISK)
    want = Counter(t for t in triplets if t[8] in files and t[9] in files)
    got = Counter(r[:10] for r in rows(db, "SELECT * FROM triplets_complete()"))
    assert got == want and 0 < len(want) < len(triplets)


def test_present_only_templates_keep_exactly_what_is_on_disk(scanned, tmp_path):
    db, root, assets, made, data = scanned
    set_setting(db, "layout.audio", "video")
    set_setting(db, "layout.points", "point-clouds")
    scan_files(db)
    files = {str(root / rel) for rel in made}

    def ways(name, params, macro_call):
        """The rows of template `name` by emm1 query, by its table macro and by emm1 export."""
        args = [a for k, v in params.items() for a in ("-p", k, v)]
        query = run("query", name, *args, "--db", db, "--format", "json")
        assert query.exit_code == 0, query.stderr
        out = tmp_path / f"{name}-export"
        export = run("export", name, *args, "--db", db, "--out", out, "--format", "jsonl", "-q")
        assert export.exit_code == 0, export.stderr
        exported = [
            json.loads(line)
            for f in sorted(out.rglob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()
        ]
        return (
            Counter(tuple(r.values()) for r in json.loads(query.stdout)),
            Counter(rows(db, macro_call)),
            Counter(tuple(r.values()) for r in exported),
        )

    # groups with image and audio: columns id, k, caption, image id and path, audio id and path
    groups = expected.nn_groups_resolved(data, str(root), ON_DISK)
    every = Counter((g[0], g[1], g[2], g[3], g[7], g[4], g[8]) for g in groups)
    want = Counter(
        (g[0], g[1], g[2], g[3], g[7], g[4], g[8])
        for g in groups
        if g[7] in files and g[8] in files
    )
    assert 0 < len(want) < len(every)
    complete = rows(
        db,
        "SELECT encord_text_id, nn_index, caption, encord_image_id, image_file_path, "
        "encord_audio_id, audio_file_path FROM nn_groups_complete(['image', 'audio'])",
    )
    assert Counter(complete) == want
    params = {"present_only": "yes", "modalities": "image,audio", "k": "1..16"}
    call = (
        "SELECT * FROM groups(k_min := 1, k_max := 16, modalities := ['image', 'audio'], "
        "present_only := 'yes')"
    )
    assert ways("groups", params, call) == (want, want, want)

    # triplets rating image against audio, in both directions
    triplets = expected.triplets_labeled(data, str(root), ON_DISK)
    pair = [t for t in triplets if {t[2], t[3]} == {"image", "audio"}]
    want = Counter(t for t in pair if t[8] in files and t[9] in files)
    assert 0 < len(want) < len(pair)
    params = {"modality_1": "image", "modality_2": "audio", "present_only": "yes"}
    call = "SELECT * FROM modality_pair('image', 'audio', present_only := 'yes')"
    assert ways("modality_pair", params, call) == (want, want, want)


def test_a_rescan_replaces_what_it_covers_and_keeps_the_rest(scanned):
    db, root, assets, made, _ = scanned

    def present():
        sql = (
            "SELECT part::VARCHAR, modality::VARCHAR, sum(present) FROM file_coverage GROUP BY ALL"
        )
        return {(p, m): n for p, m, n in rows(db, sql)}

    scan_files(db)
    before = present()
    deleted = [rel for rel in made if "/image/" in rel][:40]
    for rel in deleted:
        (root / rel).unlink()
    first = rows(db, "SELECT max(scanned_at) FROM file_scans")[0][0]
    report = scan_files(db, parts=["e-mm1_100m"], modalities=["image"])
    assert report.coverage[-1][:2] == ("e-mm1_100m", "(all)")
    # only 100M images were rescanned: every other figure is the earlier scan's
    gone = sum(
        1
        for a in assets
        if (a["part"], a["modality"]) == ("e-mm1_100m", "image")
        and f"{a['save_folder']}/image/{a['file_name']}" in deleted
    )
    assert gone > 0
    assert present() == {**before, ("e-mm1_100m", "image"): before["e-mm1_100m", "image"] - gone}
    scans = rows(db, "SELECT part::VARCHAR, modality::VARCHAR, scanned_at FROM file_scans")
    assert len(scans) == len(before) == 10
    assert [(p, m) for p, m, at in scans if at > first] == [("e-mm1_100m", "image")]


def test_missing_needs_a_scan_and_names_are_checked(scanned, tmp_path):
    db, root, *_ = scanned
    result = run("files", "missing", "--db", db, "--out", tmp_path / "m.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {db}: no scan of these parts and modalities yet, so nothing is known to be "
        "missing. Run `emm1 files scan` first.\n"
    )
    bad = run("files", "scan", "--db", db, "--part", "e-mm1_10m")
    assert bad.exit_code == 1
    assert bad.stderr == (
        "Error: unknown part 'e-mm1_10m'. Choose from: e-mm1_100m, e-mm1_1m, eshot.\n"
    )
    nowhere = run("files", "scan", "--db", db, "--root", tmp_path / "nope")
    assert nowhere.exit_code == 1
    assert nowhere.stderr.startswith(f"Error: {tmp_path / 'nope'}: no such folder to scan.")
    elsewhere = tmp_path / "mirror"
    elsewhere.mkdir()
    other = run("files", "scan", "--db", db, "--root", elsewhere)
    assert other.exit_code == 0
    assert (
        f"note    scanned {elsewhere}, but paths in the views start at {root}: "
        f"run `emm1 config set asset_root {elsewhere}` if the files live there"
    ) in other.stderr.splitlines()
    assert rows(db, "SELECT DISTINCT asset_root FROM file_scans") == [(str(elsewhere),)]


def test_unsafe_names_never_leave_the_asset_root(data_copy, tmp_path):
    part = expected.part_dir(data_copy, "e-mm1_100m")

    def damage(records):
        records[0]["file_name"] = "../../../outside.jpg"
        records[1]["save_folder"] = "/etc"
        records[2]["file_name"] = "sub/../../x.jpg"

    rewrite_csv(part / "infos" / "image.csv", damage)
    db = tmp_path / "c.duckdb"
    root = tmp_path / "root"
    build_catalog(data_copy, db, asset_root=str(root))
    # the views equal the plain computation, which gives such names no path
    got = rows(db, "SELECT * FROM nn_groups_resolved")
    assert Counter(got) == Counter(expected.nn_groups_resolved(data_copy, str(root)))
    unsafe = rows(
        db, "SELECT part::VARCHAR, modality::VARCHAR, reason FROM unsafe_assets ORDER BY reason"
    )
    assert unsafe == [
        ("e-mm1_100m", "image", "file_name contains .."),
        ("e-mm1_100m", "image", "file_name contains .."),
        ("e-mm1_100m", "image", "save_folder is an absolute path"),
    ]
    # a file where the unsafe name points is not joined
    assets = expected.assets(data_copy)
    make_files(root, assets)
    (tmp_path / "outside.jpg").write_bytes(b"x")
    result = run("files", "scan", "--db", db)
    assert result.exit_code == 0
    assert re.search(
        r"unsafe  2 assets have no safe path \(file_name contains \.\.\)", result.stderr
    )
    assert "unsafe  1 asset has no safe path (save_folder is an absolute path)" in result.stderr
    assert rows(
        db,
        "SELECT count(*) FROM unsafe_assets u JOIN asset_files f USING (part, modality, asset_id)",
    ) == [(0,)]
    assert rows(db, "SELECT count(*) FROM assets_missing WHERE file_path IS NULL") == [(0,)]
    info = run("info", "--db", db).stdout
    assert "unsafe       3 assets have an absolute or '..' save_folder/file_name" in info
    assert re.search(r"files        [\d,]+ of [\d,]+ files of the scanned assets on disk", info)


def test_query_templates_give_unsafe_names_no_path(data_copy, tmp_path):
    part = expected.part_dir(data_copy, "e-mm1_100m")
    damaged = []

    def damage(records):
        records[0]["file_name"] = "../../../outside.jpg"
        records[1]["save_folder"] = "/etc"
        damaged.extend(int(r["encord_image_id"]) for r in records[:2])

    rewrite_csv(part / "infos" / "image.csv", damage)
    db = tmp_path / "c.duckdb"
    build_catalog(data_copy, db, asset_root="/assets")
    groups = expected.nn_groups_resolved(data_copy, "/assets")
    want = Counter((g[0], g[1], g[2], g[3], g[7]) for g in groups)
    assert any(key[3] in damaged and key[4] is None for key in want)
    template = get_template("groups")
    values = template.values({"k": "1..16", "modalities": "image"})
    sql, bound = template.render(values)
    assert Counter(rows(db, sql, bound)) == want
    assert Counter(rows(db, template.macro_call(values))) == want


def test_a_catalog_built_before_the_scan_tables_gets_them_from_the_scan(scanned):
    db, root, assets, made, _ = scanned
    with duckdb.connect(str(db)) as con:
        con.execute("DROP MACRO TABLE nn_groups_complete; DROP MACRO TABLE triplets_complete")
        for view in ("triplets_present", "nn_groups_present", "file_coverage", "unsafe_assets"):
            con.execute(f"DROP VIEW {view}")
        con.execute("DROP VIEW assets_missing; DROP VIEW assets_present; DROP VIEW asset_presence")
        con.execute("DROP TABLE asset_files; DROP TABLE file_scans")
    assert "\nfiles        " not in run("info", "--db", db).stdout
    assert run("files", "scan", "--db", db).exit_code == 0
    want = sum(on_disk(a, made, {m: m for m in ON_DISK}) for a in assets)
    assert rows(db, "SELECT count(*) FROM assets_present") == [(want,)]
    assert "\nfiles        " in run("info", "--db", db).stdout


def test_listing_follows_symlinked_folders_once(tmp_path):
    tmp_path = Path(os.path.realpath(tmp_path))
    root = tmp_path / "root"
    (root / "shared" / "image" / "sub").mkdir(parents=True)
    (root / "shared" / "image" / "a.jpg").write_bytes(b"abc")
    (root / "shared" / "image" / "sub" / "b.jpg").write_bytes(b"x")
    (root / "shared" / "loose.jpg").write_bytes(b"x")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.mp4").write_bytes(b"12")
    (root / "shared" / "video").symlink_to(elsewhere)
    (root / "shared" / "image" / "sub" / "loop").symlink_to(root / "shared" / "image")

    def listed(listing):
        dirs = listing.dirs.to_pylist()
        return {
            (dirs[f["dir_id"]]["folder"], dirs[f["dir_id"]]["subdir"], f["name"], f["bytes"])
            for f in listing.files.to_pylist()
        }

    inside = {("image", "", "a.jpg", 3), ("image", "sub", "b.jpg", 1)}
    # by default the link out of the root is skipped, with the reason
    listing = list_files(root, ["shared", "absent"])
    assert listed(listing) == inside and listing.count == 2
    assert listing.skipped == [
        (
            f"{root}/shared/video",
            f"symbolic link to {elsewhere}, outside the asset root {root} "
            "(--follow-links follows it)",
        )
    ]
    assert listing.skipped_count == 1
    # following links, it is listed; the loop back inside the root is listed once either way
    listing = list_files(root, ["shared", "absent"], follow_links=True)
    assert listed(listing) == inside | {("video", "", "c.mp4", 2)}
    assert listing.count == 3 and listing.skipped == [] and listing.skipped_count == 0


def test_a_file_also_in_the_layout_folder_is_not_stray_and_subfolders_match(catalogs, tmp_path):
    db, root = tmp_path / "c.duckdb", tmp_path / "root"
    shutil.copyfile(catalogs["upstream"], db)
    set_setting(db, "asset_root", str(root))
    with duckdb.connect(str(db)) as con:  # one asset whose file is in a subfolder
        first = con.execute("SELECT min(encord_audio_id) FROM infos_100m_audio").fetchone()[0]
        con.execute(
            "UPDATE infos_100m_audio SET file_name = 'clips/' || file_name "
            "WHERE encord_audio_id = ?",
            [first],
        )
        con.execute(  # the path the build stores, made again
            "UPDATE infos_100m_audio SET resolved_file_path = "
            "stored_path(save_folder, 'audio', file_name) WHERE encord_audio_id = ?",
            [first],
        )
    files = rows(
        db,
        "SELECT DISTINCT save_folder, file_name FROM assets WHERE part = 'e-mm1_100m' "
        "AND modality = 'audio' AND file_path IS NOT NULL "
        "ORDER BY starts_with(file_name, 'clips/') DESC, file_name LIMIT 5",
    )
    assert files[0][1].startswith("clips/")
    # the first two in both folders, one only in video/, two only in audio/
    for (save_folder, name), folders in zip(
        files,
        [("audio", "video"), ("audio", "video"), ("video",), ("audio",), ("audio",)],
        strict=True,
    ):
        for folder in folders:
            (root / save_folder / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (root / save_folder / folder / name).write_bytes(b"x")
    expected_files = rows(
        db,
        "SELECT count(DISTINCT (save_folder, file_name)) FROM assets WHERE part = 'e-mm1_100m' "
        "AND modality = 'audio' AND file_path IS NOT NULL",
    )[0][0]
    result = run("files", "scan", "--db", db, "--part", "e-mm1_100m", "--modality", "audio")
    assert result.exit_code == 0, result.stderr
    assert (
        f"layout  audio: {expected_files:,} files; found in audio/: 4, video/: 3; split: paths "
        "use audio/, so the 1 file only in video/ counts as missing. Move it into audio/, then "
        "run emm1 files scan again"
    ) in result.stderr.splitlines()
    present = rows(db, "SELECT save_folder, file_name FROM assets_present")
    assert sorted(set(present)) == sorted(files[i] for i in (0, 1, 3, 4))
