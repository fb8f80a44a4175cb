"""`emm1 sql` runs SQL from anyone on a connection that cannot touch files or its own settings."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.db import connect_hardened

REFUSED_FILE = "Permission Error: Cannot access file"
LOCKED = "the configuration has been locked"
REFUSED_STATEMENT = (
    "is refused (statement 1 of 1), so nothing ran. Only queries run here: SELECT (also WITH, "
    "FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT with its IN list), EXPLAIN of a query, and "
    "COPY ... TO a file under --allow-files DIR.\n"
)


def sql(db, query, *extra):
    return CliRunner().invoke(
        main, ["sql", query, "--db", str(db), "--format", "csv", *map(str, extra)]
    )


@pytest.mark.parametrize(
    "query,refusal",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", f'{REFUSED_FILE} "/etc/passwd"'),
        ("SELECT * FROM read_text('/etc/hostname')", f'{REFUSED_FILE} "/etc/hostname"'),
        ("COPY (SELECT 1) TO '{tmp}/out.csv'", f'{REFUSED_FILE} "{{tmp}}/out.csv"'),
    ],
)
def test_sql_refuses_files(catalogs, tmp_path, query, refusal):
    result = sql(catalogs["upstream"], query.format(tmp=tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the query failed: ")
    assert refusal.format(tmp=tmp_path) in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.parametrize(
    "query",
    [
        "ATTACH '{tmp}/other.duckdb' AS other",
        "EXPORT DATABASE '{tmp}/dump'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET allowed_directories",
        "SET memory_limit = '100GB'",
        "LOAD httpfs",
    ],
)
def test_sql_refuses_attach_export_set_and_load_before_running_anything(catalogs, tmp_path, query):
    query = query.format(tmp=tmp_path)
    result = sql(catalogs["upstream"], query)
    assert result.exit_code == 1
    assert result.stderr[:8] in ("Error: '", 'Error: "') and query[:12] in result.stderr
    assert result.stderr.endswith(REFUSED_STATEMENT) and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_permission_errors_say_how_to_allow_a_folder(catalogs):
    result = sql(catalogs["upstream"], "SELECT * FROM read_csv('/etc/passwd')")
    assert result.stderr == (
        'Error: the query failed: Permission Error: Cannot access file "/etc/passwd" - file '
        "system operations are disabled by configuration. Queries cannot read or write files; "
        "--allow-files DIR opens one folder.\n"
    )


def test_allow_files_opens_exactly_one_folder(catalogs, tmp_path):
    db = catalogs["upstream"]
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ids.csv").write_text("encord_text_id\n1\n")
    (tmp_path / "allowed_too.csv").write_text("x\n1\n")  # shares the folder's name as a prefix
    (tmp_path / "secret.csv").write_text("x\n1\n")

    copied = sql(
        db,
        f"COPY (SELECT encord_text_id FROM nn_groups_resolved ORDER BY 1 LIMIT 2) "
        f"TO '{allowed}/first.csv'",
        "--allow-files",
        allowed,
    )
    assert copied.exit_code == 0, copied.stderr
    assert (allowed / "first.csv").read_text().splitlines()[0] == "encord_text_id"
    read = sql(db, f"SELECT * FROM read_csv('{allowed}/ids.csv')", "--allow-files", allowed)
    assert read.stdout.replace('"', "") == "encord_text_id\n1\n"

    for outside in (
        f"{allowed}/../secret.csv",
        f"{tmp_path}/allowed_too.csv",
        "/etc/passwd",
    ):
        refused = sql(db, f"SELECT * FROM read_csv('{outside}')", "--allow-files", allowed)
        assert refused.exit_code == 1 and REFUSED_FILE in refused.stderr, outside
    escaped = sql(db, f"COPY (SELECT 1) TO '{tmp_path}/escaped.csv'", "--allow-files", allowed)
    assert escaped.exit_code == 1 and not (tmp_path / "escaped.csv").exists()
    reset = sql(db, "SET allowed_directories = ['/']", "--allow-files", allowed)
    assert reset.exit_code == 1 and REFUSED_STATEMENT in reset.stderr


def test_allow_files_needs_an_existing_folder(catalogs, tmp_path):
    result = sql(catalogs["upstream"], "SELECT 1", "--allow-files", tmp_path / "nope")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_hardened_connection_still_reads_the_catalog(catalogs):
    with connect_hardened(catalogs["legacy"]) as con:
        assert con.execute("SELECT count(*) FROM nn_groups_resolved").fetchall() == [(4800,)]
        assert con.execute("SELECT current_setting('enable_external_access')").fetchall() == [
            (False,)
        ]
        with pytest.raises(Exception, match="read-only"):
            con.execute("CREATE TABLE t (x INTEGER)")
        # Under the statement check, DuckDB's own lock still holds for code that skips it.
        for setting in ("SET enable_external_access = true", "SET temp_directory = '/tmp'"):
            with pytest.raises(duckdb.Error, match="locked|disabled by configuration"):
                con.execute(setting)


def test_hardened_connections_in_one_process_each_keep_their_own_folders(catalogs, tmp_path):
    db = catalogs["upstream"]
    (tmp_path / "a.csv").write_text("x\n1\n")
    with connect_hardened(db, [tmp_path]) as opened:
        with connect_hardened(db) as closed:  # a private instance: its own, stricter settings
            assert first_row_of(closed, "SELECT count(*) FROM captions") > 0
            with pytest.raises(duckdb.Error, match="disabled by configuration"):
                closed.execute(f"SELECT * FROM read_csv('{tmp_path / 'a.csv'}')")
        assert first_row_of(opened, f"SELECT count(*) FROM read_csv('{tmp_path / 'a.csv'}')") == 1


def first_row_of(con, query):
    return con.execute(query).fetchall()[0][0]


def test_a_plain_connection_in_the_same_process_is_not_hardened_behind_its_back(catalogs):
    db = catalogs["legacy"]
    with duckdb.connect(str(db), read_only=True) as plain:
        with connect_hardened(db) as hardened:
            assert first_row_of(hardened, "SELECT count(*) FROM nn_groups") == 4800
        assert plain.execute("SELECT current_setting('lock_configuration')").fetchall() == [
            (False,)
        ]
        plain.execute("SET threads = 1")  # still its owner's to change
