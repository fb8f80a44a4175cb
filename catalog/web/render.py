"""Pages out: every page is one dict of data, rendered by a jinja template as HTML (autoescape on
for every template: catalog text is never marked safe) or sent as JSON when the URL asks for
`?format=json`. Errors are a message page (or a JSON object), never a traceback."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from functools import cache
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

# Where a page's data is: the same URL with ?format=json. Downloads add csv and parquet.
FORMATS = ("html", "json")
# Links of the top navigation: (path, label).
NAV = (
    ("/", "Overview"),
    ("/search", "Search"),
    ("/triplets", "Triplets"),
    ("/eshot", "EShot"),
    ("/templates", "Templates"),
    ("/sql", "SQL"),
)


class JSON(Response):
    """JSON that is safe even where it could be read as HTML: <, > and & are \\u escapes."""

    media_type = "application/json"

    def render(self, content) -> bytes:
        text = json.dumps(content, ensure_ascii=False, default=_plain, allow_nan=False)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escape)
        return text.encode("utf-8")


def _plain(value):
    """JSON for the values DuckDB returns beyond str, int, float, bool, list and dict."""
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("catalog.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell_text
    env.filters["number"] = lambda n: "" if n is None else f"{n:,}"
    env.globals["nav"] = NAV
    return env


def cell_text(value) -> str:
    """A result value as text in a table cell (NULL shows as empty)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def page_format(request: Request, allowed: tuple[str, ...] = FORMATS) -> str:
    from catalog.errors import CatalogError

    fmt = request.query_params.get("format", "html")
    if fmt not in allowed:
        raise CatalogError(f"format={fmt!r} is not offered here. Formats: {', '.join(allowed)}.")
    return fmt


def respond(request: Request, template: str, data: dict, status: int = 200, **extra) -> Response:
    """The page: `data` as JSON when ?format=json, else the HTML of `template` showing it
    (with `extra`, what only the HTML needs, such as chart geometry)."""
    if request.query_params.get("format") == "json":
        return JSON(data, status_code=status)
    html = (
        environment()
        .get_template(template)
        .render(
            data=data,
            path=request.url.path,
            json_url=same_page(request, format="json"),
            same_page=lambda **changes: same_page(request, **changes),
            **extra,
        )
    )
    return HTMLResponse(html, status_code=status)


def same_page(request: Request, **changes) -> str:
    """This page's path and query, with `changes` to its parameters (None removes one)."""
    params = dict(request.query_params)
    params.update(changes)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return quote(request.url.path) + ("?" + query if query else "")


def error(request: Request, status: int, message: str) -> Response:
    """A message page (or JSON {"error": ...}) for a failed request."""
    if request.query_params.get("format") == "json" or request.url.path.startswith("/media/"):
        return JSON({"error": message, "status": status}, status_code=status)
    html = (
        environment()
        .get_template("error.html")
        .render(data={"error": message, "status": status}, path=request.url.path, json_url=None)
    )
    return HTMLResponse(html, status_code=status)
