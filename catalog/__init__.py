"""emm1-catalog: the E-MM1 dataset as one DuckDB file with resolved views."""

from importlib.metadata import PackageNotFoundError, version

from catalog.errors import CatalogError

try:
    __version__ = version("emm1-catalog")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["CatalogError", "__version__", "open_catalog"]


def open_catalog(path=None):
    """Open a catalog read-only: `.template(name, **params)`, `.view(name, where=...)` (DuckDB
    relations) and `.export(out, ...)`. See catalog.api.Catalog."""
    from catalog.api import open_catalog as _open

    return _open(path)
