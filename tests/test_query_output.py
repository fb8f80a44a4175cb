"""What `emm1 sql`, `emm1 query`, `emm1 shell` and exports show people: DuckDB's whole error
message with its hints, how many rows there are and how to see them all, values that wrap at
words, rows in a documented order, and `.schema` of a table macro."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner

import catalog
from catalog.cli import main
from catalog.errors import CatalogError
from catalog.templates import get_template

# The columns that identify a triplet, its documented export order (catalog.view_order).
TRIPLET = (
    "encord_text_id",
    "paired_modality",
    "annotated_modality",
    "encord_paired_id",
    "encord_annotated_id",
    "annotation",
)


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def shell(db, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", "shell", "--db", str(db)],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )


HINTS = [
    (
        "SELECT * FROM triplets_labele",
        "Catalog Error: Table with name triplets_labele does not exist! "
        'Did you mean "triplets_labeled"?',
    ),
    (
        "SELECT annotaton FROM triplets_labeled",
        'Binder Error: Referenced column "annotaton" not found in FROM clause! Candidate bindings: '
        '"annotation"',
    ),
    (
        "SELECT * FROM modality_pair('points')",
        "Binder Error: Macro modality_pair() does not support the supplied arguments. You might "
        "need to add explicit type casts. Candidate macros: modality_pair(modality_1, modality_2, ",
    ),
    ("SELEC 1", 'Parser Error: syntax error at or near "SELEC"'),
]


@pytest.mark.parametrize("query,hint", HINTS, ids=["table", "column", "macro", "syntax"])
def test_duckdb_hints_reach_the_user_on_one_line(query, hint, db):
    result = run("sql", query, "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the query failed: {hint}")
    assert result.stderr.count("\n") == 1 and "LINE 1" not in result.stderr
    done = shell(db, query + ";\n")
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: the query failed: {hint}")
    assert done.stderr.count("\n") == 1


def test_a_bad_where_keeps_duckdbs_candidates_in_python_and_in_exports(db, tmp_path):
    with catalog.open_catalog(db) as cat, pytest.raises(CatalogError) as raised:
        cat.view("triplets_labeled", where="annotaton = 1")
    assert str(raised.value).startswith(
        "where 'annotaton = 1' is not a valid filter: Binder Error: Referenced column "
        '"annotaton" not found in FROM clause! Candidate bindings: "annotation"'
    )
    exported = run(
        "export", "--view", "nn_groups_resolved", "--where", "nn_indx = 1", "--out",
        tmp_path / "x", "--db", db, "-q",
    )  # fmt: skip
    assert exported.exit_code == 1
    assert 'Candidate bindings: "nn_index"' in exported.stderr


def test_the_message_helper_joins_lines_and_drops_the_pointer():
    from catalog.errors import duckdb_message

    con = duckdb.connect()
    con.execute("CREATE MACRO pick(a, b := 2) AS TABLE SELECT a, b")
    with pytest.raises(duckdb.Error) as raised:
        con.execute("SELECT * FROM pick()")
    assert duckdb_message(raised.value).endswith("Candidate macros: pick(a, b := 2)")
    with pytest.raises(duckdb.Error) as raised:
        con.execute("SELECT CAST('x' AS INTEGER)")
    assert duckdb_message(raised.value) == "Conversion Error: Could not convert string 'x' to INT32"


def data_rows(table: str) -> list[str]:
    """The body lines of a boxed table: between the header rule and the bottom rule."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("├"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return lines[start + 1 : end]


def test_max_rows_shows_more_and_the_footer_says_how_many_there_are(db):
    query = "SELECT range AS i FROM range(30)"
    default = run("sql", query, "--db", db).stdout
    assert len(data_rows(default)) == 20
    assert default.endswith(
        "30 rows, 20 shown: --max-rows N shows N (0: all), --format csv prints every row\n"
    )
    more = run("sql", query, "--db", db, "--max-rows", 25).stdout
    assert len(data_rows(more)) == 25 and "\n30 rows, 25 shown: --max-rows N" in more
    huge = run("sql", "SELECT range AS i FROM range(250000)", "--db", db).stdout
    assert huge.endswith("\nmore than 100,000 rows, 20 shown: --max-rows N shows N (0: all), "
                         "--format csv prints every row\n")  # fmt: skip
    every = run("sql", query, "--db", db, "--max-rows", 0).stdout
    assert [r.strip("│ ") for r in data_rows(every)] == [str(i) for i in range(30)]
    assert every.endswith("└───────┘\n30 rows\n")
    groups = run("query", "groups", "-p", "k", "1..2", "--db", db, "--max-rows", 3).stdout
    assert sum(line.startswith("├") for line in groups.splitlines()) == 3  # header, 2 between
    assert groups.endswith("\n600 rows, 3 shown: --max-rows N shows N (0: all), --format csv "
                           "prints every row\n")  # fmt: skip


def test_line_format_prints_one_column_per_line(db):
    out = run("sql", "SELECT 1 AS a, 'x' AS long_name UNION ALL SELECT 2, NULL", "--db", db,
              "--format", "line").stdout  # fmt: skip
    assert out == "        a = 1\nlong_name = x\n\n        a = 2\nlong_name = NULL\n\n2 rows\n"
    done = shell(
        db,
        ".format line\n.maxrows 1\n"
        "SELECT encord_text_id, caption FROM captions WHERE part = 'e-mm1_1m' "
        "ORDER BY 1 LIMIT 3;\n",
    )
    assert done.returncode == 0, done.stderr
    first, _, footer = done.stdout.partition("\n\n")
    assert first.splitlines()[0].startswith("encord_text_id = ")
    assert first.splitlines()[1].startswith("       caption = ")
    assert footer == "3 rows, 1 shown: .maxrows N shows N (0: all), .format csv prints every row\n"


