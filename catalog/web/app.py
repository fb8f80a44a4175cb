"""`emm1 serve`: a local web explorer of the catalog and the media files on disk.

Read-only throughout, and safe on a researcher's machine that any web page can reach:
- it binds 127.0.0.1 unless told otherwise, and answers only requests whose Host header names
  the address it is bound to (a web page that rebinds its own DNS name to 127.0.0.1 is refused);
- only GET and HEAD (anything else: 405);
- every page is rendered with autoescaping, and a Content-Security-Policy allows only the
  app's own scripts and styles (no inline script), never inside a frame;
- every query runs in the sandbox of `emm1 sql`, at most a few at once, each stopped at the
  time limit (catalog.web.database);
- errors are a message page, never a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from catalog.db import first_row
from catalog.errors import CatalogError
from catalog.web import console, pages
from catalog.web.database import Busy, Database, NotFound, Stopped
from catalog.web.media import media_routes
from catalog.web.overview import Overview
from catalog.web.render import error
from catalog.web.resolve import Resolver, chosen_root

METHODS = (b"GET", b"HEAD")
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class Explorer:
    """What every page uses: the catalog, where its files are, and the overview."""

    db: Database
    resolver: Resolver
    overview: Overview


class Guard:
    """ASGI middleware in front of everything: refuses a Host header that is not the address
    the server is bound to (DNS rebinding) and every method but GET and HEAD, and adds the
    security headers to every response, and Server-Timing: the time to the response's start
    and the CPU time the server process used meanwhile (all its threads)."""

    def __init__(self, app, hosts: set[str]):
        self.app = app
        self.hosts = {h.lower().encode("latin-1") for h in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        start, cpu = time.perf_counter(), time.process_time()

        async def secured(message):
            if message["type"] == "http.response.start":
                took = (
                    f"app;dur={(time.perf_counter() - start) * 1000:.1f}, "
                    f"cpu;dur={(time.process_time() - cpu) * 1000:.1f}"  # the whole process's
                ).encode()
                message["headers"] = [
                    *message.get("headers", []),
                    *SECURITY_HEADERS,
                    (b"server-timing", took),  # for bench/serve.py
                ]
            await send(message)

        host = dict(scope["headers"]).get(b"host", b"").lower()
        if host not in self.hosts:
            return await _plain(secured, 400, "unexpected Host header: refused.")
        if scope["method"].encode() not in METHODS:
            return await _plain(
                secured,
                405,
                "only GET and HEAD: the explorer reads and never writes.",
                [(b"allow", b"GET, HEAD")],
            )
        await self.app(scope, receive, secured)


async def _plain(send, status: int, message: str, headers=()) -> None:
    body = f"{status}: {message}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(host: str, port: int) -> set[str]:
    """Host headers the server answers: its own address and port; with a loopback address also
    localhost; bound to every address (0.0.0.0, ::), any IP address (a DNS name could be
    rebound by a web page, an address cannot) and localhost."""
    ip = ipaddress.ip_address(host)
    names = {_netloc(host, port)}
    if ip.is_loopback or ip.is_unspecified:
        names.add(f"localhost:{port}")
    if ip.is_unspecified:
        names |= {_netloc(str(a), port) for a in _local_addresses()}
    return names


def _local_addresses() -> set[str]:
    addresses = {"127.0.0.1", "::1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]).split("%")[0])
    except OSError:
        pass
    return addresses


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def create_app(
    db_path: Path, host: str, port: int, root: Path | None = None, time_limit: float = 10.0
) -> Starlette:
    """The explorer of the catalog at `db_path`, answering as `host`:`port`; media under `root`
    (None: the catalog's asset_root); every query stopped after `time_limit` seconds."""
    db = Database(db_path, time_limit)
    with db.cursor() as cur:
        stored_root = first_row(cur, "SELECT asset_root FROM path_settings")[0]
    resolver = Resolver(db, stored_root, root)
    overview = Overview(db)
    overview.start()
    routes = [
        Route("/", pages.home),
        Route("/search", pages.search),
        Route("/caption/{part}/{text_id:int}", pages.caption),
        Route("/triplets", pages.triplets),
        Route("/asset/{part}/{modality}/{asset_id:int}", pages.asset),
        Route("/eshot", pages.eshot),
        Route("/eshot/{category:path}", pages.eshot_category),
        Route("/templates", console.template_list),
        Route("/templates/{name}", console.template_page),
        Route("/sql", console.sql_console),
        *media_routes(resolver),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            CatalogError: _catalog_error,
            Exception: _server_error,
        },
    )
    app.state.explorer = Explorer(db, resolver, overview)
    return Guard(app, allowed_hosts(host, port))


async def _http_error(request: Request, exc: HTTPException):
    messages = {404: f"no page at {request.url.path}: the links at the top lead to every page."}
    return error(request, exc.status_code, messages.get(exc.status_code, exc.detail))


async def _catalog_error(request: Request, exc: CatalogError):
    status = 400
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, (Busy, Stopped)):
        status = 503
    return error(request, status, str(exc))


async def _server_error(request: Request, exc: Exception):
    print(f"emm1 serve: {request.url.path}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return error(request, 500, "the explorer failed on this page; the message is in its log.")


def serve(
    db_path: Path,
    root: str | os.PathLike | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    time_limit: float = 10.0,
    announce: Callable[[str], None] = print,
) -> None:
    """Run the explorer until Ctrl-C. Port 0 picks a free port; the URL goes to `announce`."""
    import uvicorn

    host = "127.0.0.1" if host == "localhost" else host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise CatalogError(
            f"--host {host!r} is not an IP address: give one, e.g. 127.0.0.1 (this machine "
            "only) or 0.0.0.0 (every address)."
        ) from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise CatalogError(
            f"cannot listen on {_netloc(host, port)}: {e.strerror}. Choose another --port "
            "(0 picks a free one)."
        ) from None
    port = sock.getsockname()[1]
    try:
        app = create_app(db_path, host, port, chosen_root(root), time_limit)
    except BaseException:
        sock.close()
        raise
    sock.listen(2048)  # connections wait from now on, so the URL works as soon as it is shown
    url = f"http://{_netloc(host, port)}/"
    announce(url)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,  # Ctrl-C: requests still running get 3 s, then are dropped
    )
    uvicorn.Server(config).run(sockets=[sock])
