"""The pages that run queries people write: a form per query template, and the SQL console.

Both show a result table (file-path columns as previews of the files), page it, and offer it as
CSV or Parquet. The SQL console runs on the explorer's hardened connection, the sandbox of
`emm1 sql` (catalog.db.hardened_statements checks every statement before any runs), within the
explorer's time limit and row cap."""

from __future__ import annotations

import io
import shlex

from starlette.requests import Request
from starlette.responses import Response

from catalog.api import write_output
from catalog.db import hardened_statements
from catalog.errors import CatalogError
from catalog.sqltext import resource_text
from catalog.templates import Template, get_template, templates
from catalog.web.database import NotFound, fetch, in_thread, template_relation
from catalog.web.pages import page_number
from catalog.web.previews import item
from catalog.web.render import page_format, respond

RESULT_ROWS = 100  # rows per page of a template's result
SQL_ROWS = 1000  # rows the SQL console shows
DOWNLOAD_ROWS = 100_000  # rows a CSV or Parquet download holds at most
DOWNLOADS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
FILE_PATH = "file_path"  # a column whose name ends so holds file paths: shown as previews
PREVIEW_ROWS = 100  # rows of a result whose files are previewed
ASSETS_BY_PATH = resource_text("catalog.web", "sql/assets_by_path.sql")


def _template(name: str) -> Template:
    if name not in templates():
        raise NotFound(f"no template {name!r}: /templates lists them.")
    return get_template(name)


def _form(t: Template) -> list[dict]:
    """The form fields of a template, from its declared parameters."""
    return [
        {
            "name": p.name,
            "type": p.type,
            "help": p.help,
            "allowed": list(p.allowed),
            "min": p.min,
            "max": p.max,
            "required": p.required,
            "default": None if p.required or p.default is None else str(p.default),
            "describe": p.describe(),
        }
        for p in t.params
    ]


async def template_list(request: Request):
    page_format(request)
    rows = [
        {
            "name": t.name,
            "title": t.title,
            "description": t.description,
            "params": [p.name for p in t.params],
        }
        for t in templates().values()
    ]
    return respond(request, "templates.html", {"templates": rows})


async def template_page(request: Request):
    fmt = page_format(request, ("html", "json", *DOWNLOADS))
    ex = request.app.state.explorer
    t = _template(request.path_params["name"])
    given = {
        p.name: request.query_params[p.name]
        for p in t.params
        if request.query_params.get(p.name, "") != ""
    }
    run = "run" in request.query_params or bool(given)
    page = page_number(request)
    data = {
        "name": t.name,
        "title": t.title,
        "description": t.description,
        "params": _form(t),
        "values": given,
        "command": export_command(t.name, given),
        "ran": False,
        "error": None,
        "download_rows": DOWNLOAD_ROWS,
    }
    if run:
        t.values(given)  # a wrong value is a message page before anything runs
        if fmt in DOWNLOADS:
            content = await in_thread(request, _download_template, ex, t.name, given, fmt)
            return _download(content, t.name, fmt)
        data["ran"] = True
        data["page"] = page
        data.update(await in_thread(request, _template_result, ex, t.name, given, page))
    return respond(request, "template.html", data)


def export_command(name: str, given: dict[str, str]) -> str:
    """The `emm1 export` command that writes the same rows."""
    args = ["emm1", "export", name]
    for key, value in given.items():
        args += ["-p", key, value]
    return shlex.join([*args, "--out", f"{name}/"])


def _template_result(ex, name: str, given: dict, page: int) -> dict:
    with ex.db.cursor() as cur:
        result = fetch(template_relation(cur, name, given), RESULT_ROWS, (page - 1) * RESULT_ROWS)
        result["previews"] = previews(ex, cur, result)
    return {"result": result}


def _download_template(ex, name: str, given: dict, fmt: str) -> bytes:
    with ex.db.cursor() as cur:
        return download(template_relation(cur, name, given), fmt)


def download(rel, fmt: str) -> bytes:
    """At most DOWNLOAD_ROWS rows of a relation as CSV (with a header) or Parquet (zstd): the
    writers of `emm1 query`."""
    buffer = io.BytesIO()
    out = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    write_output(rel.limit(DOWNLOAD_ROWS), fmt, out)
    out.flush()
    return buffer.getvalue()


def _download(content: bytes, name: str, fmt: str) -> Response:
    return Response(
        content,
        media_type=DOWNLOADS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def previews(ex, cur, result: dict) -> dict[str, dict]:
    """File path -> preview item, for the paths in the file-path columns of a result's first
    PREVIEW_ROWS rows (each path found through its asset: sql/assets_by_path.sql)."""
    columns = [i for i, c in enumerate(result["columns"]) if c.endswith(FILE_PATH)]
    rows = result["rows"][:PREVIEW_ROWS]
    paths = sorted({r[i] for r in rows for i in columns if isinstance(r[i], str)})
    if not paths:
        return {}
    names = sorted({p.rsplit("/", 1)[-1] for p in paths})
    found = cur.execute(ASSETS_BY_PATH, {"names": names, "paths": paths}).fetchall()
    return {
        path: item(ex.resolver, str(part), str(modality), asset_id, {"file_path": path})
        for path, part, modality, asset_id in found
    }


async def sql_console(request: Request):
    fmt = page_format(request, ("html", "json", *DOWNLOADS))
    ex = request.app.state.explorer
    q = request.query_params.get("q", "")
    data = {
        "q": q,
        "ran": False,
        "error": None,
        "row_cap": SQL_ROWS,
        "download_rows": DOWNLOAD_ROWS,
        "time_limit": ex.db.time_limit,
    }
    if not q.strip():
        return respond(request, "sql.html", data)
    try:
        if fmt in DOWNLOADS:
            content = await in_thread(request, _run_sql, ex, q, fmt)
            return _download(content, "query", fmt)
        data.update(await in_thread(request, _run_sql, ex, q, None))
        data["ran"] = True
    except CatalogError as e:
        if fmt in DOWNLOADS:
            raise
        data["error"] = str(e)
        return respond(request, "sql.html", data, status=400)
    return respond(request, "sql.html", data)


def _run_sql(ex, q: str, fmt: str | None):
    """Run the console's SQL: every statement checked first, all but the last run, the last one's
    result read up to the row cap (or written as a download)."""
    with ex.db.cursor() as cur:
        statements = hardened_statements(cur, q)
        for statement in statements[:-1]:
            cur.execute(statement).fetchall()
        rel = cur.sql(statements[-1]) if statements else None
        if rel is None:
            return b"" if fmt else {"result": None}
        if fmt:
            return download(rel, fmt)
        result = fetch(rel, SQL_ROWS)
        result["previews"] = previews(ex, cur, result)
    return {"result": result}
