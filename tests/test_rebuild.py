"""`emm1 build` over an existing catalog: the settings and the file scan carry over (the scan
only for the assets whose infos row did not change), for catalogs of this and of older builds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import expected
from click.testing import CliRunner
from csv_edit import rewrite_csv

from catalog.cli import main

FOLDERS = {"image": "image", "audio": "video", "video": "video", "points": "points"}


def run(*args, env=None):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute(sql).fetchall())


def scan_state(db: Path) -> dict[str, list[tuple]]:
    """Every row of the scan tables, part and modality first."""
    return {
        table: rows(
            db,
            f"SELECT part::VARCHAR, modality::VARCHAR, * EXCLUDE (part, modality) FROM {table}",
        )
        for table in ("asset_files", "file_scans", "incomplete_files")
    }


def put_files(root: Path, assets: list[dict]) -> None:
    """A file for every asset (audio in video/), but one empty and one partly downloaded."""
    for n, a in enumerate(assets):
        name = a["file_name"] + (".part" if n == 1 else "")
        path = root / a["save_folder"] / FOLDERS[a["modality"]] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if n == 0 else b"x" * (a["asset_id"] % 7 + 1))


def test_a_rebuild_keeps_the_settings_and_the_scan_of_the_assets_that_did_not_change(
    data_copy, tmp_path
):
    db, root = tmp_path / "emm1.duckdb", tmp_path / "root"
    run("build", data_copy, "--db", db, "-q")
    run("config", "set", "asset_root", root, "--db", db)
    run("config", "set", "layout.audio", "video", "--db", db)
    assets = expected.assets(data_copy)
    put_files(root, assets)
    run("files", "scan", "--db", db)
    before = scan_state(db)
    assert before["incomplete_files"] and before["asset_files"] and len(before["file_scans"]) == 10

    # the new release changes two infos rows of E-MM1:100M images and adds an E-MM1:1M audio
    changed = []

    def change_images(records):
        records[2]["file_name"] = "renamed.jpg"
        flip = {"shared": "e-mm1_100m_only", "e-mm1_100m_only": "shared"}
        records[3]["save_folder"] = flip[records[3]["save_folder"]]
        changed.extend(("e-mm1_100m", "image", int(r["encord_image_id"])) for r in records[2:4])

    def add_audio(records):
        new_id = max(int(r["encord_audio_id"]) for r in records) + 100
        records.append({**records[0], "encord_audio_id": str(new_id), "file_name": "new.mp4"})

    rewrite_csv(expected.part_dir(data_copy, "e-mm1_100m") / "infos" / "image.csv", change_images)
    rewrite_csv(expected.part_dir(data_copy, "e-mm1_1m") / "infos" / "audio.csv", add_audio)

    result = run("build", data_copy, "--db", db, "-q")
    total = len(assets) + 1
    assert result.stderr.splitlines()[1:] == [
        f"kept settings asset_root={root}, layout.audio=video; kept the file scan for "
        f"{total - 3:,} of {total:,} assets (3 changed or new: run emm1 files scan)"
    ]
    assert result.stderr.splitlines()[0].endswith(
        f"; asset root {root} (kept from the catalog it replaces)"
    )
    settings = rows(db, "SELECT key, value FROM settings")
    assert ("asset_root", str(root)) in settings and ("layout.audio", "video") in settings
    after = scan_state(db)
    assert after["file_scans"] == before["file_scans"]
    kept = [r for r in before["asset_files"] if r[:3] not in changed]
    assert after["asset_files"] == kept and len(kept) == len(before["asset_files"]) - 2
    assert after["incomplete_files"] == before["incomplete_files"]
    # the views follow: the changed assets are no longer present, every other one still is
    present = rows(db, "SELECT part::VARCHAR, modality::VARCHAR, asset_id FROM assets_present")
    assert present == sorted(r[:3] for r in after["asset_files"])


def test_a_catalog_of_an_older_build_keeps_its_settings_and_scan(samples, tmp_path):
    data = samples["upstream"]
    db = tmp_path / "emm1.duckdb"
    run("build", data, "--db", db, "-q")
    run("config", "set", "layout.points", "point-clouds", "--db", db)
    (tmp_path / "empty").mkdir()
    run("files", "scan", "--db", db, "--root", tmp_path / "empty", "-q")
    with duckdb.connect(str(db)) as con:  # as an older emm1 left it: no version, no table
        con.execute("DELETE FROM catalog_info WHERE key = 'schema_version'")
        con.execute("DROP TABLE incomplete_files")
    scanned = rows(db, "SELECT count(*) FROM assets")[0][0]
    result = run("build", data, "--db", db, "-q")
    assert result.stderr.splitlines()[1] == (
        f"kept settings layout.points=point-clouds; kept the file scan for {scanned:,} of "
        f"{scanned:,} assets"
    )
    assert len(rows(db, "SELECT * FROM file_scans")) == 10


def test_a_catalog_without_scan_tables_keeps_its_settings(samples, tmp_path):
    data = samples["upstream"]
    db = tmp_path / "emm1.duckdb"
    run("build", data, "--db", db, "-q")
    run("config", "set", "layout.audio", "video", "--db", db)
    with duckdb.connect(str(db)) as con:  # built before `emm1 files scan` existed
        con.execute("DROP MACRO TABLE nn_groups_complete; DROP MACRO TABLE triplets_complete")
        for view in ("triplets_present", "nn_groups_present", "file_coverage", "unsafe_assets"):
            con.execute(f"DROP VIEW {view}")
        con.execute("DROP VIEW assets_missing; DROP VIEW assets_present; DROP VIEW asset_presence")
        con.execute("DROP TABLE asset_files; DROP TABLE file_scans; DROP TABLE incomplete_files")
    result = run("build", data, "--db", db, "-q")
    assert result.stderr.splitlines()[1:] == ["kept settings layout.audio=video"]
    assert rows(db, "SELECT count(*) FROM file_scans") == [(0,)]


def test_reset_settings_starts_from_the_defaults_and_keeps_the_scan(samples, tmp_path):
    data = samples["upstream"]
    db = tmp_path / "emm1.duckdb"
    run("build", data, "--db", db, "-q")
    run("config", "set", "layout.audio", "video", "--db", db)
    run("config", "set", "asset_root", tmp_path / "media", "--db", db)
    (tmp_path / "media").mkdir()
    run("files", "scan", "--db", db, "-q")
    result = run("build", data, "--db", db, "-q", "--reset-settings")
    scanned = rows(db, "SELECT count(*) FROM assets")[0][0]
    assert result.stderr.splitlines()[1:] == [
        f"kept the file scan for {scanned:,} of {scanned:,} assets"
    ]
    assert rows(db, "SELECT key, value FROM settings") == sorted(
        [("asset_root", str(data)), *((f"layout.{m}", m) for m in FOLDERS)]
    )


def test_a_duckdb_file_that_is_no_catalog_is_replaced_and_says_so(samples, tmp_path):
    db = tmp_path / "emm1.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE notes AS SELECT 1 AS x")
    result = run("build", samples["upstream"], "--db", db, "-q")
    assert result.stderr.splitlines()[1:] == [
        "kept nothing from the file it replaces (not an emm1 catalog)"
    ]


def test_a_rebuild_stores_paths_with_the_layout_it_keeps(samples, tmp_path):
    data = samples["upstream"]
    db = tmp_path / "emm1.duckdb"
    run("build", data, "--db", db, "--asset-root", "/assets", "-q")
    run("config", "set", "layout.points", "point-clouds", "--db", db)
    run("build", data, "--db", db, "-q")
    with duckdb.connect(str(db), read_only=True) as con:
        got = Counter(con.execute("SELECT * FROM nn_groups_resolved").fetchall())
    assert got == Counter(expected.nn_groups_resolved(data, "/assets", {"points": "point-clouds"}))
