"""`emm1 export` and the hardened connection: round trips, layout, manifest, failures."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.dataset
import pytest
from click.testing import CliRunner

import catalog
from catalog.cli import main
from catalog.db import connect_hardened
from catalog.definitions import VIEWS
from catalog.errors import CatalogError
from catalog.export import export_slice, parse_size
from catalog.progress import Progress
from catalog.templates import get_template


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def bag(con, sql, params=None):
    cur = con.execute(sql, params) if params else con.execute(sql)
    return sorted(map(repr, cur.fetchall()))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_template_export_round_trips_with_hive_partitions_and_manifest(db, plain, tmp_path):
    out = tmp_path / "slices" / "k"
    result = run(
        "export",
        "groups",
        "-p",
        "k",
        "1..4",
        "-p",
        "modalities",
        "image,audio",
        "--db",
        db,
        "--out",
        out,
        "--partition-by",
        "nn_index",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"exported 1,200 rows to {out}: 4 files, ")
    assert result.stderr.endswith(f"; manifest {out.parent / 'k.manifest.json'}\n")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        f"nn_index={k}/data_0.parquet" for k in range(1, 5)
    ]
    t = get_template("groups")
    sql, bound = t.render(t.values({"k": "1..4", "modalities": "image,audio"}))
    table = pyarrow.dataset.dataset(out, format="parquet").to_table()  # nn_index in the files
    con = duckdb.connect()
    con.register("exported", table)
    columns = ", ".join(
        c
        for c in plain.execute(sql, bound).description
        and [d[0] for d in plain.execute(sql, bound).description]
    )
    assert bag(con, f"SELECT {columns} FROM exported") == bag(plain, sql, bound)
    via_duckdb = con.execute(
        f"SELECT count(*), count(DISTINCT nn_index) FROM read_parquet('{out}/**/*.parquet', "
        "hive_partitioning = false)"
    ).fetchall()
    assert via_duckdb == [(1200, 4)]

    manifest = json.loads((out.parent / "k.manifest.json").read_text())
    facts = dict(plain.execute("SELECT key, value FROM catalog_info").fetchall())
    assert manifest["template"] == "groups"
    assert set(manifest["parameters"]) == {p.name for p in t.params}  # every one, shown
    assert manifest["parameters"]["k"] == "1..4"
    assert manifest["parameters"]["modalities"] == "image,audio"
    assert manifest["parameters"]["source"] is None
    assert manifest["rows"] == 1200 and manifest["partition_by"] == ["nn_index"]
    assert manifest["files"] == [
        {
            "path": f"nn_index={k}/data_0.parquet",
            "bytes": (out / f"nn_index={k}" / "data_0.parquet").stat().st_size,
            "rows": 300,
        }
        for k in range(1, 5)
    ]
    assert manifest["catalog"]["built_at"] == facts["built_at"]
    assert manifest["catalog"]["tool_version"] == facts["tool_version"]
    assert manifest["catalog"]["settings"]["asset_root"] == "/assets"
    assert bag(plain, manifest["query"]) == bag(plain, sql, bound)
    assert leftovers(out.parent) == []


@pytest.mark.parametrize(
    "fmt,compression", [("csv", "none"), ("jsonl", "zstd"), ("parquet", "snappy")]
)
def test_view_export_with_where_in_each_format(db, plain, tmp_path, fmt, compression):
    out = tmp_path / "good"
    report = export_slice(
        db, out, view="triplets_labeled", where="annotation = 1", fmt=fmt, compression=compression
    )
    want = bag(plain, "SELECT * FROM triplets_labeled WHERE annotation = 1")
    assert report.rows == len(want) > 0
    [data] = [f["path"] for f in report.files]
    reader = {"csv": "read_csv", "jsonl": "read_json", "parquet": "read_parquet"}[fmt]
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        f"SELECT count(*), count(DISTINCT caption) FROM {reader}('{out / data}')"
    ).fetchall()
    assert (
        got
        == plain.execute(
            "SELECT count(*), count(DISTINCT caption) FROM triplets_labeled WHERE annotation = 1"
        ).fetchall()
    )
    assert (
        data == {"csv": "data_0.csv", "jsonl": "data_0.jsonl.zst", "parquet": "data_0.parquet"}[fmt]
    )
    if fmt == "parquet":
        assert bag(con, f"SELECT * FROM read_parquet('{out / data}')") == want


def test_max_file_size_splits_and_row_group_size_applies(db, tmp_path):
    out = tmp_path / "split"
    report = export_slice(
        db, out, template="groups", params={"k": "1..16"}, max_file_size="20KB", row_group_size=2048
    )
    assert len(report.files) >= 3 and sum(f["rows"] for f in report.files) == 4800
    assert {f["path"] for f in report.files} == {
        f"data_{i}.parquet" for i in range(len(report.files))
    }
    import pyarrow.parquet

    meta = pyarrow.parquet.read_metadata(out / "data_0.parquet")
    assert max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) == 2048


def test_existing_target_is_refused_without_overwrite_and_replaced_with_it(db, tmp_path):
    out = tmp_path / "k1"
    assert run("export", "groups", "--db", db, "--out", out).exit_code == 0
    again = run("export", "groups", "-p", "k", "2", "--db", db, "--out", out)
    assert again.exit_code == 1
    assert again.stderr == (
        f"Error: {out} already exists. Use --overwrite to replace it, or choose another --out.\n"
    )
    manifest = tmp_path / "k1.manifest.json"
    assert json.loads(manifest.read_text())["parameters"]["k"] == "1"
    replaced = run("export", "groups", "-p", "k", "2", "--db", db, "--out", out, "--overwrite")
    assert replaced.exit_code == 0
    assert json.loads(manifest.read_text())["parameters"]["k"] == "2"
    assert sorted(os.listdir(out)) == ["data_0.parquet"]
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("x")
    refused = run("export", "groups", "--db", db, "--out", precious, "--overwrite")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {precious} is not an earlier export (no precious.manifest.json beside it), so "
        f"--overwrite leaves it alone: choose another --out, or remove {precious} yourself if "
        "it should go.\n"
    )
    assert (precious / "thesis.tex").read_text() == "x"
    assert leftovers(tmp_path) == []


def test_a_query_failing_at_run_time_leaves_no_target(db, tmp_path):
    out = tmp_path / "bad"
    result = run(
        "export",
        "--view",
        "nn_groups_resolved",
        "--where",
        "CAST(caption AS INTEGER) > 0",
        "--db",
        db,
        "--out",
        out,
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the export failed: Conversion Error: ")
    assert result.stderr.endswith(". Nothing was written to the target.\n")
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_killed_export_leaves_no_target_and_the_next_one_cleans_up(db, tmp_path):
    """The process dies (SIGKILL) with every file written but before the rename."""
    out = tmp_path / "killed"
    script = (
        "import os, signal, sys\n"
        "import catalog.export as e\n"
        "e._commit = lambda work, out: os.kill(os.getpid(), signal.SIGKILL)\n"
        "e.export_slice(sys.argv[1], sys.argv[2], template='groups', params={'k': '1..16'})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(db), str(out)], capture_output=True)
    assert proc.returncode == -9
    assert not out.exists()
    [stale] = leftovers(tmp_path)
    assert stale.startswith(".killed.exporting-")
    assert list((tmp_path / stale).rglob("*.parquet"))  # it had written data
    export_slice(db, out, template="groups")
    assert (tmp_path / "killed.manifest.json").is_file() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "where,message",
    [
        (
            "encord_text_id IN (SELECT 1 FROM read_csv('/etc/passwd'))",
            "Error: --where \"encord_text_id IN (SELECT 1 FROM read_csv('/etc/passwd'))\" is "
            'not a valid filter: Permission Error: Cannot access file "/etc/passwd" - '
            "file system operations are disabled by configuration\n",
        ),
        (
            "true) TO '/tmp/emm1-evil.csv' (FORMAT csv); --",
            "Error: --where \"true) TO '/tmp/emm1-evil.csv' (FORMAT csv); --\" is not a valid "
            'filter: Parser Error: syntax error at or near ")"\n',
        ),
        ("true; DROP TABLE triplets", None),
        ("nope = 1", None),
    ],
)
def test_where_cannot_touch_files_or_change_the_query(db, tmp_path, where, message):
    out = tmp_path / "w"
    result = run("export", "--view", "triplets_labeled", "--where", where, "--db", db, "--out", out)
    assert result.exit_code == 1
    if message:
        assert result.stderr == message
    assert not out.exists() and leftovers(tmp_path) == []
    assert not Path("/tmp/emm1-evil.csv").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "export needs one of a template NAME, --view VIEW or --sql QUERY, and only one."),
        (
            ["groups", "--view", "assets"],
            "export needs one of a template NAME, --view VIEW or --sql QUERY, and only one.",
        ),
        (
            ["--view", "assets", "--sql", "SELECT 1"],
            "export needs one of a template NAME, --view VIEW or --sql QUERY, and only one.",
        ),
        (
            ["groups", "--where", "true"],
            "--where filters a --view; a template takes its filters as -p NAME VALUE, a query "
            "its own WHERE.",
        ),
        (
            ["groups", "--limit", "5", "--sample", "5"],
            "--limit takes the first rows and --sample a random set of rows: give one of them.",
        ),
        (["groups", "--seed", "3"], "--seed chooses the rows of --sample N: give both."),
        (["groups", "--sample", "-1"], "--sample takes a number of rows, 0 or more; got -1."),
        (["groups", "--limit", "-2"], "--limit takes a number of rows, 0 or more; got -2."),
        (
            ["--view", "nope"],
            f"no view 'nope' in the catalog. Views: {', '.join(sorted(VIEWS))}.",
        ),
        (
            ["groups", "--partition-by", "k"],
            "cannot partition by 'k': not a column of the result. Columns: encord_text_id, "
            "nn_index, caption, encord_image_id, image_file_path, encord_audio_id, "
            "audio_file_path, encord_video_id, video_file_path, encord_points_id, "
            "points_file_path.",
        ),
        (
            ["groups", "--format", "csv", "--compression", "snappy"],
            "'snappy' is not a compression for csv. Compressions: zstd, none.",
        ),
        (
            ["groups", "--max-file-size", "lots"],
            "'lots' is not a size. Write it like 512MB, 2GB or 1GiB.",
        ),
        (
            ["groups", "-p", "k", "99"],
            "parameter k of groups: '99' is not allowed. Allowed: 1 to 16 (a number or lo..hi), "
            "e.g. 1 or 1..16.",
        ),
    ],
)
def test_export_usage_errors(db, tmp_path, args, message):
    result = run("export", *args, "--db", db, "--out", tmp_path / "x")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert not (tmp_path / "x").exists() and leftovers(tmp_path) == []


def test_progress_goes_to_its_stream(db, tmp_path):
    stream = io.StringIO()
    export_slice(db, tmp_path / "p", template="counts_by_k", progress=Progress(True, stream))
    assert stream.getvalue().startswith(f"exporting to {tmp_path / 'p'} ...")
    assert " 16 rows (" in stream.getvalue()


def test_sizes():
    assert parse_size("512MB") == 512_000_000
    assert parse_size("1GiB") == 2**30
    assert parse_size("100") == 100
    with pytest.raises(CatalogError):
        parse_size("-1MB")


def test_python_api_relations_and_export(db, tmp_path):
    with catalog.open_catalog(db) as cat:
        rel = cat.template("modality_pair", modality_1="points", modality_2="audio")
        assert isinstance(rel, duckdb.DuckDBPyRelation)
        table = rel.to_arrow_table()
        assert set(table.column("paired_modality").to_pylist()) == {"points", "audio"}
        good = cat.view("triplets_labeled", where="annotation = 1").to_arrow_table()
        assert set(good.column("annotation_label").to_pylist()) == {"Good Match"}
        with pytest.raises(
            CatalogError, match="no view 'nope' in the catalog. Views: asset_presence, assets,"
        ):
            cat.view("nope")
        with pytest.raises(CatalogError, match="is not a valid filter"):
            cat.view("assets", where="1) UNION SELECT 1 --")
        report = cat.export(
            tmp_path / "e",
            template="modality_pair",
            params={"modality_1": "points", "modality_2": "audio"},
        )
    back = pyarrow.dataset.dataset(tmp_path / "e", format="parquet").to_table()
    assert back.sort_by("encord_text_id").equals(table.sort_by("encord_text_id")) or (
        sorted(map(str, back.to_pylist())) == sorted(map(str, table.to_pylist()))
    )
    assert report.rows == table.num_rows


def test_hardened_connection_reads_the_catalog_and_writes_only_where_allowed(db, tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    mine = duckdb.connect(str(db), read_only=True)  # another connection in this process
    con = connect_hardened(db, allow_dirs=[allowed], settings={"memory_limit": "256MB"})
    assert con.execute("SELECT count(*) FROM nn_groups_resolved").fetchall() == [(4800,)]
    con.execute(f"COPY (SELECT 1 AS a) TO '{allowed / 'a.csv'}'")
    assert (allowed / "a.csv").is_file()
    for sql in (
        f"COPY (SELECT 1) TO '{tmp_path / 'b.csv'}'",
        "SELECT * FROM read_text('/etc/hostname')",
        f"ATTACH '{tmp_path / 'c.duckdb'}' AS c",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "DELETE FROM nn_groups",
        "LOAD httpfs",
    ):
        with pytest.raises(duckdb.Error):
            con.execute(sql)
    assert not (tmp_path / "b.csv").exists() and not (tmp_path / "c.duckdb").exists()
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0].startswith("244")
    # Locking the hardened connection does not lock the process's other connections.
    assert mine.execute(f"SELECT count(*) FROM read_csv('{allowed / 'a.csv'}')").fetchall()
    con.close()
    mine.close()
    with pytest.raises(CatalogError, match="no catalog there"):
        connect_hardened(tmp_path / "none.duckdb")
    assert os.listdir(allowed) == ["a.csv"]


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 1), (signal.SIGTERM, 143)])
def test_ctrl_c_or_kill_mid_export_stops_it_and_leaves_nothing(db, tmp_path, signum, code):
    """A real `emm1 export` process, signalled while DuckDB is busy with a slow query."""
    out = tmp_path / "slow"
    slow = "(SELECT sum(hash(range)) FROM range(100000000000)) IS NOT NULL"
    emm1 = Path(sys.executable).with_name("emm1")
    proc = subprocess.Popen(
        [
            emm1,
            "export",
            "--view",
            "assets",
            "--where",
            slow,
            "--db",
            db,
            "--out",
            out,
            "--threads",
            "1",
            "--quiet",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    while not leftovers(tmp_path) and proc.poll() is None:
        time.sleep(0.05)
    assert leftovers(tmp_path)[0].startswith(".slow.exporting-")
    time.sleep(0.5)  # let it reach the COPY; earlier is handled the same way
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert not out.exists() and leftovers(tmp_path) == []


def test_the_folder_holds_only_data_and_the_manifest_lies_beside_it(db, tmp_path):
    """Readers take every file in a folder they read (polars and Daft fail on any other file,
    Daft reads a JSON one as a row): the manifest is not in the folder."""
    out = tmp_path / "new" / "parents" / "good"
    report = export_slice(
        db, out, view="triplets_labeled", fmt="jsonl", partition_by=["annotation"]
    )
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [f"annotation={k}/data_0.jsonl" for k in (1, 2, 3)]
    assert report.manifest_path == tmp_path / "new" / "parents" / "good.manifest.json"
    manifest = json.loads(report.manifest_path.read_text())
    assert [f["path"] for f in manifest["files"]] == files
    assert manifest["rows"] == report.rows
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM read_json('{out}/**')").fetchall() == [(report.rows,)]


def test_non_ascii_partition_values_name_their_folders_in_utf8(db, plain, tmp_path):
    """DuckDB writes `São` as `S%C3%A3o` in a folder name and Spark reads that back as
    `SÃ£o`: the folders get the UTF-8 name Spark and Hive write; ASCII escapes stay."""
    out = tmp_path / "captions"
    where = (
        "encord_text_id < 40 AND regexp_matches(caption, '[^\\x00-\\x7F]') AND length(caption) < 90"
    )
    result = run(
        "export", "--view", "captions", "--where", where, "--partition-by", "caption",
        "--db", db, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    folders = sorted(os.listdir(out))
    want = plain.execute(f"SELECT DISTINCT caption FROM captions WHERE {where}").fetchall()
    assert len(folders) == len(want) > 0
    assert all(not name.isascii() and "%C3" not in name for name in folders)
    assert all(name.startswith("caption=") and "%20" in name for name in folders)
    back = duckdb.connect().execute(
        f"SELECT DISTINCT caption FROM read_parquet('{out}/*/*.parquet', hive_partitioning = "
        "true, hive_types = {'caption': VARCHAR})"
    )
    assert sorted(back.fetchall()) == sorted(want)  # the values of the folder names


def test_limit_takes_the_first_rows_in_the_query_order(db, plain, tmp_path):
    out = tmp_path / "first"
    report = export_slice(db, out, template="counts_by_k", limit=5, fmt="csv")
    assert report.rows == 5 and report.manifest["limit"] == 5
    got = duckdb.connect().execute(f"SELECT * FROM read_csv('{out}/*.csv')").fetchall()
    assert got == plain.execute(f"{report.manifest['query']}").fetchall()
    assert (
        got
        == plain.execute(
            "SELECT * FROM (" + catalog.open_catalog(db).render("counts_by_k") + ") LIMIT 5"
        ).fetchall()
    )


def test_a_sample_is_the_same_for_the_same_seed_whatever_the_threads(db, plain, tmp_path):
    """Rows of a GROUP BY come out in an order that changes with the threads; DuckDB's
    `USING SAMPLE ... REPEATABLE` follows that order, the sample's hash does not."""
    query = (
        "SELECT encord_text_id, count(*) AS n, max(caption) AS c FROM nn_groups_resolved GROUP BY 1"
    )
    samples = []
    for threads, seed in ((1, 7), (4, 7), (2, 7), (2, 8)):
        out = tmp_path / f"s{threads}-{seed}"
        result = run(
            "export", "--sql", query, "--sample", "25", "--seed", seed, "--threads", threads,
            "--format", "csv", "--db", db, "--out", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        rows = duckdb.connect().execute(f"SELECT * FROM read_csv('{out}/*.csv')").fetchall()
        samples.append(sorted(rows))
        manifest = json.loads((tmp_path / f"s{threads}-{seed}.manifest.json").read_text())
        assert (manifest["sample"], manifest["seed"], manifest["sql"]) == (25, seed, query)
    assert len(samples[0]) == 25 and samples[0] == samples[1] == samples[2]
    assert samples[3] != samples[0]  # another seed, other rows
    everything = set(plain.execute(query).fetchall())
    assert set(samples[0]) <= everything and set(samples[3]) <= everything


def test_sql_exports_one_select_on_the_sandboxed_connection(db, plain, tmp_path):
    out = tmp_path / "q"
    query = "SELECT nn_index, count(*) AS n FROM nn_groups GROUP BY ALL ORDER BY 1; -- per k"
    result = run("export", "--sql", query, "--format", "csv", "--db", db, "--out", out)
    assert result.exit_code == 0, result.stderr
    back = duckdb.connect().execute(f"SELECT * FROM read_csv('{out}/*.csv')").fetchall()
    assert back == [(k, 300) for k in range(1, 17)]
    assert json.loads((tmp_path / "q.manifest.json").read_text())["sql"] == query


@pytest.mark.parametrize(
    "query,message",
    [
        (
            "DROP TABLE captions",
            "--sql takes one SELECT statement (also WITH, FROM or VALUES), not a DROP "
            "statement; nothing ran.",
        ),
        (
            "SELECT 1; SELECT 2",
            "--sql takes one SELECT statement (also WITH, FROM or VALUES), not 2 statements; "
            "nothing ran.",
        ),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            'the export query failed: Permission Error: Cannot access file "/etc/passwd" - '
            "file system operations are disabled by configuration",
        ),
        ("SELEC 1", '--sql is not valid SQL: Parser Error: syntax error at or near "SELEC"'),
    ],
)
def test_sql_that_is_not_one_query_or_reads_files_is_refused(db, tmp_path, query, message):
    result = run("export", "--sql", query, "--db", db, "--out", tmp_path / "x")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert not (tmp_path / "x").exists() and leftovers(tmp_path) == []


