"""`emm1 shell`, driven as a user drives it: a script on stdin, and keys typed at a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import expected
import pytest

from catalog.shell import history_file
from catalog.templates import templates


def shell(db, script: str, *extra, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", "shell", "--db", str(db), *map(str, extra)],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_statements_span_lines_and_run_at_the_semicolon(catalogs):
    done = shell(
        catalogs["upstream"],
        ".format csv\n"
        "SELECT count(*) AS n\n"
        "  FROM nn_groups_resolved\n"
        "  WHERE nn_index = 1;\n"
        "SELECT 'a;b' AS s; SELECT 2 AS two;\n"
        "\n"
        "SELECT 3 AS last\n",  # the last statement may lack its ;
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.replace('"', "") == "n\n300\ns\na;b\ntwo\n2\nlast\n3\n"
    assert done.stderr == ""


def test_results_print_as_tables(catalogs):
    done = shell(
        catalogs["legacy"], "SELECT nn_index, count(*) AS n FROM nn_groups GROUP BY 1 ORDER BY 1;"
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("┌") and "nn_index" in lines[1] and "n" in lines[1]
    assert "│        1 │   300 │" in done.stdout
    assert "16 rows" in done.stdout


def test_tables_and_schema_helpers(catalogs):
    done = shell(catalogs["upstream"], ".format csv\n.tables\n.schema triplets_labeled\n")
    assert done.returncode == 0, done.stderr
    tables = done.stdout.split("view triplets_labeled: ")[0].replace('"', "").splitlines()
    assert tables[0] == "name,kind,comment"
    names = [line.split(",")[:2] for line in tables[1:]]
    kinds = [kind for _, kind in names]
    assert kinds == sorted(kinds, key=lambda k: k == "table"), "views are listed first"
    views = [name for name, kind in names if kind == "view"]
    assert views == sorted(views)
    assert {
        "assets",
        "captions",
        "eshot_samples",
        "nn_groups_resolved",
        "path_settings",
        "triplets_labeled",
    } <= set(views)
    assert ["nn_groups", "table"] in names and ["settings", "table"] in names
    schema = done.stdout.split("view triplets_labeled: ")[1].replace('"', "").splitlines()
    assert schema[0].startswith("E-MM1:1M: one row per triplets.csv row")
    assert schema[1] == "column,type,comment"
    assert [line.split(",")[0] for line in schema[2:]] == expected.TRIPLET_COLUMNS


def test_templates_helper_lists_each_template_as_a_table_macro(catalogs):
    done = shell(catalogs["upstream"], ".templates\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.partition("(")[0] for line in lines] == sorted(templates())
    assert (
        "modality_pair(modality_1, modality_2, [direction, label, present_only]): "
        "Triplets of one modality pair"
    ) in lines
    assert "counts_by_k([k_min, k_max]): Counts per k" in lines


def test_it_is_read_only_and_hardened(catalogs, tmp_path):
    done = shell(
        catalogs["upstream"],
        "DELETE FROM settings;\n"
        "SELECT * FROM read_csv('/etc/passwd');\n"
        f"COPY (SELECT 1) TO '{tmp_path}/x.csv';\n"
        f"ATTACH '{tmp_path}/y.duckdb';\n"
        "SET enable_external_access = true;\n"
        ".schema nope\n"
        ".format xml\n"
        ".bogus\n"
        "SELECT value FROM settings WHERE key = 'asset_root';\n",
    )
    assert done.returncode == 1  # from a pipe, a failure is the script's exit code
    errors = done.stderr.splitlines()
    assert len(errors) == 8
    assert "read-only" in errors[0]
    assert all("Permission Error: Cannot access file" in e for e in errors[1:4])
    assert "the configuration has been locked" in errors[4]
    assert errors[5:] == [
        "Error: no table or view named 'nope'. .tables lists them.",
        "Error: .format takes one of: table, csv, json.",
        "Error: unknown helper '.bogus'. .help lists them.",
    ]
    assert "/assets" in done.stdout  # later statements still ran
    assert list(tmp_path.iterdir()) == []


def test_allow_files_opens_one_folder(catalogs, tmp_path):
    done = shell(
        catalogs["upstream"],
        f"COPY (SELECT 7 AS x) TO '{tmp_path}/x.csv';\n"
        f".format csv\nSELECT * FROM read_csv('{tmp_path}/x.csv');\n",
        "--allow-files",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.replace('"', "").endswith("x\n7\n")


def test_quit_stops_reading(catalogs):
    done = shell(catalogs["upstream"], ".format csv\nSELECT 1 AS a;\n.quit\nSELECT 2 AS b;\n")
    assert done.stdout.replace('"', "") == "a\n1\n"


@pytest.mark.parametrize("state", ["xdg", "home"])
def test_at_a_terminal_it_prompts_and_keeps_history(catalogs, tmp_path, monkeypatch, state):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    if state == "xdg":
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (tmp_path / "home").mkdir()
    history = history_file()
    assert history == (
        tmp_path / "state" / "emm1" / "history"
        if state == "xdg"
        else tmp_path / "home" / ".emm1_history"
    )
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "120"}
    command = [sys.executable, "-m", "catalog.cli", "shell", "--db", str(catalogs["upstream"])]

    screen = type_at_terminal(command, ["SELECT 40 + 2", "  AS answer;", ".quit"], env)
    assert "emm1 shell on " in screen and "(read-only)" in screen
    assert "emm1> SELECT 40 + 2" in screen and "  ..>   AS answer;" in screen
    assert "answer" in screen and "42" in screen
    assert history.read_text().splitlines() == ["SELECT 40 + 2", "  AS answer;", ".quit"]

    screen = type_at_terminal(command, ["SELECT 1;", ".quit"], env)  # the history grows
    assert history.read_text().splitlines() == [
        "SELECT 40 + 2",
        "  AS answer;",
        ".quit",
        "SELECT 1;",
        ".quit",
    ]


PROMPTS = (b"emm1>", b"..>")


def type_at_terminal(command: list[str], lines: list[str], env: dict) -> str:
    """Run `command` on a pseudo-terminal, type each line when a prompt shows, return all
    that the terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    screen, mark = b"", 0
    try:
        for line in [*lines, None]:
            deadline = time.monotonic() + 60
            while not screen[mark:].rstrip().endswith(PROMPTS):
                if time.monotonic() > deadline:
                    raise AssertionError(f"no prompt; the terminal shows:\n{screen.decode()}")
                if select.select([leader], [], [], 0.1)[0]:
                    try:
                        screen += os.read(leader, 65536)
                    except OSError:  # the shell has ended
                        break
                elif process.poll() is not None:
                    break
            if line is None or process.poll() is not None:
                break
            os.write(leader, line.encode() + b"\r")
            mark = len(screen)
        process.wait(timeout=60)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    return screen.decode(errors="replace")