def test_long_values_wrap_at_words_in_a_table(db):
    with duckdb.connect(str(db), read_only=True) as con:
        captions = [
            r[0]
            for r in con.execute(
                "SELECT caption FROM captions WHERE length(caption) > 90 ORDER BY part, "
                "encord_text_id LIMIT 3"
            ).fetchall()
        ]
    query = (
        "SELECT part, encord_text_id, caption FROM captions WHERE length(caption) > 90 "
        "ORDER BY part, encord_text_id LIMIT 3"
    )
    out = run("sql", query, "--db", db, env={"COLUMNS": "80"}).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines[:-1]) <= 80
    cells = " ".join(line.split("│")[3].strip() for line in data_rows(out) if "│" in line)
    for caption in captions:
        for word in caption.split():
            assert f" {word} " in f" {cells} ", word  # whole, on one line


def test_wrap_breaks_at_spaces_and_cuts_only_words_longer_than_a_line():
    from catalog.display import wrap

    assert wrap("a dog runs on the beach", 10) == ["a dog runs", "on the", "beach"]
    assert wrap("/assets/shared/image/000123.jpg", 16) == ["/assets/shared/", "image/000123.jpg"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("", 5) == [""]


def exported_rows(folder) -> list[dict]:
    files = sorted(folder.rglob("*.jsonl"))
    assert len(files) == 1
    return [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]


def test_view_and_template_exports_come_in_the_documented_order(db, tmp_path):
    out = tmp_path / "t"
    assert run("export", "--view", "triplets_labeled", "--out", out, "--db", db, "--format",
               "jsonl", "-q").exit_code == 0  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        want = con.execute(
            f"SELECT {', '.join(TRIPLET)} FROM triplets_labeled ORDER BY {', '.join(TRIPLET)}"
        ).fetchall()
    assert [tuple(r[k] for k in TRIPLET) for r in exported_rows(out)] == want
    out = tmp_path / "g"
    where = run("export", "--view", "nn_groups_resolved", "--where", "nn_index <= 3", "--out",
                out, "--db", db, "--format", "jsonl", "-q")  # fmt: skip
    assert where.exit_code == 0, where.stderr
    keys = [(r["encord_text_id"], r["nn_index"]) for r in exported_rows(out)]
    assert keys == sorted(keys) and len(keys) == 900
    out = tmp_path / "k"
    assert run("export", "groups", "-p", "k", "1..4", "--out", out, "--db", db, "--format",
               "jsonl", "-q").exit_code == 0  # fmt: skip
    keys = [(r["encord_text_id"], r["nn_index"]) for r in exported_rows(out)]
    assert keys == sorted(keys) and len(keys) == 1200


def test_schema_of_a_table_macro_shows_its_parameters_and_title(db):
    done = shell(db, ".schema groups\n.schema nn_groups_complete\n")
    assert done.returncode == 0, done.stderr
    t = get_template("groups")
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "table macro groups([k_min, k_max, modalities, source, licence, caption_contains, "
        f"match_case, present_only, exclude_eshot, order_by]): {t.title}"
    )
    for p in t.params:
        assert f"  {p.describe()}" in lines
    assert t.order_text() in lines
    assert lines[-1].startswith("table macro nn_groups_complete(modalities): nn_groups_present")


def test_files_missing_refuses_an_unknown_source_dataset_with_the_list(db, tmp_path):
    copy = tmp_path / "c.duckdb"
    copy.write_bytes(db.read_bytes())
    (tmp_path / "root").mkdir()
    scanned = run("files", "scan", "--db", copy, "--root", tmp_path / "root", "-q")
    assert scanned.exit_code == 0, scanned.stderr
    args = ["files", "missing", "--db", copy, "--out", tmp_path / "m.csv"]
    result = run(*args, "--modality", "audio", "--source-dataset", "audioset")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown source dataset 'audioset' in e-mm1_100m, e-mm1_1m, eshot audio. "
        "Choose from: AudioCaps, AudioSet, VGGSound, WavCaps (spelled as shown).\n"
    )
    assert not (tmp_path / "m.csv").exists()
    ok = run(*args, "--modality", "audio", "--source-dataset", "AudioSet")
    assert ok.exit_code == 0, ok.stderr


def test_unordered_view_export_has_the_same_rows_without_the_sort(db, tmp_path):
    """--unordered saves the sort (its memory, on a large view); the rows are the same."""
    outs = {}
    for name, extra in (("sorted", []), ("unordered", ["--unordered"])):
        outs[name] = tmp_path / name
        done = run("export", "--view", "triplets_labeled", "--out", outs[name], "--db", db,
                   "--format", "jsonl", "-q", *extra)  # fmt: skip
        assert done.exit_code == 0, done.stderr
    manifests = {
        n: json.loads(o.with_name(n + ".manifest.json").read_text()) for n, o in outs.items()
    }
    assert (manifests["sorted"]["ordered"], manifests["unordered"]["ordered"]) == (True, False)
    assert "ORDER BY" in manifests["sorted"]["query"]
    assert "ORDER BY" not in manifests["unordered"]["query"]
    rows = {n: exported_rows(o) for n, o in outs.items()}
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(rows["unordered"], key=key) == sorted(rows["sorted"], key=key)
    refused = run("export", "groups", "--unordered", "--out", tmp_path / "g", "--db", db)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: --unordered is for a --view export: a template takes -p order_by none, a query "
        "has the order of its own ORDER BY.\n"
    )
    with pytest.raises(CatalogError, match=r'ordered=False is for a view= export: a template '
                       r'takes params=\{"order_by": "none"\}'):  # fmt: skip
        catalog.open_catalog(db).export(tmp_path / "p", sql="SELECT 1", ordered=False)
