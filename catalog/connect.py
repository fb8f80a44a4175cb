"""`emm1 connect`: the settings that open this catalog from a SQL or BI tool.

Every tool opens the file read-only: many readers may share it, a rebuild replaces it under them
without disturbing them, and a read-write connection would lock everyone else out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from catalog.db import connect_read_only
from catalog.errors import CatalogError

# The SQLAlchemy dialect and the SQLAlchemy it works with, as the tests install them: duckdb-engine
# 0.17 reflects columns only with SQLAlchemy 2.0 (Superset lists no columns with 2.1).
SQLALCHEMY_SET = '"duckdb-engine==0.17.*" "sqlalchemy>=2.0,<2.1"'

# tool -> (title, [(setting, value template)]). Templates are filled with `path` (absolute),
# `quoted` (the path as a Python/JavaScript string literal), `since` (oldest DuckDB) and
# `sqlalchemy` (SQLALCHEMY_SET).
TOOLS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "superset": (
        "Apache Superset (SQLAlchemy dialect duckdb-engine)",
        [
            ("install", 'pip install {sqlalchemy} "duckdb>={since}" into Superset\'s Python'),
            ("database", "Settings > Database connections > + Database > Other"),
            ("SQLAlchemy URI", "duckdb:///{path}"),
            ("engine parameters", '{{"connect_args": {{"read_only": true}}}} (Advanced > Other)'),
            ("read-only", "yes: connect_args read_only true; leave Allow DML off"),
            (
                "known limits",
                "SQL Lab and datasets work, table macros too; pandas.read_sql_table "
                "fails through duckdb-engine (DuckDB has no REGCLASS type): use "
                "pandas.read_sql_query",
            ),
        ],
    ),
    "dbeaver": (
        "DBeaver (JDBC)",
        [
            ("driver", "DuckDB {since} or later (Database > New Database Connection > DuckDB)"),
            ("JDBC URL", "jdbc:duckdb:{path}"),
            ("driver property", "duckdb.read_only = true"),
            ("read-only", "yes: the driver property above (also tick 'Read-only connection')"),
        ],
    ),
    "metabase": (
        "Metabase (DuckDB driver plugin)",
        [
            (
                "install",
                "a DuckDB driver .jar embedding DuckDB {since} or later in Metabase's plugins/ "
                "folder, then restart",
            ),
            ("database type", "DuckDB"),
            ("database file", "{path}"),
            ("read-only", "yes: turn on 'Establish a read-only connection'"),
        ],
    ),
    "tableau": (
        "Tableau (Other Databases (JDBC))",
        [
            (
                "install",
                "the DuckDB JDBC driver {since} or later (duckdb_jdbc-*.jar) in Tableau's "
                "Drivers folder, then restart",
            ),
            ("connector", "Other Databases (JDBC)"),
            ("URL", "jdbc:duckdb:{path}"),
            ("dialect", "SQL92"),
            ("properties file", "a .properties file with the line: duckdb.read_only=true"),
            ("read-only", "yes: the properties file above"),
        ],
    ),
    "python": (
        "Python (duckdb)",
        [
            ("install", 'pip install "duckdb>={since}"'),
            ("code", "import duckdb; con = duckdb.connect({quoted}, read_only=True)"),
            (
                "SQLAlchemy URI",
                "duckdb:///{path} with connect_args={{'read_only': True}} (pip install "
                "{sqlalchemy})",
            ),
            ("read-only", "yes: read_only=True"),
        ],
    ),
    "node": (
        "Node.js (@duckdb/node-api)",
        [
            ("install", "npm install @duckdb/node-api (any 1.x from {since} on, or later)"),
            (
                "code",
                "const {{ DuckDBInstance }} = require('@duckdb/node-api'); const instance = "
                "await DuckDBInstance.create({quoted}, {{ access_mode: 'READ_ONLY' }});",
            ),
            ("read-only", "yes: access_mode READ_ONLY"),
        ],
    ),
    "duckdb-cli": (
        "DuckDB command line",
        [
            ("install", "the duckdb command, version {since} or later"),
            ("command", "duckdb -readonly {path}"),
            ("read-only", "yes: -readonly"),
        ],
    ),
}

NOTES = (
    "Open the catalog read-only: a read-write connection locks out every other reader and "
    "writer. After `emm1 build` or `emm1 config set`, open connections keep the data they "
    "opened; reconnect (or refresh the connection) to see the new catalog."
)


def readable_by(storage_version: str, built_with: str) -> str:
    """Which DuckDB versions can open a file written in `storage_version`."""
    version = re.fullmatch(r"v?(\d+\.\d+\.\d+)", storage_version or "")
    if version:
        return f"DuckDB {version[1]} and later"
    return f"DuckDB {built_with} and later only"


def connection_settings(db: Path, tool: str | None = None) -> str:
    """The settings that open the catalog at `db` from `tool`, or what every tool needs
    followed by the list of tools when `tool` is None."""
    if tool is not None and tool not in TOOLS:
        raise CatalogError(f"unknown tool {tool!r}. Tools: {', '.join(TOOLS)}.")
    db = Path(db).resolve()
    with connect_read_only(db) as con:
        facts = dict(
            con.execute(
                "SELECT key, value FROM catalog_info "
                "WHERE key IN ('storage_version', 'duckdb_version')"
            ).fetchall()
        )
    storage = facts.get("storage_version", "latest")
    opens_in = readable_by(storage, facts.get("duckdb_version", "?"))
    since = opens_in.split()[1]
    lines = [
        f"catalog        {db}",
        "read-only      yes (always open it read-only)",
        f"opens in       {opens_in} (storage format {storage})",
    ]
    if tool is None:
        lines += ["", "settings for a tool: emm1 connect --tool TOOL, with TOOL one of:"]
        lines += [f"  {name:<11} {title}" for name, (title, _) in TOOLS.items()]
    else:
        title, settings = TOOLS[tool]
        lines += ["", title]
        fill = {
            "path": str(db),
            "quoted": json.dumps(str(db)),
            "since": since,
            "sqlalchemy": SQLALCHEMY_SET,
        }
        lines += [f"  {name:<18} {value.format(**fill)}" for name, value in settings]
    return "\n".join([*lines, "", NOTES])
