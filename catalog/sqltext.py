"""SQL text that ships with the package, and the only place where names are quoted into SQL.

Values always travel as bound parameters. Two things cannot be bound in DuckDB: identifiers
(table and column names, some of which come from CSV headers) and a few literals in DDL such as
COPY targets and COMMENT texts. Those go through `ident` and `literal` below, and nowhere else.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import jinja2


def ident(name: str) -> str:
    """Quote an identifier: my "col" becomes a double-quoted name with inner quotes doubled."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """Quote a string literal: `it's` -> `'it''s'`."""
    if "\x00" in value:
        raise ValueError("string literals cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"


def resource_text(package: str, name: str) -> str:
    """The text of a file shipped in `package` (e.g. 'catalog.views', 'nn_groups_resolved.sql')."""
    return files(package).joinpath(name).read_text(encoding="utf-8")


def resource_names(package: str, suffix: str = ".sql") -> list[str]:
    """Sorted names of the files in `package` that end with `suffix`."""
    return sorted(p.name for p in files(package).iterdir() if p.name.endswith(suffix))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.filters["ident"] = ident
    env.filters["literal"] = literal
    return env


@cache
def _template(package: str, name: str) -> jinja2.Template:
    """A jinja SQL file, compiled once per process (compiling costs milliseconds a call)."""
    return _environment().from_string(resource_text(package, name))


def render(package: str, name: str, **context: object) -> str:
    """Render a jinja SQL file from `package`. Only names go in; values are bound at execute."""
    return _template(package, name).render(**context)
