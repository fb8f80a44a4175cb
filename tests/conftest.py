"""Shared fixtures: generated samples and catalogs built from them, in tmp folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from catalog.build import build_catalog
from catalog.sample import generate_sample

CAPTIONS = 300  # small enough to build in well under a second


def pytest_report_header(config):
    return f"duckdb {duckdb.__version__}"


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    """The user's own catalog and asset root never leak into a test."""
    for name in ("EMM1_DB", "ROOT_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> dict[str, Path]:
    """One generated dataset per layout, shared read-only by the whole session."""
    root = tmp_path_factory.mktemp("samples")
    out = {}
    for layout in ("upstream", "legacy"):
        generate_sample(root / layout, captions=CAPTIONS, layout=layout, seed=7)
        out[layout] = root / layout
    return out


@pytest.fixture(scope="session")
def catalogs(samples, tmp_path_factory) -> dict[str, Path]:
    """A catalog built from each layout's sample; tests must open these read-only."""
    root = tmp_path_factory.mktemp("catalogs")
    out = {}
    for layout, data in samples.items():
        out[layout] = root / f"{layout}.duckdb"
        build_catalog(data, out[layout], asset_root="/assets")
    return out


@pytest.fixture(scope="module")
def db(catalogs) -> Path:
    """The upstream sample's catalog (read-only: copy it before changing it)."""
    return catalogs["upstream"]


@pytest.fixture(scope="module")
def plain(db):
    """A plain read-only DuckDB connection to `db`, as any client would open it."""
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


@pytest.fixture(params=["upstream", "legacy"])
def layout(request) -> str:
    return request.param


@pytest.fixture
def data_copy(samples, layout, tmp_path) -> Path:
    """A private copy of a sample that a test may damage."""
    target = tmp_path / "data"
    shutil.copytree(samples[layout], target)
    return target
