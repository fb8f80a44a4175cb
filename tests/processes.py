"""`emm1` as a real process, for the tests that start, stop, kill and race it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

WAIT = 120  # seconds before a step that should take a few is declared stuck


def emm1(*args) -> subprocess.Popen:
    """`emm1 ARGS` started in its own process, stdout and stderr captured as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "catalog.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """Its exit code and stderr, once it has ended."""
    _, err = process.communicate(timeout=WAIT)
    return process.returncode, err


def wait_for(condition, what: str, process: subprocess.Popen | None = None):
    """Wait until `condition()` is true and return its value; fail if `process` ends first."""
    deadline = time.monotonic() + WAIT
    while not (found := condition()):
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {finish(process)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.001)
    return found


def install_copy(repo: Path, target: Path) -> dict[str, str]:
    """Install the package from `repo` into `target` (not editable: no source tree behind it)
    and return the environment in which Python imports that copy."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(repo)],
        check=True,
        capture_output=True,
        cwd=target.parent,
    )  # fmt: skip
    return {**os.environ, "PYTHONPATH": str(target)}
