"""The catalog as the explorer queries it: one hardened read-only connection, a cursor per query,
a bounded number of queries at once, a time limit on each, and cancellation when the browser
goes away.

Every query runs on a cursor of one connection opened by catalog.db.connect_hardened, the same
sandbox as `emm1 sql`: no file can be read or written, no extension loaded, no setting
changed. A cursor shares the database but not the running query, so queries of different
requests run side by side, at most `slots` at once; a request that waits too long for a slot is
told the explorer is busy. A timer interrupts a query at the time limit
(DuckDB stops within milliseconds), and a request whose client disconnected has its query
interrupted too.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio
import duckdb
from starlette.requests import Request

from catalog.db import connect_hardened, first_row
from catalog.errors import CatalogError
from catalog.query import query_error
from catalog.sqltext import ident

SLOTS = 4  # queries at once; more made each slower, and slow ones ran into the time limit
SLOT_WAIT = 30.0  # seconds a query waits for a slot (or the time limit, if longer)


class NotFound(CatalogError):
    """The page names something the catalog does not hold (HTTP 404)."""


class Busy(CatalogError):
    """Every query slot stayed taken while a query waited for one (HTTP 503)."""


class Stopped(CatalogError):
    """A query ran into the time limit, or its client went away, and was interrupted."""


class _Job:
    """The queries of one request, so that a disconnected client can stop them."""

    def __init__(self) -> None:
        self.cancelled = False
        self.cursors: set[duckdb.DuckDBPyConnection] = set()
        self.lock = threading.Lock()

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            for cur in self.cursors:
                cur.interrupt()


_JOB: contextvars.ContextVar[_Job | None] = contextvars.ContextVar("job", default=None)


class Database:
    """The catalog at `path`, for many requests at once. `time_limit` (seconds) bounds every
    query; `slots` queries run at once, and one waits for a slot up to SLOT_WAIT seconds (or
    the time limit, if longer)."""

    def __init__(self, path: os.PathLike, time_limit: float, slots: int = SLOTS):
        self.path = path
        self.time_limit = time_limit
        self.con = connect_hardened(path)
        self.name = first_row(self.con, "SELECT current_database()")[0]
        self._slots = threading.BoundedSemaphore(slots)

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def cursor(self, time_limit: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the catalog for one query, within a slot, stopped at the time limit
        (`time_limit`, else the explorer's; 0: none). DuckDB errors become CatalogError."""
        limit = self.time_limit if time_limit is None else time_limit
        job = _JOB.get()
        wait = max(self.time_limit, SLOT_WAIT)
        if not self._slots.acquire(timeout=wait):
            raise Busy(
                f"the explorer is busy: every query slot stayed taken for {wait:g} s. "
                "Try again in a moment."
            )
        timed_out = threading.Event()
        cur = self.con.cursor()
        timer = threading.Timer(limit, lambda: (timed_out.set(), cur.interrupt()))
        timer.daemon = True
        try:
            cur.execute(f"USE {ident(self.name)}")
            if job is not None:
                with job.lock:
                    if job.cancelled:
                        raise Stopped("the request was cancelled.")
                    job.cursors.add(cur)
            if limit:
                timer.start()
            yield cur
        except duckdb.InterruptException:
            if timed_out.is_set():
                raise Stopped(
                    f"the query was stopped at the time limit of {limit:g} s (emm1 serve "
                    "--time-limit). Ask for less, or write large results with `emm1 export`."
                ) from None
            raise Stopped("the query was stopped: the request was cancelled.") from None
        except duckdb.PermissionException as e:
            raise CatalogError(
                f"the query failed: {str(e).strip().splitlines()[0]}. Queries in the explorer "
                "cannot read or write files."
            ) from None
        except duckdb.Error as e:
            raise query_error(e) from None
        finally:
            timer.cancel()
            if job is not None:
                with job.lock:
                    job.cursors.discard(cur)
            cur.close()
            self._slots.release()

    def rows(self, sql: str, params: dict | None = None) -> list[dict]:
        """The rows of one query (a few: a page's worth) as dicts."""
        with self.cursor() as cur:
            result = cur.execute(sql, params) if params else cur.execute(sql)
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


async def in_thread(request: Request, work: Callable, *args):
    """Run `work(*args)` (which queries the catalog) in a worker thread; if the client
    disconnects meanwhile, its queries are interrupted."""
    job = _Job()
    token = _JOB.set(job)
    result, failure = None, None
    try:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while True:
                    await anyio.sleep(0.2)
                    if await request.is_disconnected():
                        job.cancel()
                        return

            group.start_soon(watch)
            try:
                result = await anyio.to_thread.run_sync(work, *args)
            except Exception as e:  # raised below, not inside a group of the task group's errors
                failure = e
            except BaseException:  # the request itself was cancelled (the server is stopping)
                job.cancel()
                raise
            finally:
                group.cancel_scope.cancel()
    finally:
        _JOB.reset(token)
    if failure is not None:
        raise failure
    return result


def fetch(rel: duckdb.DuckDBPyRelation, limit: int, offset: int = 0) -> dict:
    """At most `limit` rows of a relation from `offset` on: {"columns", "types", "rows" (lists),
    "more" (whether rows follow)}. One row beyond the limit is read to know."""
    got = rel.limit(limit + 1, offset)
    rows = [list(r) for r in got.fetchall()]
    return {
        "columns": list(rel.columns),
        "types": [str(t) for t in rel.types],
        "rows": rows[:limit],
        "more": len(rows) > limit,
    }


def records(result: dict) -> list[dict]:
    """The rows of a `fetch` result as dicts by column name."""
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]


def template_rows(cur: duckdb.DuckDBPyConnection, name: str, raw: dict, limit: int) -> dict:
    """The first `limit` rows of query template `name` (parameters as in `template_relation`):
    {"columns", "rows" (lists), "more"}, like `fetch` without an offset. The query is run once,
    without the relation around it, which binds it a second time (measured: 10% of a caption
    page's CPU time)."""
    from catalog.templates import prepare

    _, _, sql, bound = prepare(name, raw)
    result = cur.execute(sql, bound) if bound else cur.execute(sql)
    rows = [list(r) for r in result.fetchmany(limit + 1)]
    return {
        "columns": [d[0] for d in result.description],
        "rows": rows[:limit],
        "more": len(rows) > limit,
    }


def template_relation(
    cur: duckdb.DuckDBPyConnection, name: str, raw: dict
) -> duckdb.DuckDBPyRelation:
    """Query template `name` with parameters `raw` (text as on the command line), values bound:
    the relation `emm1 query` runs."""
    from catalog.templates import prepare

    _, _, sql, bound = prepare(name, raw)
    return cur.query(sql, params=bound) if bound else cur.sql(sql)
