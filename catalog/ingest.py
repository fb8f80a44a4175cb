"""Loading one E-MM1 file into its table, strictly: the header checked by name, types explicit,
ids checked as plain decimals, and every failure told in one line that names the file, the
record, the column and the value."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb

from catalog.db import first_row
from catalog.discover import ASSET_MODALITIES, DataFile, lfs_pull_command
from catalog.errors import CatalogError
from catalog.progress import human_bytes
from catalog.sqltext import ident, literal, render, resource_text

LOAD = "catalog"  # files under catalog/load/

# Columns a file may lack (they are NULL then). Every other column of the table is required,
# except the extra columns an earlier file added to it.
OPTIONAL = {
    "infos_text": {"source_dataset", "dataset_license"},
    "infos_audio": {"file_id"},
    "infos_video": {"file_id"},
}
# Tables whose column names do not come from the header: the file's columns bind by position.
POSITIONAL = {"annotation_labels"}
# Every integer column is an id or a code: a plain decimal that must not be empty, except these.
MAY_BE_EMPTY = {
    "triplets": {"annotation"},
    "legacy_triplets": {f"encord_{m}_id" for m in ASSET_MODALITIES} | {"annotation"},
}
ID_TYPES = {"INTEGER": 2**31 - 1, "TINYINT": 127}  # SQL type -> the largest id it holds
# The longest record (a line, or several when a quoted field holds line breaks) a CSV may have.
DEFAULT_MAX_RECORD_SIZE = 2_000_000
EXTRA = "Extra column "  # how the comment of a column added from a file's header starts
# The column of every asset table that holds its file's whole path, computed by the load
# (insert_csv.sql.j2), never read from a file; a file may not carry it, nor the path below the
# asset root that the view path_parts_1m computes.
STORED_PATH = "resolved_file_path"
COMPUTED = ("file_path_below_root", STORED_PATH)
_BROKEN = "emm1: a value breaks its rule"  # what insert_csv.sql.j2 raises
_DIGITS_ONLY = b"0123456789,\r\n"


def record_size_limit(size: str | int | None) -> int:
    """The --max-record-size limit in bytes (DuckDB's max_line_size); None: the default."""
    if size is None:
        return DEFAULT_MAX_RECORD_SIZE
    from catalog.export import parse_size  # only when a size is given: export loads pyarrow

    try:
        return parse_size(size)
    except CatalogError as e:
        raise CatalogError(f"--max-record-size: {e}") from None


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> SQL type of a table (temp tables included), in table order."""
    return {name: sql_type for name, sql_type, _, _ in _column_facts(con, table)}


def _column_facts(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, bool, bool]]:
    """Per column of `table`, in order: name, SQL type, whether an earlier file added it (see
    _add_extra_columns), whether it is NOT NULL."""
    return con.execute(
        "SELECT column_name, data_type, coalesce(starts_with(comment, ?), false), "
        "NOT is_nullable FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
        [EXTRA, table],
    ).fetchall()


def layout_folder(con: duckdb.DuckDBPyConnection, modality: str) -> str:
    """The folder the catalog's settings name for `modality` (layout.<modality>)."""
    (folder,) = first_row(con, "SELECT value FROM settings WHERE key = ?", [f"layout.{modality}"])
    return folder


def require_content(file: DataFile, what: str) -> bytes:
    """The first 64 KiB of `file` (BOM removed); an empty file, or one of only whitespace, is
    refused."""
    with open(file.path, "rb") as f:
        head = f.read(1 << 16).removeprefix(codecs.BOM_UTF8)
    if not head.strip():
        raise CatalogError(
            f"{file.rel} is empty: {what}. Fetch it again: {lfs_pull_command([file.lfs_include])}"
        )
    return head


def read_header(file: DataFile) -> list[str]:
    """The header record of a CSV (BOM stripped), parsed like any CSV record."""
    head = require_content(file, "not even a header")
    return next(csv.reader(io.StringIO(head.decode("utf-8", errors="replace"))))


def csv_columns(
    file: DataFile, header: list[str], declared: dict[str, str], extras: set[str] = frozenset()
) -> dict[str, str]:
    """Map the file's header to types: declared columns by name, extra ones as VARCHAR."""
    if file.table in POSITIONAL:
        if len(header) < len(declared):
            raise CatalogError(
                f"{file.rel}: expected at least {len(declared)} columns "
                f"({', '.join(declared)}), the header has {len(header)}."
            )
        names = list(declared) + header[len(declared) :]
    else:
        names = header
    _check_names(file, names)
    optional = OPTIONAL.get(_optional_key(file), set()) | extras
    missing = [c for c in declared if c not in names and c not in optional]
    if missing:
        raise CatalogError(
            f"{file.rel}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. The header has: {_one_line(', '.join(header))}."
        )
    return {name: declared.get(name, "VARCHAR") for name in names}


def _check_names(file: DataFile, names: list[str]) -> None:
    """Every column named, and no two names the same once case is ignored (as DuckDB does)."""
    seen: dict[str, int] = {}
    for n, name in enumerate(names, 1):
        if not name:
            raise CatalogError(
                f"{file.rel}, record 1 (the header): column {n} has no name. "
                "Name it, or remove the column."
            )
        first = seen.setdefault(name.lower(), n)
        if first != n:
            raise CatalogError(
                f"{file.rel}, record 1 (the header): columns {first} ({names[first - 1]!r}) and "
                f"{n} ({name!r}) have the same name once case is ignored, as DuckDB compares "
                "names. Rename or remove one of them."
            )


def _optional_key(file: DataFile) -> str:
    return f"infos_{file.modality}" if file.kind == "infos" else file.table


def _id_checks(file: DataFile, table: str, columns: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Rule ('required', 'optional' or 'k') and SQL type of each id column the file has."""
    checks = {}
    for name, sql_type in columns.items():
        if sql_type not in ID_TYPES:
            continue
        if name == "nn_index" and file.kind == "nn_shard":
            rule = "k"
        elif name in MAY_BE_EMPTY.get(table, ()):
            rule = "optional"
        else:
            rule = "required"
        checks[name] = (rule, sql_type)
    return checks


def _plain_integers(file: DataFile) -> bool:
    """Whether every byte below the header is a digit, a comma or a line break: then each field
    is empty or a plain decimal, and the ids can be read as integers directly (empty ones are
    left to the table's NOT NULL constraints). About 1 GB/s on one core."""
    with open(file.path, "rb") as f:
        f.readline()
        while chunk := f.read(1 << 22):  # small reads: the thread holds the GIL per chunk
            if chunk.translate(None, _DIGITS_ONLY):
                return False
    return True


@contextmanager
def scans_ahead(files: list[DataFile]) -> Iterator[dict[Path, Future]]:
    """_plain_integers of every nn shard, run by one thread ahead of the loads: DuckDB reading a
    CSV leaves part of the cores idle, so the check costs no time beside it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emm1-scan")
    try:
        yield {f.path: pool.submit(_plain_integers, f) for f in files if f.kind == "nn_shard"}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def load_csv(
    con: duckdb.DuckDBPyConnection,
    file: DataFile,
    table: str,
    record_size: int,
    scanned: Future | None = None,
) -> int:
    """Append `file` to `table` (bound by name); returns the rows it added. `record_size` is
    the longest record allowed, in bytes; `scanned`, _plain_integers(file) begun earlier."""
    facts = _column_facts(con, table)
    stores_path = any(name == STORED_PATH for name, _, _, _ in facts)
    facts = [fact for fact in facts if fact[0] not in COMPUTED]  # computed, not read
    declared = {name: sql_type for name, sql_type, _, _ in facts}
    extras = {name for name, _, extra, _ in facts if extra}
    not_null = {name for name, _, _, required in facts if required}
    header = read_header(file)
    computed = [c for c in COMPUTED if c in (name.lower() for name in header)]
    if stores_path and computed:
        raise CatalogError(
            f"{file.rel}, record 1 (the header): column {computed[0]} is computed by the "
            "catalog from save_folder and file_name. Rename or remove that column."
        )
    columns = csv_columns(file, header, declared, extras)
    known = {name.lower() for name in declared}
    _add_extra_columns(con, table, [c for c in columns if c.lower() not in known], file)
    checks = _id_checks(file, table, columns)
    # The fast way for files of ids only (the nn shards): read as integers when the bytes show
    # that every value is empty or a plain decimal, and the table refuses empty ones itself.
    plain = (
        set(checks) == set(columns)
        and {c for c, (rule, _) in checks.items() if rule != "optional"} <= not_null
        and (scanned.result() if scanned else _plain_integers(file))
    )
    params = {
        "path": str(file.path),
        "columns": columns if plain else {**columns, **dict.fromkeys(checks, "VARCHAR")},
        "max_line_size": record_size,
    }
    if any(rule == "k" for rule, _ in checks.values()):
        params["k"] = file.nn_index
    if stores_path:
        params["folder"] = layout_folder(con, file.modality)
    sql = render(
        LOAD,
        "load/insert_csv.sql.j2",
        table=table,
        checks={c: r for c, r in checks.items() if r[0] == "k"} if plain else checks,
        plain=plain,
        stores_path=stores_path,
        diagnose=False,
        broken=_BROKEN,
    )
    try:
        (rows,) = first_row(con, sql, params)
    except duckdb.Error as e:
        if _BROKEN not in str(e) and not isinstance(e, duckdb.ConstraintException):
            raise CatalogError(explain_csv_error(file, e, record_size)) from None
        named = dict(zip(columns, header, strict=True))  # as the file names them
        raise CatalogError(_diagnose(con, file, checks, params, named)) from None
    return rows


def _diagnose(con, file: DataFile, checks: dict, params: dict, named: dict[str, str]) -> str:
    """After a load stopped on a broken rule: the first record that breaks one, explained."""
    sql = render(LOAD, "load/insert_csv.sql.j2", checks=checks, plain=False, diagnose=True)
    as_text = {**params, "columns": dict.fromkeys(params["columns"], "VARCHAR")}
    as_text.pop("folder", None)  # only the load stores paths
    try:
        found = con.execute(sql, as_text).fetchall()
    except duckdb.Error as e:
        return explain_csv_error(file, e, params["max_line_size"])
    if not found:  # cannot happen: the rules are the same as the load's
        return f"{file.rel}: an id breaks its rule, but a second read did not find it."
    record, column, value = found[0]
    rule, sql_type = checks[column]
    column = named[column]
    if value is None:
        why = f"column {column} is empty. Every row needs its {column}."
    elif not re.fullmatch("[0-9]+", value):
        why = (
            f"column {column}: {_shown(value)} is not a plain decimal id. Write ids with the "
            "digits 0-9 only (no sign, space, point, exponent, 0x or _)."
        )
    elif rule == "k" and int(value) != file.nn_index:
        k = file.nn_index
        why = (
            f"column nn_index: {_shown(value)} is not {k}. Every row of a shard in nn_{k}/ "
            f"has nn_index {k}."
        )
    else:
        why = f"column {column}: {value} is too large (at most {ID_TYPES[sql_type]:,})."
    return f"{_at(file, record)}: {why}"


def _add_extra_columns(con, table: str, names: list[str], file: DataFile) -> None:
    """Columns a file has beyond the documented ones: kept as text, with a comment. Later files
    that lack them load with NULL there."""
    for name in names:
        con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(name)} VARCHAR")
        con.execute(
            f"COMMENT ON COLUMN {ident(table)}.{ident(name)} IS "
            + literal(f"{EXTRA}{name} of {file.rel}, kept as text.")
        )


def load_legacy_triplets(con: duckdb.DuckDBPyConnection, file: DataFile, record_size: int) -> int:
    con.execute(resource_text(LOAD, "load/legacy_triplets.sql"))
    try:
        rows = load_csv(con, file, "legacy_triplets", record_size)
        unfilled = con.execute(resource_text(LOAD, "load/legacy_triplets_unfilled.sql")).fetchall()
        if unfilled:
            record, side, modality = unfilled[0]
            raise CatalogError(
                f"{_at(file, record)}: column "
                + (f"{side} is empty" if modality is None else f"encord_{modality}_id is empty")
                + (f" ({side} is {modality})" if modality else "")
                + ". In the legacy schema every row fills modality_1, modality_2 and the id "
                "columns of those two modalities."
            )
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
    """One EShot category file: every id a plain decimal JSON number (digits only)."""
    require_content(file, 'no categories, not even "{}"')
    try:
        con.execute(resource_text(LOAD, "load/eshot_category_items.sql"), {"path": str(file.path)})
    except duckdb.Error as e:
        detail = _one_line(str(e).strip().split("\n", 1)[0])
        raise CatalogError(
            f'{file.rel}: expected one JSON object {{"category": [id, ...], ...}} with integer '
            f"ids. DuckDB said: {detail}"
        ) from None
    try:
        bad = con.execute(resource_text(LOAD, "load/eshot_category_problem.sql")).fetchall()
        if bad:
            category, item, value = bad[0]
            raise CatalogError(
                f"{file.rel}: category {_shown(category)}, item {item}: "
                + ("null is not an id" if value is None else f"{value} is not a plain decimal id")
                + ". Write ids as JSON numbers with the digits 0-9 only (no sign, quotes, "
                f"fraction or exponent), at most {ID_TYPES['INTEGER']:,}."
            )
        (rows,) = first_row(
            con, resource_text(LOAD, "load/eshot_categories.sql"), {"modality": file.modality}
        )
    finally:
        con.execute("DROP TABLE IF EXISTS eshot_category_items")
    return rows


def key_column(file: DataFile) -> str | None:
    """The id column that must be unique in the file (infos and EShot info files)."""
    if file.kind == "infos":
        return f"encord_{file.modality}_id"
    if file.kind == "eshot_info":
        return {"audio": "eshot_audio_id", "points": "eshot_point_id"}[file.modality]
    return None


def check_unique_ids(con: duckdb.DuckDBPyConnection, file: DataFile) -> None:
    """The file's ids are unique (its table holds that one file, rows in file order)."""
    column = key_column(file)
    context = {"table": file.table, "column": column}
    (repeated,) = first_row(con, render(LOAD, "load/duplicate_ids.sql.j2", **context))
    if not repeated:
        return
    value, count, records = first_row(
        con, render(LOAD, "load/duplicate_id_records.sql.j2", **context)
    )
    shown = ", ".join(map(str, records[:-1])) + f" and {records[-1]}"
    more = f" (and {count - len(records)} more)" if count > len(records) else ""
    raise CatalogError(
        f"{file.rel}, records {shown}{more} (the header is record 1): column {column}: "
        f"{value} appears {count} times. Ids must be unique within a part and modality: "
        "keep one row per id."
    )


def _at(file: DataFile, record: int) -> str:
    return f"{file.rel}, record {record} (the header is record 1)"


def _shown(value: str, width: int = 60) -> str:
    """A value quoted on one line (newlines escaped), cut to `width` characters."""
    return repr(value if len(value) <= width else value[:width] + "...")


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_ORIGINAL = re.compile(r"^Original Line: (.*)$", re.MULTILINE)
_CONVERT = re.compile(
    r'Error when converting column "(?P<column>.*?)"\. Could not convert string "(?P<value>.*?)" '
    r"to '(?P<type>.*?)'(?:\n|$)",
    re.DOTALL,
)
_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")


def explain_csv_error(file: DataFile, error: duckdb.Error, record_size: int) -> str:
    """DuckDB's CSV error, rewritten for the user on one line: file, record, column, value."""
    text = str(error)
    line = _LINE.search(text)
    where = _at(file, int(line.group(1))) if line else file.rel
    original = _ORIGINAL.search(text)
    if converted := _CONVERT.search(text):
        sql_type = converted.group("type")
        kind = (
            "a modality (image, audio, video, points, text)"
            if sql_type.startswith("ENUM")
            else f"a valid {_type_name(sql_type)}"
        )
        detail = (
            f"column {converted.group('column')}: {_shown(converted.group('value'))} is not {kind}"
        )
    elif fields := _FIELDS.search(text):
        detail = f"expected {fields.group(1)} fields, found {fields.group(2)}"
        if original:
            detail += f": {_shown(original.group(1))}"
    elif "unterminated quote" in text:
        detail = (
            "a quoted field opens in this record and is never closed. Close it, or double "
            'every quote inside it ("")'
        )
    elif too_long := _TOO_LONG.search(text):
        size = int(too_long.group(2))
        detail = (
            f"the record is {human_bytes(size)}, longer than the {human_bytes(record_size)} a "
            "record may have. If it is meant to be that long, build with --max-record-size "
            f"{size // 10**6 + 1}MB"
        )
    else:
        detail = _first_detail(text)
    return f"{where}: {detail.rstrip('.')}."


def _type_name(sql_type: str) -> str:
    return {
        "TINYINT": "small integer",
        "SMALLINT": "integer",
        "INTEGER": "integer",
        "BIGINT": "integer",
        "DOUBLE": "number",
    }.get(sql_type, sql_type)


def _first_detail(text: str) -> str:
    """The informative sentence of a DuckDB error that was not recognised: the line before its
    advice when it quotes the record (which may span lines), else its first line."""
    if "Original Line: " in text:
        cut = min((i for i in map(text.find, _ADVICE) if i > 0), default=len(text))
        text = text[:cut].rstrip().rsplit("\n", 1)[-1]
    first = text.strip().split("\n", 1)[0]
    return _one_line(first.rstrip(".").removeprefix("Invalid Input Error: "))


# What DuckDB writes after the sentence that says what went wrong in a CSV.
_ADVICE = ("\n\nPossible", "\n\nColumn ", "\n\n  file =")


def _one_line(text: str) -> str:
    """`text` with every character that starts a new line (see str.splitlines) made a space."""
    return text.translate(_LINE_BREAKS)


_LINE_BREAKS = dict.fromkeys(map(ord, "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"), " ")
