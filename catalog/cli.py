"""The `emm1` command: parse options, call the library, turn CatalogError into a message."""

from __future__ import annotations

import sys

import click

from catalog import __version__
from catalog.errors import CatalogError
from catalog.progress import Progress, human_bytes


class CatalogGroup(click.Group):
    """Runs commands, printing a CatalogError as `Error: message` on stderr with exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CatalogError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=CatalogGroup)
@click.version_option(__version__, prog_name="emm1")
def main() -> None:
    """A DuckDB catalog of the E-MM1 dataset: build it, query it, find the files."""


@main.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option(
    "--captions",
    type=click.IntRange(min=20),
    default=200,
    show_default=True,
    help="Captions in E-MM1:100M (rows of each of the 16 nn shards).",
)
@click.option(
    "--layout",
    type=click.Choice(["upstream", "legacy"]),
    default="upstream",
    show_default=True,
    help="Folder names and triplets schema to write.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def sample(out: str, captions: int, layout: str, seed: int, quiet: bool) -> None:
    """Write a synthetic E-MM1 (all three parts) into OUT.

    The files have the published layout and columns, realistic id gaps, captions with commas,
    quotes, newlines and non-ASCII text, a few group ids absent from infos and duplicate triplet
    rows. The same arguments always write the same files.
    """
    from catalog.sample import generate_sample

    sizes = generate_sample(
        out, captions=captions, layout=layout, seed=seed, progress=Progress.for_terminal(quiet)
    )
    click.echo(
        f"wrote a {layout} sample to {out}: {sizes.captions:,} captions x 16 shards, "
        f"{sizes.triplets:,} triplets, {sizes.eshot:,} EShot samples per modality",
        err=True,
    )


def _db_option(f):
    return click.option(
        "--db",
        type=click.Path(dir_okay=False),
        default=None,
        help="Catalog file. Default: $EMM1_DB, else ./emm1.duckdb.",
    )(f)


@main.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@_db_option
@click.option(
    "--asset-root",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder the media were downloaded into. Default: $ROOT_DATA_PATH, else "
    "DATA_DIR. Change it later with `emm1 config set asset_root PATH`.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="DuckDB threads. Default: all cores.",
)
@click.option(
    "--memory-limit",
    default=None,
    help="DuckDB memory limit, e.g. 2GB; the build spills to disk beyond it. "
    "Default: half of this machine's memory.",
)
@click.option(
    "--storage-version",
    default=None,
    help="DuckDB storage format to write. Default v1.1.0: DuckDB 1.1 and later "
    "(and BI drivers embedding them) can open the file.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def build(data_dir, db, asset_root, threads, memory_limit, storage_version, quiet) -> None:
    """Build the catalog from the E-MM1 files in DATA_DIR.

    DATA_DIR holds e-mm1_100m/, e-mm1_1m/ and eshot/ (or the legacy
    encord_phase_1_dataset/ and encord_phase_2_dataset/), or is one part itself; any part may
    be missing. git LFS pointer files are skipped and listed. The new catalog replaces the
    one at --db only when the build succeeds.
    """
    from catalog.build import build_catalog
    from catalog.db import DEFAULT_STORAGE_VERSION, db_path

    report = build_catalog(
        data_dir,
        db_path(db),
        asset_root=asset_root,
        threads=threads,
        memory_limit=memory_limit,
        storage_version=storage_version or DEFAULT_STORAGE_VERSION,
        progress=Progress.for_terminal(quiet),
    )
    rows = sum(r for _, r, _ in report.loaded)
    click.echo(
        f"built {report.db}: {len(report.loaded)} files, {rows:,} rows, "
        f"{human_bytes(report.bytes)} in {report.seconds:.1f} s "
        f"(parts: {', '.join(report.parts)})",
        err=True,
    )
    for file in report.skipped:
        click.echo(f"skipped {file.rel}: a git LFS pointer, not data", err=True)
    if report.fetch_command:
        click.echo(f"fetch the skipped files with: {report.fetch_command}", err=True)


@main.command()
@_db_option
def info(db) -> None:
    """Describe the catalog: parts, shards present and missing, rows, asset root, provenance."""
    from catalog.db import db_path
    from catalog.info import describe

    click.echo(describe(db_path(db)))


@main.command()
@click.argument("query")
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format on stdout.",
)
def sql(query, db, fmt) -> None:
    """Run QUERY against the catalog, read-only, and print the result."""
    from catalog.db import db_path
    from catalog.query import run_sql, write_result

    write_result(run_sql(db_path(db), query), fmt, sys.stdout)


@main.group()
def config() -> None:
    """Settings stored in the catalog (asset_root, layout.<modality>)."""


@config.command("get")
@click.argument("key", required=False)
@_db_option
def config_get(key, db) -> None:
    """Print one setting, or all of them."""
    from catalog.config import KEYS, get_settings
    from catalog.db import db_path

    settings = get_settings(db_path(db))
    if key is not None and key not in settings:
        raise CatalogError(f"unknown setting {key!r}. Settings: {', '.join(KEYS)}.")
    for k, v in settings.items():
        if key is None:
            click.echo(f"{k}={v}")
        elif k == key:
            click.echo(v)


@config.command("set")
@click.argument("key")
@click.argument("value")
@_db_option
def config_set(key, value, db) -> None:
    """Store a setting. Every path in every view follows at once, no rebuild needed.

    KEY is asset_root or layout.<modality> (image, audio, video, points): the folder that
    modality is stored in below <asset_root>/<save_folder>/.
    """
    from catalog.config import set_setting
    from catalog.db import db_path

    stored = set_setting(db_path(db), key, value)
    click.echo(f"{key} = {stored}", err=True)


@main.group()
def files() -> None:
    """The media files on disk: which are there, where, and what is still to download."""


_PART_HELP = "Only this part (e-mm1_100m, e-mm1_1m, eshot); repeat for more. Default: all."
_MODALITY_HELP = "Only this modality (image, audio, video, points); repeat for more. Default: all."


@files.command("scan")
@_db_option
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to scan. Default: $ROOT_DATA_PATH, else the catalog's asset_root.",
)
@click.option("--part", "parts", multiple=True, help=_PART_HELP)
@click.option("--modality", "modalities", multiple=True, help=_MODALITY_HELP)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def files_scan(db, root, parts, modalities, quiet) -> None:
    """Find which assets have their file on disk, and store it in the catalog.

    Lists <root>/<save_folder>/ once, matches every file against the catalog, and prints the
    coverage per part, modality and source dataset (present / expected / %). Says which folder
    holds each modality's files and the `emm1 config set layout.<modality> FOLDER` that points
    the paths there. A rescan replaces the earlier result for what it covers.
    """
    from catalog.db import db_path
    from catalog.files import scan_files

    report = scan_files(db_path(db), root, parts, modalities, progress=Progress.for_terminal(quiet))
    click.echo(report.coverage_table())
    for line in report.messages():
        click.echo(line, err=True)
    click.echo(
        f"scanned {report.root}: {report.files_listed:,} files listed in {report.seconds:.1f} s",
        err=True,
    )


@files.command("missing")
@_db_option
@click.option("--part", "parts", multiple=True, help=_PART_HELP)
@click.option("--modality", "modalities", multiple=True, help=_MODALITY_HELP)
@click.option(
    "--source-dataset",
    "sources",
    multiple=True,
    help="Only this source dataset (e.g. AudioSet, COCO); repeat for more. Default: all.",
)
@click.option(
    "--downloader",
    type=click.Choice(["youtube", "url", "huggingface", "other"]),
    default=None,
    help="Only the assets this downloader fetches, with only the columns it needs. "
    "Default: every asset, every column, and a downloader column.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="File format of the list.",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="File to write the list to."
)
def files_missing(db, parts, modalities, sources, downloader, fmt, out) -> None:
    """Write the list of files still to download, for the downloader of each source.

    YouTube sources get youtube_id, start_time, end_time; URL sources get `url` (the column
    img2dataset reads); Hugging Face sources (VidGen-1M, OpenShape, ImageNet, Flickr30k) get
    file_id; every row has file_path, where the file belongs. Needs a `emm1 files scan` first.
    """
    from catalog.db import db_path
    from catalog.files import write_missing

    rows = write_missing(db_path(db), out, fmt, parts, modalities, sources, downloader)
    click.echo(f"wrote {rows:,} missing files to {out}", err=True)


if __name__ == "__main__":
    sys.exit(main())
