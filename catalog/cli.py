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


def _quiet_option(f):
    return click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")(f)


def _engine_options(f):
    """--threads and --memory-limit, for the commands that run heavy DuckDB work."""
    f = click.option(
        "--memory-limit",
        default=None,
        help="DuckDB memory limit, e.g. 2GB; beyond it DuckDB spills to disk beside the "
        "output. Default: half of this machine's memory.",
    )(f)
    return click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="DuckDB threads. Default: all cores.",
    )(f)


def _allow_files_option(f):
    return click.option(
        "--allow-files",
        "allow_dir",
        type=click.Path(exists=True, file_okay=False),
        default=None,
        help="A folder the SQL may read files from and write files to (read_csv, COPY TO). "
        "Without it the SQL cannot touch any file.",
    )(f)


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
    "--scale",
    type=float,
    default=None,
    help="Size relative to the published dataset, instead of --captions: 1.0 is the real "
    "size (6.7M captions, ~107M group rows, ~7 GB of CSV).",
)
@click.option(
    "--layout",
    type=click.Choice(["upstream", "legacy"]),
    default="upstream",
    show_default=True,
    help="Folder names and triplets schema to write.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@_quiet_option
def sample(out: str, captions: int, scale: float | None, layout: str, seed: int, quiet: bool):
    """Write a synthetic E-MM1 (all three parts) into OUT.

    The files have the published layout and columns, realistic id gaps, captions with commas,
    quotes, newlines and non-ASCII text, a few group ids absent from infos and duplicate triplet
    rows. The same arguments always write the same files.
    """
    from catalog.sample import SampleSizes, generate_sample

    sizes = generate_sample(
        out,
        layout=layout,
        seed=seed,
        progress=Progress.for_terminal(quiet),
        sizes=SampleSizes.for_captions(captions) if scale is None else SampleSizes.for_scale(scale),
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
@_engine_options
@click.option(
    "--storage-version",
    default=None,
    help="DuckDB storage format to write. Default v1.1.0: DuckDB 1.1 and later "
    "(and BI drivers embedding them) can open the file.",
)
@_quiet_option
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
@_allow_files_option
def sql(query, db, fmt, allow_dir) -> None:
    """Run QUERY against the catalog, read-only, and print the result.

    The connection cannot read or write files, attach databases, load extensions or change
    settings; --allow-files opens one folder.
    """
    from catalog.db import db_path
    from catalog.query import run_sql, write_result

    allow_dirs = [allow_dir] if allow_dir else []
    write_result(run_sql(db_path(db), query, allow_dirs), fmt, sys.stdout)


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


@main.command()
@_db_option
@click.option(
    "--tool",
    type=click.Choice(
        ["superset", "dbeaver", "metabase", "tableau", "python", "node", "duckdb-cli"]
    ),
    default=None,
    help="The tool to print connection settings for. Default: what every tool needs.",
)
def connect(db, tool) -> None:
    """Print how to open the catalog from a SQL or BI tool: URL or driver settings, the
    read-only flag, the catalog's absolute path and the DuckDB versions that can open it."""
    from catalog.connect import connection_settings
    from catalog.db import db_path

    click.echo(connection_settings(db_path(db), tool))


@main.command()
@_db_option
@_allow_files_option
def shell(db, allow_dir) -> None:
    """An interactive SQL prompt on the catalog, read-only.

    Statements may span lines and end with ;. Helpers: .tables, .schema NAME, .templates,
    .format table|csv|json, .help, .quit. At a terminal the history is kept in
    $XDG_STATE_HOME/emm1/history (else ~/.emm1_history); from a pipe, statements run as a
    script and the exit code is 1 if any failed.
    """
    from catalog.db import db_path
    from catalog.shell import run_shell

    failed = run_shell(db_path(db), [allow_dir] if allow_dir else [])
    if failed and not sys.stdin.isatty():
        sys.exit(1)


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
@_quiet_option
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


def _params_option(f):
    return click.option(
        "-p",
        "--param",
        "params",
        nargs=2,
        multiple=True,
        metavar="NAME VALUE",
        help="A template parameter, e.g. -p k 1..4 -p modalities image,audio "
        "(repeat for each; `emm1 templates show NAME` lists them).",
    )(f)


def _param_dict(pairs) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise CatalogError(f"parameter {name} is given twice; give each parameter once.")
        params[name] = value
    return params


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


@main.group(invoke_without_command=True)
@click.pass_context
def templates(ctx) -> None:
    """List the query templates with their titles and parameters.

    `emm1 templates show NAME` shows one in full: description, parameters, an example, the
    table macro that runs it from any DuckDB client, and its SQL.
    """
    from catalog.template_docs import describe_all

    if ctx.invoked_subcommand is None:
        click.echo(describe_all())


@templates.command("show")
@click.argument("name")
def templates_show(name) -> None:
    """Show template NAME: description, parameters, example, macro call and SQL."""
    from catalog.template_docs import describe_one

    click.echo(describe_one(name))


@main.command()
@click.argument("name")
@_params_option
def render(name, params) -> None:
    """Print template NAME as runnable SQL, values inlined as quoted literals.

    Paste the output into the DuckDB CLI or a BI tool connected to the catalog.
    """
    from catalog.templates import prepare

    click.echo(prepare(name, _param_dict(params), mode="inline")[2] + ";")


@main.command()
@click.argument("name")
@_params_option
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
    help="Output format on stdout (parquet: redirect stdout to a file).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most N rows.")
def query(name, params, db, fmt, limit) -> None:
    """Run template NAME with its parameters against the catalog and print the result."""
    from catalog.api import run_template, write_output
    from catalog.db import db_path

    write_output(run_template(db_path(db), name, _param_dict(params), limit), fmt, sys.stdout)


@main.command()
@click.argument("name", required=False)
@_params_option
@click.option("--view", default=None, help="Export this view instead of a template.")
@click.option(
    "--where",
    default=None,
    help='SQL expression filtering --view, e.g. "nn_index = 1". It runs read-only and '
    "cannot read or write files.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(),
    help="Folder to create: data files and _manifest.json.",
)
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv", "jsonl"]),
    default="parquet",
    show_default=True,
    help="File format.",
)
@click.option(
    "--partition-by",
    default=None,
    help="Comma-separated columns: hive folders such as nn_index=1/ (e.g. nn_index).",
)
@click.option(
    "--compression",
    type=click.Choice(["zstd", "snappy", "none"]),
    default=None,
    help="Compression. Default: zstd for parquet, none for csv and jsonl.",
)
@click.option(
    "--row-group-size",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per Parquet row group (DuckDB's default: 122,880).",
)
@click.option(
    "--max-file-size",
    default=None,
    help="Start a new file after about this size, e.g. 512MB.",
)
@click.option("--overwrite", is_flag=True, help="Replace an earlier export at --out.")
@_engine_options
@_quiet_option
def export(
    name,
    params,
    view,
    where,
    out,
    db,
    fmt,
    partition_by,
    compression,
    row_group_size,
    max_file_size,
    overwrite,
    memory_limit,
    threads,
    quiet,
) -> None:
    """Export template NAME (with -p parameters) or --view VIEW [--where EXPR] to --out.

    DuckDB streams the rows into files inside a folder beside --out, which is renamed to
    --out when complete: a failed or interrupted export leaves nothing at --out. The folder
    also gets _manifest.json: query, parameters, rows, files and the catalog's provenance.
    """
    import signal

    from catalog.db import db_path
    from catalog.export import export_slice

    # `kill` (SIGTERM) stops an export like Ctrl-C does: partial files removed, target untouched.
    signal.signal(signal.SIGTERM, _terminated)
    report = export_slice(
        db_path(db),
        out,
        template=name,
        params=_param_dict(params) if name else None,
        view=view,
        where=where,
        fmt=fmt,
        partition_by=[c.strip() for c in partition_by.split(",")] if partition_by else (),
        compression=compression,
        row_group_size=row_group_size,
        max_file_size=max_file_size,
        overwrite=overwrite,
        memory_limit=memory_limit,
        threads=threads,
        progress=Progress.for_terminal(quiet),
    )
    size = sum(f["bytes"] for f in report.files)
    click.echo(
        f"exported {report.rows:,} rows to {report.out}: {len(report.files)} file"
        f"{'' if len(report.files) == 1 else 's'}, "
        f"{human_bytes(size)} in {report.seconds:.1f} s",
        err=True,
    )


if __name__ == "__main__":
    sys.exit(main())