def test_out_below_a_file_is_a_one_line_error(db, tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("export", "groups", "--db", db, "--out", tmp_path / "file" / "k1")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot create the folder {tmp_path / 'file'}: File exists. Choose another --out.\n"
    )


def test_python_api_takes_format_and_speaks_python_in_its_errors(db, tmp_path):
    with catalog.open_catalog(db) as cat:
        report = cat.export(tmp_path / "c", view="captions", format="csv")
        assert report.files[0]["path"] == "data_0.csv"
        with pytest.raises(CatalogError) as e:
            cat.export(tmp_path / "c", view="captions", format="csv")
        assert str(e.value) == (
            f"{tmp_path / 'c'} already exists. Use overwrite=True to replace it, or choose "
            "another out folder."
        )
        with pytest.raises(CatalogError, match=r"^seed= chooses the rows of sample= N"):
            cat.export(tmp_path / "d", view="captions", seed=3)
        cat.export(tmp_path / "c", view="captions", fmt="jsonl", overwrite=True)
    assert os.listdir(tmp_path / "c") == ["data_0.jsonl"]


KILL_AT_RENAME = (
    "import os, signal, sys\n"
    "import catalog.export as e\n"
    "renames, real = [0], os.rename\n"
    "def rename(a, b):\n"
    "    renames[0] += 1\n"
    "    if renames[0] == int(sys.argv[3]):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    real(a, b)\n"
    "e.os.rename = rename\n"
    "e.export_slice(sys.argv[1], sys.argv[2], template='groups', params={'k': '2'},\n"
    "               overwrite=True)\n"
)


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
def test_a_manifest_never_describes_a_folder_it_was_not_written_for(db, tmp_path, kill_at):
    """An export over an earlier one is killed (SIGKILL) at each of its four renames: the
    manifest beside the folder, if there is one, is always that folder's own; the next export
    cleans up."""
    out = tmp_path / "k"
    export_slice(db, out, template="groups", params={"k": "1"})
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, str(db), str(out), str(kill_at)],
        capture_output=True,
    )
    assert proc.returncode == -9
    sidecar = tmp_path / "k.manifest.json"
    if sidecar.exists() and out.exists():
        manifest = json.loads(sidecar.read_text())
        on_disk = sorted(
            (p.relative_to(out).as_posix(), p.stat().st_size) for p in out.rglob("*") if p.is_file()
        )
        assert on_disk == sorted((f["path"], f["bytes"]) for f in manifest["files"])
        k = duckdb.connect().execute(f"SELECT DISTINCT nn_index FROM '{out}/*.parquet'").fetchall()
        assert [(int(manifest["parameters"]["k"]),)] == k
    again = run("export", "groups", "-p", "k", "3", "--db", db, "--out", out, "--overwrite")
    if out.exists() and not sidecar.exists():  # killed between the last two renames
        assert again.exit_code == 1 and "is not an earlier export" in again.stderr
        assert kill_at == 4
    else:
        assert again.exit_code == 0, again.stderr
        assert json.loads(sidecar.read_text())["parameters"]["k"] == "3"
    assert leftovers(tmp_path) == []
