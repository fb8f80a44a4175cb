"""emm1 build refuses what the data contract does not allow, in one line, and keeps the old catalog.

Every test edits a copy of the generated sample, runs `emm1 build` over a good catalog and
checks: exit 1, exactly one line naming the file, the record, the column and the value, no
traceback, and the catalog's bytes unchanged. Ids are plain decimals (digits only), required
where the contract makes them the key, unique per part and modality in infos and EShot info
files; nn_index is the k of the shard's folder; empty files are refused everywhere.
"""

from __future__ import annotations

import csv
import ctypes
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from catalog.cli import main

PLAIN = (
    "is not a plain decimal id. Write ids with the digits 0-9 only (no sign, space, point, "
    "exponent, 0x or _)."
)
# Values DuckDB's integer cast accepts although they are not plain decimals.
LENIENT = ["1e3", "0x10", "0b101", "1_000", "7.5", "+78", " 77 ", "-1"]


@pytest.fixture(params=["upstream"])
def layout(request) -> str:
    return request.param


@pytest.fixture
def data(samples, layout, tmp_path) -> Path:
    """A private copy of the generated sample (300 captions), to damage."""
    shutil.copytree(samples[layout], tmp_path / "data", symlinks=True)
    return tmp_path / "data"


@pytest.fixture
def db(catalogs, layout, tmp_path) -> Path:
    """A good catalog at --db that every refused build must leave byte for byte as it was."""
    shutil.copy(catalogs[layout], tmp_path / "emm1.duckdb")
    return tmp_path / "emm1.duckdb"


