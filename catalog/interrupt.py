"""Ctrl-C that stops a running DuckDB query at once.

Python runs a signal's handler only when the main thread is back in Python, which is after DuckDB
returns: a long query would ignore Ctrl-C until it ended. Under `interruptible(con)` the C-level
handler also writes the signal's number to a pipe (signal.set_wakeup_fd); a watcher thread reading
that pipe calls `con.interrupt()`, which stops DuckDB within milliseconds. The signal's own
handler is held back until the block has ended and run there, so Ctrl-C is a KeyboardInterrupt as
usual (a handled SIGTERM does what its handler says), raised where the block ends and nowhere
else.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb

# Signals that interrupt DuckDB, when the program handles them in Python (SIGINT always does:
# KeyboardInterrupt; SIGTERM only where a command installs a handler, as `emm1 export` does;
# SIGHUP, a closed terminal, where `emm1 build` does).
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOPPED = "interrupted (Ctrl-C): the query was stopped"


@contextmanager
def interruptible(
    con: duckdb.DuckDBPyConnection, tick: Callable[[], None] | None = None
) -> Iterator[None]:
    """Run the block so that Ctrl-C interrupts DuckDB's work on `con` at once; when the block has
    ended, the signal's handler runs (KeyboardInterrupt for Ctrl-C) in place of whatever DuckDB
    raised on being interrupted. `tick`, if given, is called from the watcher thread about twice
    a second while the block runs (export reports progress with it). Signals can be watched only
    from the main thread; elsewhere the block simply runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {s: signal.getsignal(s) for s in SIGNALS if callable(signal.getsignal(s))}
    received: list[int] = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    previous_fd = signal.set_wakeup_fd(wake_w)
    for signum in handlers:
        signal.signal(signum, lambda signum, frame: received.append(signum))
    done = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(con, wake_r, done, set(handlers), tick), daemon=True
    )
    watcher.start()
    try:
        yield
    finally:
        done.set()  # also runs any handler still pending, while it only records
        os.write(wake_w, b"\0")  # wakes the watcher; signal numbers are never 0
        watcher.join()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(wake_r)
        os.close(wake_w)
        if received:
            handlers[received[0]](received[0], None)
            raise KeyboardInterrupt(f"stopped by signal {received[0]}")


def _watch(con, wake_r: int, done: threading.Event, watched: set[int], tick) -> None:
    """Until `done`: on a watched signal, interrupt DuckDB (again every 0.1 s, so a statement
    that starts after the first interrupt stops too); otherwise call `tick` now and then."""
    while not done.is_set():
        ready, _, _ = select.select([wake_r], [], [], 0.5)
        if ready and watched.intersection(os.read(wake_r, 64)):
            con.interrupt()
            while not done.wait(0.1):
                con.interrupt()
            return
        if tick is not None and not done.is_set():
            tick()
