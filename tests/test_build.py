"""emm1 build: layouts, parts, LFS pointers, malformed files, the swap and the lock."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import expected
import pytest
from click.testing import CliRunner
from processes import install_copy

from catalog.build import build_catalog
from catalog.cli import main
from catalog.definitions import TABLE_MACROS, VIEWS
from catalog.errors import CatalogError
from catalog.templates import templates

POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 268435456\n"
)


def scalar(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def part_folder(data: Path, part: str) -> Path:
    names = {
        "100m": ("e-mm1_100m", "encord_phase_1_dataset"),
        "1m": ("e-mm1_1m", "encord_phase_2_dataset"),
    }[part]
    return next(data / n for n in names if (data / n).is_dir())


def replace_line(path: Path, line_no: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line_no - 1] = new
    path.write_text("\n".join(lines), encoding="utf-8")


def test_build_reports_and_records_provenance(data_copy, tmp_path, layout):
    db = tmp_path / "emm1.duckdb"
    result = run("build", data_copy, "--db", db)
    assert result.exit_code == 0, result.output
    assert f"built {db}: 32 files" in result.stderr
    assert scalar(db, "SELECT count(*) FROM source_files") == 32
    assert scalar(db, "SELECT count(*) FROM source_files WHERE path LIKE '/%'") == 0
    assert scalar(db, "SELECT sum(rows) FROM source_files WHERE kind = 'nn_shard'") == 16 * 300
    facts = dict(
        duckdb.connect(str(db), read_only=True)
        .execute("SELECT key, value FROM catalog_info")
        .fetchall()
    )
    assert facts["duckdb_version"] == duckdb.__version__
    assert facts["storage_version"] == "v1.1.0"
    assert facts["asset_root_at_build"] == str(data_copy)
    assert {".lock"} >= {p.suffix for p in tmp_path.iterdir() if p.name.startswith(".")}


def test_lfs_pointers_are_skipped_listed_and_the_rest_is_built(data_copy, tmp_path, layout):
    part = part_folder(data_copy, "100m")
    for k in (3, 11):
        (part / f"nn_{k}" / "data_groups.csv").write_text(POINTER)
    db = tmp_path / "emm1.duckdb"
    result = run("build", data_copy, "--db", db)
    assert result.exit_code == 0, result.output
    rel = part.name
    assert f"skipped {rel}/nn_11/data_groups.csv: a git LFS pointer, not data" in result.stderr
    assert (
        f'fetch the skipped files with: git lfs pull --include="{rel}/nn_3/data_groups.csv,'
        f'{rel}/nn_11/data_groups.csv"'
    ) in result.stderr
    assert scalar(db, "SELECT count(DISTINCT nn_index) FROM nn_groups") == 14
    assert scalar(db, "SELECT list(path ORDER BY path) FROM skipped_files") == [
        f"{rel}/nn_11/data_groups.csv",
        f"{rel}/nn_3/data_groups.csv",
    ]
    info = run("info", "--db", db)
    assert "nn shards    1-2, 4-10, 12-16; missing 3, 11" in info.output
    assert f'fetch them: git lfs pull --include="{rel}/nn_11/data_groups.csv,' in info.output


def test_malformed_value_fails_with_file_record_column_value_and_keeps_old_catalog(
    data_copy, tmp_path, layout
):
    db = tmp_path / "emm1.duckdb"
    assert run("build", data_copy, "--db", db).exit_code == 0
    before = digest(db)
    image = part_folder(data_copy, "100m") / "infos" / "image.csv"
    replace_line(image, 5, "12x4,COCO,CC BY 4.0,1,000000004.jpg,shared")
    result = run("build", data_copy, "--db", db)
    assert result.exit_code == 1
    rel = f"{part_folder(data_copy, '100m').name}/infos/image.csv"
    assert result.stderr == (
        f"Error: {rel}, record 5 (the header is record 1): column encord_image_id: "
        "'12x4' is not a plain decimal id. Write ids with the digits 0-9 only (no sign, space, "
        "point, exponent, 0x or _).\n"
    )
    assert "Traceback" not in result.output
    assert digest(db) == before
    # nothing beside the catalog, not even an empty lock file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "emm1.duckdb"]


def test_record_numbers_count_records_not_lines(data_copy, tmp_path, layout):
    # captions hold newlines, so the bad record sits on a later physical line
    text = part_folder(data_copy, "100m") / "infos" / "text.csv"
    content = text.read_text(encoding="utf-8")
    assert "\n" in content.split('"')[1] or '"\n' in content or "\n" in content
    lines = content.split("\n")
    lines.insert(1, '7,"first line\nsecond line",COCO,CC BY 4.0')
    lines.insert(2, 'oops,"x",COCO,CC BY 4.0')
    text.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"text.csv, record 3 .*column encord_text_id: 'oops'"):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_bad_modality_in_triplets_is_named(data_copy, tmp_path, layout):
    triplets = part_folder(data_copy, "1m") / "triplets.csv"
    fields = triplets.read_text().split("\n")[1].split(",")
    fields[1] = "sound"  # paired_modality (current schema) or modality_1 (legacy)
    replace_line(triplets, 2, ",".join(fields))
    with pytest.raises(CatalogError, match=r"triplets.csv, record 2 .*'sound' is not a modality"):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_wrong_field_count_is_named(data_copy, tmp_path, layout):
    shard = part_folder(data_copy, "100m") / "nn_2" / "data_groups.csv"
    replace_line(shard, 4, "1,2,3")
    with pytest.raises(
        CatalogError,
        match=r"nn_2/data_groups.csv, record 4 \(the header is record 1\): "
        r"expected 6 fields, found 3: '1,2,3'\.$",
    ):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_missing_column_is_refused_by_name(data_copy, tmp_path, layout):
    video = part_folder(data_copy, "100m") / "infos" / "video.csv"
    lines = video.read_text().split("\n")
    lines[0] = lines[0].replace("save_folder", "folder")
    video.write_text("\n".join(lines))
    with pytest.raises(
        CatalogError,
        match=r"infos/video.csv: missing column save_folder\. "
        r"The header has: encord_video_id, ",
    ):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_columns_bind_by_name_and_extras_are_kept(data_copy, tmp_path, layout):
    points = part_folder(data_copy, "100m") / "infos" / "points.csv"
    with open(points, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    order = [header.index(c) for c in reversed(header)]  # every column moved
    with open(points, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([header[i] for i in order] + ["quality"])
        for r in rows[1:]:
            w.writerow([r[i] for i in order] + ["high"])
    db = tmp_path / "c.duckdb"
    build_catalog(data_copy, db)
    assert (
        scalar(db, "SELECT count(*) FROM infos_100m_points WHERE quality = 'high'") == len(rows) - 1
    )
    first = dict(zip(header, rows[1], strict=True))
    assert (
        scalar(
            db,
            f"SELECT file_name FROM infos_100m_points "
            f"WHERE encord_points_id = {first['encord_points_id']}",
        )
        == first["file_name"]
    )
    assert scalar(
        db, "SELECT comment FROM duckdb_columns() WHERE column_name = 'quality'"
    ).startswith("Extra column quality of ")


def test_duplicate_ids_in_infos_are_refused(data_copy, tmp_path, layout):
    audio = part_folder(data_copy, "1m") / "infos" / "audio.csv"
    lines = audio.read_text().split("\n")
    lines.insert(3, lines[1])
    audio.write_text("\n".join(lines))
    with pytest.raises(
        CatalogError,
        match=r"infos/audio.csv, records 2 and 4 \(the header is record 1\): column "
        r"encord_audio_id: 1 appears 2 times\. Ids must be unique within a part and modality",
    ):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_one_part_given_directly_and_missing_parts(samples, tmp_path):
    part = samples["upstream"] / "e-mm1_1m"
    db = tmp_path / "c.duckdb"
    report = build_catalog(part, db)
    assert report.parts == ["e-mm1_1m"]
    assert scalar(db, "SELECT count(*) FROM triplets_labeled") > 0
    assert scalar(db, "SELECT count(*) FROM nn_groups_resolved") == 0
    assert scalar(db, "SELECT value FROM settings WHERE key = 'asset_root'") == str(part)


def test_a_folder_without_e_mm1_is_refused(tmp_path):
    result = run("build", tmp_path, "--db", tmp_path / "c.duckdb")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path} holds no E-MM1 part: expected e-mm1_100m/")


def test_asset_root_precedence_flag_then_environment_then_stored_then_data_dir(samples, tmp_path):
    data = samples["upstream"]
    db = tmp_path / "c.duckdb"
    root = "SELECT value FROM settings WHERE key = 'asset_root'"

    def build(*args, env=None):
        result = run("build", data, "--db", db, *args, env=env)
        assert result.exit_code == 0, result.stderr
        summary = result.stderr.splitlines()[0]
        assert summary.startswith(f"built {db}: 32 files, ")
        return summary[summary.index("; asset root ") + 2 :]

    assert build() == f"asset root {data} (the data folder, by default)"
    assert scalar(db, root) == str(data)
    env = {"ROOT_DATA_PATH": "/from/env"}
    assert build(env=env) == "asset root /from/env (from $ROOT_DATA_PATH)"
    assert (
        build("--asset-root", "/from/flag", env=env) == "asset root /from/flag (from --asset-root)"
    )
    assert scalar(db, root) == "/from/flag"
    # a rebuild without either keeps the root the catalog stores
    assert build() == "asset root /from/flag (kept from the catalog it replaces)"
    assert build(env=env) == "asset root /from/env (from $ROOT_DATA_PATH)"
    assert build("--reset-settings") == f"asset root {data} (the data folder, by default)"
    assert scalar(db, root) == str(data)


def test_db_defaults_to_emm1_db_environment_variable(samples, tmp_path):
    db = tmp_path / "from_env.duckdb"
    result = run("build", samples["upstream"], env={"EMM1_DB": str(db)})
    assert result.exit_code == 0
    assert run("info", env={"EMM1_DB": str(db)}).output.startswith(f"catalog      {db}")


def test_a_second_writer_fails_fast_while_the_lock_is_held(samples, tmp_path):
    db = tmp_path / "c.duckdb"
    with open(tmp_path / "c.duckdb.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("emm1 process 4242")
        lock.flush()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "catalog.cli",
                "build",
                str(samples["upstream"]),
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {db} is being written by emm1 process 4242 (lock file "
        f"{db}.lock). Wait for it to finish, then run this again.\n"
    )
    assert not db.exists()


def test_storage_version_is_chosen(samples, tmp_path):
    db = tmp_path / "c.duckdb"
    run("build", samples["upstream"], "--db", db, "--storage-version", "v1.5.0")
    assert scalar(db, "SELECT value FROM catalog_info WHERE key = 'storage_version'") == "v1.5.0"
    bad = run("build", samples["upstream"], "--db", db, "--storage-version", "v0.0.1")
    assert bad.exit_code == 1 and "cannot create the catalog" in bad.stderr


def test_a_fresh_duckdb_client_opens_the_catalog_read_only(catalogs):
    script = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(con.execute('SELECT count(*) FROM nn_groups_resolved').fetchall()[0][0])\n"
        "print(con.execute('SELECT count(*) FROM triplets_labeled').fetchall()[0][0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", script, str(catalogs["upstream"])],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert out.stdout.split() == [
        "4800",
        str(scalar(catalogs["upstream"], "SELECT count(*) FROM triplets")),
    ]


def test_installed_package_finds_its_sql_files(samples, tmp_path):
    """A non-editable install (not the source tree) carries views/ and sql/."""
    repo = Path(__file__).resolve().parents[1]
    target = tmp_path / "site"
    env = install_copy(repo, target)
    script = (
        "import catalog, sys\n"
        "from catalog.build import build_catalog\n"
        "assert catalog.__file__.startswith(sys.argv[1]), catalog.__file__\n"
        "build_catalog(sys.argv[2], sys.argv[3])\n"
        "import duckdb\n"
        "con = duckdb.connect(sys.argv[3], read_only=True)\n"
        "print(sorted(r[0] for r in con.execute('SELECT view_name FROM duckdb_views() "
        "WHERE NOT internal').fetchall()))\n"
        "print(sorted(r[0] for r in con.execute('SELECT function_name FROM duckdb_functions() "
        "WHERE function_type = \\'table_macro\\' AND NOT internal').fetchall()))\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(target),
            str(samples["upstream"]),
            str(tmp_path / "c.duckdb"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    views, macros = out.stdout.strip().split("\n")
    assert views == str(sorted(VIEWS))
    assert macros == str(sorted([*templates(), *TABLE_MACROS]))


def test_each_asset_stores_its_whole_path_and_none_for_an_unsafe_name(data_copy, tmp_path, layout):
    audio = part_folder(data_copy, "100m") / "infos" / "audio.csv"
    with open(audio, newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    records[1]["save_folder"] = "../outside"
    records[2]["file_name"] = "/etc/passwd"
    with open(audio, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    db = tmp_path / "c.duckdb"
    build_catalog(data_copy, db, asset_root="/assets")
    with duckdb.connect(str(db), read_only=True) as con:
        got = dict(
            con.execute(
                "SELECT encord_audio_id, resolved_file_path FROM infos_100m_audio"
            ).fetchall()
        )
    below = {
        int(r["encord_audio_id"]): None
        if expected.unsafe(r["save_folder"]) or expected.unsafe(r["file_name"])
        else f"{r['save_folder']}/audio/{r['file_name']}"
        for r in records
    }
    want = {i: p and f"/assets/{p}" for i, p in below.items()}
    assert got == want and list(below.values()).count(None) == 2


@pytest.mark.parametrize("column", ["File_Path_Below_Root", "resolved_file_path"])
def test_a_column_named_like_a_stored_path_is_refused(data_copy, tmp_path, layout, column):
    image = part_folder(data_copy, "1m") / "infos" / "image.csv"
    lines = image.read_text(encoding="utf-8").split("\n")
    lines = [lines[0] + "," + column] + [f"{line},x" if line else line for line in lines[1:]]
    image.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        CatalogError,
        match=rf"infos/image.csv, record 1 \(the header\): column {column.lower()} is "
        r"computed by the catalog from save_folder and file_name\. Rename or remove that column\.",
    ):
        build_catalog(data_copy, tmp_path / "c.duckdb")


def test_sample_neighbour_ids_fall_at_random_over_each_modality_s_ids(samples):
    # as nearest-neighbour ids do: no pattern along the captions, spread over the whole pool,
    # different for each k (a regular pattern would flatter the hash joins of the views)
    part = part_folder(samples["upstream"], "100m")
    with duckdb.connect() as con:
        for m in ("image", "audio", "video", "points"):
            pool, ids = con.execute(
                f"""
                SELECT (SELECT count(*) FROM read_csv('{part}/infos/{m}.csv')),
                       list(encord_{m}_id ORDER BY encord_text_id)
                FROM read_csv('{part}/nn_1/data_groups.csv')"""
            ).fetchone()
            (corr, distinct, same_as_k2) = con.execute(
                f"""
                SELECT corr(a.encord_text_id, a.encord_{m}_id),
                       count(DISTINCT a.encord_{m}_id) FILTER (
                           WHERE a.encord_{m}_id IN (
                               SELECT encord_{m}_id FROM read_csv('{part}/infos/{m}.csv'))),
                       count(*) FILTER (WHERE a.encord_{m}_id = b.encord_{m}_id)
                FROM read_csv('{part}/nn_1/data_groups.csv') AS a
                JOIN read_csv('{part}/nn_2/data_groups.csv') AS b USING (encord_text_id)"""
            ).fetchone()
            drawn = len(ids)
            uniform = pool * (1 - (1 - 1 / pool) ** drawn)  # distinct ids of uniform draws
            # (the ~1% of ids past the end of infos are left out of `distinct`)
            assert abs(corr) < 0.2, m
            assert 0.85 * uniform <= distinct <= 1.1 * uniform, (m, distinct, uniform)
            assert same_as_k2 < drawn / 4, m
            assert ids != sorted(ids), m