both_layouts = pytest.mark.parametrize("layout", ["upstream", "legacy"], indirect=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(data: Path, db: Path, *options: str):
    return CliRunner().invoke(
        main, ["build", str(data), "--db", str(db), "-q", *options], catch_exceptions=False
    )


def refused(data: Path, db: Path, *options: str) -> str:
    """Run a build that must fail; returns its one line of output."""
    before = digest(db)
    result = build(data, db, *options)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert digest(db) == before
    return lines[0]


def scalar(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def set_field(path: Path, record: int, column: str, value: str) -> None:
    """Set one field; `record` counts the header as 1."""
    rows = rows_of(path)
    rows[record - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def alone(data: Path, rel: str) -> Path:
    """Remove the parts other than the one `rel` is in (any part may be absent): a shorter build
    that fails the same way. Returns the file."""
    for part in data.iterdir():
        if part.name != rel.split("/")[0]:
            shutil.rmtree(part)
    return data / rel


def add_column(path: Path, name: str, value: str) -> None:
    rows = rows_of(path)
    write_rows(path, [rows[0] + [name]] + [r + [value] for r in rows[1:]])


# 7. Ids are plain decimals --------------------------------------------------------------------


@pytest.mark.parametrize("value", LENIENT)
def test_an_id_that_is_not_a_plain_decimal_is_refused(data, db, value):
    set_field(data / "e-mm1_100m/infos/image.csv", 5, "encord_image_id", value)
    assert refused(data, db) == (
        "Error: e-mm1_100m/infos/image.csv, record 5 (the header is record 1): column "
        f"encord_image_id: {value!r} {PLAIN}"
    )


@pytest.mark.parametrize(
    ("rel", "column", "record", "value"),
    [
        ("e-mm1_100m/infos/text.csv", "encord_text_id", 3, "1e3"),
        ("e-mm1_100m/nn_2/data_groups.csv", "encord_text_id", 4, "0x10"),
        ("e-mm1_100m/nn_16/data_groups.csv", "encord_points_id", 301, "+78"),
        ("e-mm1_100m/nn_7/data_groups.csv", "encord_audio_id", 9, "7.5"),
        ("e-mm1_1m/infos/points.csv", "encord_points_id", 2, "1_000"),
        ("e-mm1_1m/triplets.csv", "encord_text_id", 6, " 77 "),
        ("e-mm1_1m/triplets.csv", "encord_annotated_id", 7, "0b101"),
        ("e-mm1_1m/triplets.csv", "annotation", 3, "1e0"),
        ("eshot/eshot_audio_info.csv", "eshot_audio_id", 7, "-1"),
        ("eshot/eshot_points_info.csv", "eshot_point_id", 31, "2.0"),
    ],
)
def test_every_id_column_of_every_file_takes_plain_decimals_only(
    data, db, rel, column, record, value
):
    set_field(alone(data, rel), record, column, value)
    assert refused(data, db) == (
        f"Error: {rel}, record {record} (the header is record 1): column {column}: "
        f"{value!r} {PLAIN}"
    )


def test_annotation_codes_are_plain_decimals_named_by_the_files_own_column(data, db):
    set_field(alone(data, "e-mm1_1m/annotation_mapping.csv"), 3, "id", "+2")
    assert refused(data, db) == (
        "Error: e-mm1_1m/annotation_mapping.csv, record 3 (the header is record 1): column id: "
        f"'+2' {PLAIN}"
    )


@both_layouts
def test_triplet_ids_are_plain_decimals_in_both_schemas(data, db, layout):
    triplets = next(data.glob("*/triplets.csv"))
    alone(data, f"{triplets.parent.name}/triplets.csv")
    header = rows_of(triplets)[0]
    row = dict(zip(header, rows_of(triplets)[4], strict=True))
    column = "encord_paired_id" if layout == "upstream" else f"encord_{row['modality_1']}_id"
    set_field(triplets, 5, column, "1e3")
    assert refused(data, db) == (
        f"Error: {triplets.parent.name}/triplets.csv, record 5 (the header is record 1): "
        f"column {column}: '1e3' {PLAIN}"
    )


@pytest.mark.parametrize("token", ["1e3", "-1", '"12"', "99999999999", "null"])
def test_eshot_json_ids_are_plain_decimal_numbers(data, db, token):
    path = alone(data, "eshot/category_to_point_ids.json")
    text = path.read_text()
    first = text.index("[") + 1
    end = text.index(",", first)
    path.write_text(text[:first] + f"\n  {token}" + text[end:])
    line = refused(data, db)
    assert line.startswith("Error: eshot/category_to_point_ids.json: category 'dog', item 1: ")
    assert "is not" in line and "digits 0-9 only" in line


def test_leading_zeros_and_quoted_ids_are_still_plain_decimals(data, tmp_path):
    set_field(data / "e-mm1_100m/infos/image.csv", 2, "encord_image_id", "0001")
    shard = data / "e-mm1_100m/nn_5/data_groups.csv"
    lines = shard.read_text().split("\n")
    lines[1] = ",".join(f'"{v}"' for v in lines[1].split(","))  # every field of record 2 quoted
    shard.write_text("\n".join(lines))
    db = tmp_path / "c.duckdb"
    assert build(data, db).exit_code == 0
    assert scalar(db, "SELECT count(*) FROM infos_100m_image WHERE encord_image_id = 1") == 1
    assert scalar(db, "SELECT count(*) FROM nn_groups WHERE nn_index = 5") == 300


# 8. nn_index is the shard's k -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("0", "column nn_index: '0' is not 4. Every row of a shard in nn_4/ has nn_index 4."),
        ("17", "column nn_index: '17' is not 4. Every row of a shard in nn_4/ has nn_index 4."),
        ("-1", f"column nn_index: '-1' {PLAIN}"),
        ("", "column nn_index is empty. Every row needs its nn_index."),
    ],
    ids=["0", "17", "-1", "empty"],
)
def test_nn_index_must_be_the_k_of_the_shard_folder(data, db, value, why):
    set_field(data / "e-mm1_100m/nn_4/data_groups.csv", 6, "nn_index", value)
    assert refused(data, db) == (
        f"Error: e-mm1_100m/nn_4/data_groups.csv, record 6 (the header is record 1): {why}"
    )


def test_a_shard_whose_rows_name_another_k_is_refused(data, db):
    shard = data / "e-mm1_100m/nn_3/data_groups.csv"
    lines = shard.read_text().split("\n")
    shard.write_text(
        "\n".join([lines[0]] + [ln[: ln.rindex(",")] + ",5" for ln in lines[1:] if ln])
    )
    assert refused(data, db) == (
        "Error: e-mm1_100m/nn_3/data_groups.csv, record 2 (the header is record 1): column "
        "nn_index: '5' is not 3. Every row of a shard in nn_3/ has nn_index 3."
    )


# 9. Extra columns in one shard ----------------------------------------------------------------


def test_an_extra_column_of_one_shard_is_kept_and_null_for_the_others(data, tmp_path):
    add_column(data / "e-mm1_100m/nn_2/data_groups.csv", "score", "0.9")
    add_column(data / "e-mm1_100m/nn_9/data_groups.csv", "Score", "0.1")  # same, other case
    db = tmp_path / "c.duckdb"
    result = build(data, db)
    assert result.exit_code == 0, result.output
    counts = dict(
        duckdb.connect(str(db), read_only=True)
        .execute("SELECT nn_index, count(score) FROM nn_groups GROUP BY ALL")
        .fetchall()
    )
    assert counts == {k: 300 if k in (2, 9) else 0 for k in range(1, 17)}
    assert scalar(db, "SELECT DISTINCT score FROM nn_groups WHERE nn_index = 9") == "0.1"
    assert scalar(db, "SELECT comment FROM duckdb_columns() WHERE column_name = 'score'") == (
        "Extra column score of e-mm1_100m/nn_2/data_groups.csv, kept as text."
    )


# 10. Headers, unreadable files, quotes, huge records --------------------------------------------


def test_two_header_names_that_differ_only_in_case_are_refused(data, db):
    add_column(data / "e-mm1_100m/infos/text.csv", "Caption", "x")
    assert refused(data, db) == (
        "Error: e-mm1_100m/infos/text.csv, record 1 (the header): columns 2 ('caption') and "
        "5 ('Caption') have the same name once case is ignored, as DuckDB compares names. "
        "Rename or remove one of them."
    )


def test_an_empty_header_name_is_refused(data, db):
    add_column(alone(data, "eshot/eshot_points_info.csv"), "", "x")
    assert refused(data, db) == (
        "Error: eshot/eshot_points_info.csv, record 1 (the header): column 5 has no name. "
        "Name it, or remove the column."
    )


def _without_file_permissions() -> None:
    """For a child process of root: keep uid 0 but drop CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH from the bounding set, so file permissions apply after exec."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def refused_in_process(data: Path, db: Path) -> str:
    before = digest(db)
    result = subprocess.run(
        [sys.executable, "-m", "catalog.cli", "build", str(data), "--db", str(db), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_without_file_permissions,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert digest(db) == before
    return lines[0]


UNREADABLE = (
    "Check that it is a file (or a folder) you may read, and that you may open the folders "
    "above it."
)


def test_an_unreadable_file_is_named(data, db):
    alone(data, "e-mm1_1m/infos/video.csv").chmod(0)
    assert refused_in_process(data, db) == (
        f"Error: e-mm1_1m/infos/video.csv cannot be read: Permission denied. {UNREADABLE}"
    )


@pytest.mark.parametrize(
    ("folder", "mode", "named"),
    [
        ("e-mm1_100m", 0o311, "e-mm1_100m"),  # cannot be listed
        ("e-mm1_100m/nn_3", 0, "e-mm1_100m/nn_3/data_groups.csv"),  # cannot be searched
    ],
)
def test_an_unreadable_folder_is_named_while_discovering(data, db, folder, mode, named):
    (data / folder).chmod(mode)
    assert refused_in_process(data, db) == (
        f"Error: {named} cannot be read: Permission denied. {UNREADABLE}"
    )


def test_a_folder_or_a_looping_link_where_a_file_belongs_is_named(data, db):
    image = alone(data, "e-mm1_1m/infos/image.csv")
    image.unlink()
    image.mkdir()
    assert refused(data, db) == (
        f"Error: e-mm1_1m/infos/image.csv cannot be read: it is a folder, not a file. {UNREADABLE}"
    )
    image.rmdir()
    image.symlink_to(image.name)
    assert refused(data, db) == (
        "Error: e-mm1_1m/infos/image.csv cannot be read: Too many levels of symbolic links. "
        f"{UNREADABLE}"
    )


def test_an_unbalanced_quote_is_named_where_it_opens(data, db):
    text = data / "e-mm1_100m/infos/text.csv"
    rows = rows_of(text)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[:3])  # the header, records 2 and 3
    out.write(f'{rows[3][0]},"an opening quote, never closed,{rows[3][2]},{rows[3][3]}\n')
    csv.writer(out, lineterminator="\n").writerows(rows[4:])
    text.write_text(out.getvalue(), encoding="utf-8")
    assert refused(data, db) == (
        "Error: e-mm1_100m/infos/text.csv, record 4 (the header is record 1): a quoted field "
        'opens in this record and is never closed. Close it, or double every quote inside it ("").'
    )


def test_a_record_longer_than_the_limit_says_how_to_allow_it(data, db, tmp_path):
    text = alone(data, "e-mm1_1m/infos/text.csv")
    set_field(text, 3, "caption", "x" * 10_000_000)
    assert refused(data, db) == (
        "Error: e-mm1_1m/infos/text.csv, record 3 (the header is record 1): the record is "
        "10.0 MB, longer than the 2.0 MB a record may have. If it is meant to be that long, "
        "build with --max-record-size 11MB."
    )
    bigger = tmp_path / "bigger.duckdb"
    assert build(data, bigger, "--max-record-size", "11MB").exit_code == 0
    assert scalar(bigger, "SELECT max(length(caption)) FROM infos_1m_text") == 10_000_000
    assert refused(data, db, "--max-record-size", "lots") == (
        "Error: --max-record-size: 'lots' is not a size. Write it like 512MB, 2GB or 1GiB."
    )


# 11. Empty files, required and unique ids -----------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "what"),
    [
        ("eshot/category_to_audio_ids.json", 'no categories, not even "{}"'),
        ("e-mm1_1m/annotation_mapping.csv", "not even a header"),
        ("e-mm1_100m/nn_12/data_groups.csv", "not even a header"),
    ],
)
def test_an_empty_file_is_refused_whatever_its_kind(data, db, rel, what):
    alone(data, rel).write_bytes(b"")
    assert refused(data, db) == (
        f'Error: {rel} is empty: {what}. Fetch it again: git lfs pull --include="{rel}"'
    )


@pytest.mark.parametrize(
    ("rel", "column", "record"),
    [
        ("e-mm1_100m/infos/video.csv", "encord_video_id", 4),
        ("e-mm1_100m/nn_1/data_groups.csv", "encord_text_id", 300),
        ("e-mm1_100m/nn_6/data_groups.csv", "encord_image_id", 2),
        ("e-mm1_1m/triplets.csv", "encord_paired_id", 8),
        ("e-mm1_1m/annotation_mapping.csv", "id", 2),
        ("eshot/eshot_audio_info.csv", "eshot_audio_id", 11),
    ],
)
def test_an_empty_id_is_refused_where_the_contract_makes_it_the_key(data, db, rel, column, record):
    set_field(alone(data, rel), record, column, "")
    assert refused(data, db) == (
        f"Error: {rel}, record {record} (the header is record 1): column {column} is empty. "
        f"Every row needs its {column}."
    )


@pytest.mark.parametrize("layout", ["legacy"], indirect=True)
def test_legacy_triplets_must_fill_the_ids_of_their_two_modalities(data, db):
    triplets = alone(data, "encord_phase_2_dataset/triplets.csv")
    row = dict(zip(rows_of(triplets)[0], rows_of(triplets)[5], strict=True))
    set_field(triplets, 6, f"encord_{row['modality_2']}_id", "")
    assert refused(data, db) == (
        "Error: encord_phase_2_dataset/triplets.csv, record 6 (the header is record 1): column "
        f"encord_{row['modality_2']}_id is empty (modality_2 is {row['modality_2']}). In the "
        "legacy schema every row fills modality_1, modality_2 and the id columns of those two "
        "modalities."
    )


@pytest.mark.parametrize(
    ("rel", "column"),
    [
        ("eshot/eshot_audio_info.csv", "eshot_audio_id"),
        ("eshot/eshot_points_info.csv", "eshot_point_id"),
        ("e-mm1_100m/infos/points.csv", "encord_points_id"),
    ],
)
def test_duplicate_ids_are_refused_with_their_records(data, db, rel, column):
    rows = rows_of(alone(data, rel))
    set_field(data / rel, 9, column, rows[2][rows[0].index(column)])
    assert refused(data, db) == (
        f"Error: {rel}, records 3 and 9 (the header is record 1): column {column}: "
        f"{int(rows[2][rows[0].index(column)])} appears 2 times. Ids must be unique within a "
        "part and modality: keep one row per id."
    )
