"""Loading one E-MM1 file into its table: header checked by name, types explicit, errors
rewritten so that they name the file, the record, the column and the value."""

from __future__ import annotations

import csv
import io
import re

import duckdb

from catalog.db import first_row
from catalog.discover import DataFile, lfs_pull_command
from catalog.errors import CatalogError
from catalog.sqltext import ident, literal, render, resource_text

LOAD = "catalog"  # files under catalog/load/

# Columns a file may lack (they are NULL then). Every other column of the table is required.
OPTIONAL = {
    "infos_text": {"source_dataset", "dataset_license"},
    "infos_audio": {"file_id"},
    "infos_video": {"file_id"},
}
# Tables whose column names do not come from the header: the file's columns bind by position.
POSITIONAL = {"annotation_labels"}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> SQL type of a table (temp tables included), in table order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return dict(rows)


def read_header(file: DataFile) -> list[str]:
    """The header record of a CSV (BOM stripped), parsed like any CSV record."""
    with open(file.path, "rb") as f:
        head = f.read(1 << 16)
    if not head.strip():
        raise CatalogError(
            f"{file.rel}: the file is empty, not even a header. "
            f"Fetch it again: {lfs_pull_command([file.lfs_include])}"
        )
    text = head.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text)))


def csv_columns(file: DataFile, header: list[str], declared: dict[str, str]) -> dict[str, str]:
    """Map the file's header to types: declared columns by name, extra ones as VARCHAR."""
    if file.table in POSITIONAL:
        names = list(declared) + header[len(declared) :]
        if len(header) < len(declared):
            raise CatalogError(
                f"{file.rel}: expected at least {len(declared)} columns "
                f"({', '.join(declared)}), the header has {len(header)}."
            )
        return {name: declared.get(name, "VARCHAR") for name in names}
    seen = set()
    for name in header:
        if name in seen:
            raise CatalogError(f"{file.rel}: the header names column {name!r} twice.")
        seen.add(name)
    optional = OPTIONAL.get(_optional_key(file), set())
    missing = [c for c in declared if c not in seen and c not in optional]
    if missing:
        raise CatalogError(
            f"{file.rel}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. The header has: {', '.join(header)}."
        )
    return {name: declared.get(name, "VARCHAR") for name in header}


def _optional_key(file: DataFile) -> str:
    return f"infos_{file.modality}" if file.kind == "infos" else file.table


def load_csv(con: duckdb.DuckDBPyConnection, file: DataFile, table: str) -> int:
    """Append `file` to `table` (bound by name); returns the rows it added."""
    declared = table_columns(con, table)
    columns = csv_columns(file, read_header(file), declared)
    _add_extra_columns(con, table, [c for c in columns if c not in declared], file)
    sql = render(LOAD, "load/insert_csv.sql.j2", table=table)
    try:
        (rows,) = first_row(con, sql, {"path": str(file.path), "columns": columns})
    except duckdb.Error as e:
        raise CatalogError(explain_csv_error(file, e)) from None
    return rows


def _add_extra_columns(con, table: str, names: list[str], file: DataFile) -> None:
    """Columns a file has beyond the documented ones: kept as text, with a comment."""
    for name in names:
        con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(name)} VARCHAR")
        con.execute(
            f"COMMENT ON COLUMN {ident(table)}.{ident(name)} IS "
            + literal(f"Extra column {name} of {file.rel}, kept as text.")
        )


def load_legacy_triplets(con: duckdb.DuckDBPyConnection, file: DataFile) -> int:
    con.execute(resource_text(LOAD, "load/legacy_triplets.sql"))
    try:
        rows = load_csv(con, file, "legacy_triplets")
        count, modality_2, annotated = first_row(
            con, resource_text(LOAD, "load/legacy_triplets_conflicts.sql")
        )
        if count:
            raise CatalogError(
                f"{file.rel}: {count:,} rows have annotated_modality different from modality_2 "
                f"(e.g. {annotated} vs {modality_2}); in the legacy schema they must agree."
            )
        current = table_columns(con, "triplets")
        extras = [
            n
            for n, t in table_columns(con, "legacy_triplets").items()
            if t == "VARCHAR" and n not in current
        ]  # the file's own extra columns
        _add_extra_columns(con, "triplets", extras, file)
        con.execute(resource_text(LOAD, "load/triplets_from_legacy.sql"))
    finally:
        con.execute("DROP TABLE IF EXISTS legacy_triplets")
    return rows


def is_legacy_triplets(file: DataFile) -> bool:
    return "modality_1" in read_header(file)


def load_categories(con: duckdb.DuckDBPyConnection, file: DataFile) -> int:
    try:
        (rows,) = first_row(
            con,
            resource_text(LOAD, "load/eshot_categories.sql"),
            {"path": str(file.path), "modality": file.modality},
        )
    except duckdb.Error as e:
        detail = str(e).splitlines()[0]
        raise CatalogError(
            f'{file.rel}: expected one JSON object {{"category": [id, ...], ...}} with integer '
            f"ids. DuckDB said: {detail}"
        ) from None
    return rows


def check_unique_ids(con: duckdb.DuckDBPyConnection, file: DataFile) -> None:
    column = f"encord_{file.modality}_id"
    dupes = con.execute(
        render(LOAD, "load/duplicate_ids.sql.j2", table=file.table, column=column)
    ).fetchall()
    if dupes:
        listed = ", ".join(f"{i} ({n} times)" for i, n in dupes)
        raise CatalogError(
            f"{file.rel}: {column} must be unique within a part and modality, but some ids "
            f"repeat: {listed}."
        )


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_ORIGINAL = re.compile(r"^Original Line: (.*)$", re.MULTILINE)
_CONVERT = re.compile(
    r'Error when converting column "(?P<column>.*?)"\. Could not convert string "(?P<value>.*?)" '
    r"to '(?P<type>.*?)'(?:\n|$)",
    re.DOTALL,
)


def explain_csv_error(file: DataFile, error: duckdb.Error) -> str:
    """DuckDB's CSV error, rewritten for the user: file, record, column, value."""
    text = str(error)
    line = _LINE.search(text)
    where = f"{file.rel}, record {line.group(1)} (the header is record 1)" if line else file.rel
    converted = _CONVERT.search(text)
    if converted:
        sql_type = converted.group("type")
        kind = (
            "a modality (image, audio, video, points, text)"
            if sql_type.startswith("ENUM")
            else f"a valid {_type_name(sql_type)}"
        )
        detail = f"column {converted.group('column')}: {converted.group('value')!r} is not {kind}"
    elif fields := _FIELDS.search(text):
        detail = f"expected {fields.group(1)} fields, found {fields.group(2)}"
    else:
        detail = _first_detail(text)
    original = _ORIGINAL.search(text)
    shown = f"\n  the record: {original.group(1)[:300]}" if original else ""
    return f"{where}: {detail}.{shown}"


def _type_name(sql_type: str) -> str:
    return {
        "TINYINT": "small integer",
        "SMALLINT": "integer",
        "INTEGER": "integer",
        "BIGINT": "integer",
        "DOUBLE": "number",
    }.get(sql_type, sql_type)


def _first_detail(text: str) -> str:
    """The informative line of a DuckDB error that was not a conversion."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    skip = ("CSV Error on Line", "Original Line", "Possible", "*", "file =")
    useful = [ln for ln in lines[1:] if not ln.startswith(skip)] or lines[:1]
    return useful[0].rstrip(".").removeprefix("Invalid Input Error: ")
