"""Run queries on a catalog with whatever duckdb this Python has; print the rows as JSON.

Reads {"db": PATH, "queries": {NAME: SQL}} on stdin and prints {NAME: {"rows": [...]}} or
{NAME: {"error": MESSAGE}}, every value as text, so that clients of any version compare equal.
Runs under the DuckDB 1.1 client's own virtual environment: standard library and duckdb only.
"""

import json
import sys

import duckdb

request = json.load(sys.stdin)
con = duckdb.connect(request["db"], read_only=True)
answers = {}
for name, sql in request["queries"].items():
    try:
        rows = con.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({sql}) AS q").fetchall()
        answers[name] = {"rows": [list(r) for r in rows]}
    except duckdb.Error as e:
        answers[name] = {"error": str(e)}
json.dump(answers, sys.stdout)
