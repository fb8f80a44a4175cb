"""The `emm1` command: parse options, call the library, turn CatalogError into a message."""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from catalog import __version__
from catalog.errors import CatalogError
from catalog.progress import Progress, count, human_bytes


class CatalogGroup(click.Group):
    """Runs commands, printing a CatalogError as `Error: message` on stderr with exit code 1.
    A reader of stdout that goes away (`emm1 sql ... | head -1`) ends the command quietly."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not as Python exits
            return result
        except CatalogError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            # As Python's documentation of SIGPIPE advises: the rest of the output goes to
            # /dev/null, so the flush at exit cannot fail again. The reader asked for no more.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)


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


def _max_rows_option(f):
    return click.option(
        "--max-rows",
        type=click.IntRange(min=0),
        default=20,
        show_default=True,
        help="Rows a table (or line) output shows; 0 shows all. A footer says how many rows "
        "there are. csv and json print every row.",
    )(f)


def _allow_files_option(f):
    return click.option(
        "--allow-files",
        "allow_dir",
        type=click.Path(exists=True, file_okay=False),
        default=None,
        help="A folder the SQL may read files from and write files to (read_csv, COPY TO), "
        "except the catalog and its .wal. Refused if a symbolic link in it leads outside. "
        "Without it the SQL cannot touch any file.",
    )(f)


def _not_stdout(what: str):
    """A click callback refusing `-` (stdout) for an option that names a folder or a second
    output: `what` says why, and `./-` still names a file or folder called `-`."""

    def check(ctx, param, value):
        if value == "-":
            raise click.BadParameter(
                f"- (stdout) cannot be used here: {what}; write ./- for one named -."
            )
        return value

    return check


@main.command()
@click.argument(
    "out",
    type=click.Path(file_okay=False),
    callback=_not_stdout("a sample is a folder of files"),
)
@click.option(
    "--captions",
    type=click.IntRange(min=20),
    default=None,
    help="Captions in E-MM1:100M (rows of each of the 16 nn shards). Default: 200.",
)
@click.option(
    "--scale",
    type=float,
    default=None,
    help="Size relative to the published dataset, instead of --captions (give one of them): "
    "1.0 is the real size (6.7M captions, ~107M group rows, ~7 GB of CSV).",
)
@click.option(
    "--layout",
    type=click.Choice(["upstream", "legacy"]),
    default="upstream",
    show_default=True,
    help="Folder names and triplets schema to write.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option(
    "--media",
    is_flag=True,
    help="Also write small real media files (JPEG, WAV, NPY; MP4 when ffmpeg is on PATH) for "
    "about one asset in three, where the catalog looks for them, for previews in `emm1 serve`.",
)
@_quiet_option
def sample(
    out: str,
    captions: int | None,
    scale: float | None,
    layout: str,
    seed: int,
    media: bool,
    quiet: bool,
):
    """Write a synthetic E-MM1 (all three parts) into OUT.

    The files have the published layout and columns, realistic id gaps, captions with commas,
    quotes, newlines and non-ASCII text, a few group ids absent from infos and duplicate triplet
    rows. The same arguments always write the same files.
    """
    from catalog.sample import SampleSizes, generate_sample

    sizes = SampleSizes.chosen(captions, scale)
    progress = Progress.for_terminal(quiet)
    generate_sample(out, layout=layout, seed=seed, progress=progress, sizes=sizes)
    click.echo(
        f"wrote a sample in the {layout} layout to {out}: "
        f"{count(sizes.captions, 'caption')} x 16 shards, {count(sizes.triplets, 'triplet')}, "
        f"{count(sizes.eshot, 'EShot sample')} per modality",
        err=True,
    )
    if media:
        from catalog.sample_media import write_media

        report = write_media(out, layout=layout, seed=seed, progress=progress)
        click.echo(report.describe(Path(out)), err=True)


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
    help="Folder the media were downloaded into. Default: $ROOT_DATA_PATH, else the one the "
    "catalog being rebuilt stores, else DATA_DIR. Change it later with "
    "`emm1 config set asset_root PATH`.",
)
@_engine_options
@click.option(
    "--storage-version",
    default=None,
    help="DuckDB storage format to write. Default v1.1.0: DuckDB 1.1 and later "
    "(and BI drivers embedding them) can open the file.",
)
@click.option(
    "--max-record-size",
    default=None,
    help="Longest CSV record the build accepts, e.g. 64MB. Default 2MB; a longer record "
    "(a huge caption) stops the build and names it.",
)
@click.option(
    "--reset-settings",
    is_flag=True,
    help="Start from the default settings instead of keeping those of the catalog being "
    "rebuilt (asset_root, layout.*). Its file scan is still kept.",
)
@_quiet_option
def build(
    data_dir,
    db,
    asset_root,
    threads,
    memory_limit,
    storage_version,
    max_record_size,
    reset_settings,
    quiet,
) -> None:
    """Build the catalog from the E-MM1 files in DATA_DIR.

    DATA_DIR holds e-mm1_100m/, e-mm1_1m/ and eshot/ (or the legacy
    encord_phase_1_dataset/ and encord_phase_2_dataset/), or is one part itself; any part may
    be missing. git LFS pointer files are skipped and listed. The new catalog replaces the
    one at --db only when the build succeeds, and keeps its settings (asset_root, layout.*)
    and its file scan for the assets whose infos rows did not change.
    """
    from catalog.build import build_catalog
    from catalog.db import DEFAULT_STORAGE_VERSION, db_path

    with _stopped_cleanly("build", db_path(db)) as path:
        report = build_catalog(
            data_dir,
            path,
            asset_root=asset_root,
            threads=threads,
            memory_limit=memory_limit,
            storage_version=storage_version or DEFAULT_STORAGE_VERSION,
            max_record_size=max_record_size,
            progress=Progress.for_terminal(quiet),
            reset_settings=reset_settings,
        )
    rows = sum(r for _, r, _ in report.loaded)
    click.echo(
        f"built {report.db}: {count(len(report.loaded), 'file')}, {count(rows, 'row')}, "
        f"{human_bytes(report.bytes)} in {report.seconds:.1f} s "
        f"(parts: {', '.join(report.parts)}); asset root {report.asset_root} "
        f"({report.asset_root_source})",
        err=True,
    )
    if report.carried():
        click.echo(report.carried(), err=True)
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
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option("--strict", is_flag=True, help="Exit with 1 when a check warns, too.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False),
    default=None,
    callback=_not_stdout("stdout carries the check results; give the data card a file name"),
    help="Also write an HTML data card to this file: the checks, counts per part, modality, "
    "source and licence, caption lengths, files on disk and how the catalog was built.",
)
@_quiet_option
def check(db, fmt, strict, report_file, quiet) -> None:
    """Check the catalog: are the files complete and sound, is EShot apart from the training
    parts, which licences apply. Each check passes, warns or fails, with the figure found,
    the figure expected and the `emm1 sql` query that lists the offending rows.

    Exit code 1 when a check fails (with --strict also when one warns), so it can gate a data
    pipeline.
    """
    from catalog.check import render, run_checks
    from catalog.db import db_path
    from catalog.interrupt import STOPPED

    try:
        report = run_checks(db_path(db), Progress.for_terminal(quiet))
    except KeyboardInterrupt:
        click.echo(f"Error: {STOPPED}.", err=True)
        sys.exit(130)
    click.echo(render(report, fmt))
    if report_file:
        from catalog.report import write_report

        click.echo(f"wrote the data card to {write_report(report, report_file)}", err=True)
    code = report.exit_code(strict)
    if code:
        click.echo(f"{report.summary()}: exit code {code}", err=True)
        sys.exit(code)


@main.command()
@click.argument("query")
@_db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "line", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format on stdout (line: one `column = value` line per column, for wide rows).",
)
@_max_rows_option
@_allow_files_option
def sql(query, db, fmt, max_rows, allow_dir) -> None:
    """Run QUERY against the catalog, read-only, and print the result of its last statement.

    Only queries run (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, and COPY ... TO a file under
    --allow-files): no ATTACH, DETACH, USE, SET, CREATE or PRAGMA. No file can be read or
    written outside the folder --allow-files opens. Ctrl-C stops the query at once (exit 130).
    """
    from catalog.db import db_path
    from catalog.interrupt import STOPPED
    from catalog.query import run_sql

    try:
        run_sql(db_path(db), query, fmt, sys.stdout, [allow_dir] if allow_dir else [], max_rows)
    except KeyboardInterrupt:
        click.echo(f"Error: {STOPPED}.", err=True)
        sys.exit(130)


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

    with _stopped_cleanly("config set", db_path(db)) as path:
        stored = set_setting(path, key, value)
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

    Statements may span lines and end with ;. Helpers: .tables, .schema NAME (a table, view or
    table macro), .templates, .format table|line|csv|json, .maxrows N, .help, .quit. Tables show
    the first 20 rows and say how many there are. At a terminal the history is kept in
    $XDG_STATE_HOME/emm1/history (else ~/.emm1_history); from a pipe, statements run as a
    script and the exit code is 1 if any failed. The same statements run as in `emm1 sql`.
    Ctrl-C stops a running query at once: back to the prompt, or from a pipe exit 130.
    """
    from catalog.db import db_path
    from catalog.interrupt import STOPPED
    from catalog.shell import run_shell

    try:
        failed = run_shell(db_path(db), [allow_dir] if allow_dir else [])
    except KeyboardInterrupt:
        click.echo(f"Error: {STOPPED}.", err=True)
        sys.exit(130)
    if failed and not sys.stdin.isatty():
        sys.exit(1)


@main.command()
@_db_option
@click.option(
    "--root",
    default=None,
    help="Folder the media were downloaded into, for previews. Default: $ROOT_DATA_PATH, else "
    "the catalog's asset_root.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default answers this machine only.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the explorer in a browser.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a query may run before it is stopped.",
)
def serve(db, root, host, port, open_browser, time_limit) -> None:
    """Explore the catalog and your media files in a web browser, read-only.

    Pages: / (what the catalog holds), /search, /caption/PART/ID, /triplets, /asset/PART/
    MODALITY/ID, /eshot, /templates and /sql; add ?format=json to any page for its data.
    Prints the URL; Ctrl-C stops the server.
    """
    from catalog.db import db_path
    from catalog.web.app import serve as run

    def announce(url: str) -> None:
        click.echo(f"emm1 serve: {url} (Ctrl-C stops it)", err=True)

    run(db_path(db), root, host, port, open_browser, time_limit, announce)


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
@click.option(
    "--follow-links",
    is_flag=True,
    help="Follow every symbolic link, wherever it points. Default: only links whose target is "
    "inside the root; the others are skipped and reported.",
)
@_quiet_option
def files_scan(db, root, parts, modalities, follow_links, quiet) -> None:
    """Find which assets have their file on disk, and store it in the catalog.

    Lists <root>/<save_folder>/ once, matches every file against the catalog, and prints the
    coverage per part, modality and source dataset (present / expected / %). Says which folder
    holds each modality's files and the `emm1 config set layout.<modality> FOLDER` that points
    the paths there, or how many files are only in another folder when they are split. Empty
    files and partial downloads (.part, .tmp, .ytdl) are not present: they are counted and kept
    in the table incomplete_files. A rescan replaces the earlier result for what it covers.

    The scan stays inside the root: it follows a symbolic link only to a target inside it
    (every link with --follow-links). A folder it cannot read, a broken or looping link, a link
    out of the root and a name that is not UTF-8 are skipped one by one and named on stderr.
    """
    from catalog.db import db_path
    from catalog.files import scan_files

    report = scan_files(
        db_path(db),
        root,
        parts,
        modalities,
        progress=Progress.for_terminal(quiet),
        follow_links=follow_links,
    )
    click.echo(report.coverage_table())
    for line in report.messages():
        click.echo(line, err=True)
    click.echo(
        f"scanned {report.root}: {count(report.files_listed, 'file')} listed in "
        f"{report.seconds:.1f} s",
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
    "--out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write the list to (its folders are created), or - for stdout.",
)
def files_missing(db, parts, modalities, sources, downloader, fmt, out) -> None:
    """Write the list of files still to download, for the downloader of each source.

    One row per file: an asset of a `shared` save folder that two parts list is one file.
    YouTube sources get youtube_id, start_time, end_time; URL sources get `url` (the column
    img2dataset reads); Hugging Face sources (VidGen-1M, OpenShape, ImageNet, Flickr30k) get
    file_id; every row has file_path, where the file belongs. Needs an `emm1 files scan` first.
    """
    from catalog.db import db_path
    from catalog.files import STDOUT, write_missing

    rows = write_missing(db_path(db), out, fmt, parts, modalities, sources, downloader)
    where = "stdout" if out == STDOUT else out
    click.echo(f"wrote {count(rows, 'missing file')} to {where}", err=True)


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


@contextmanager
def _stopped_cleanly(command: str, db: Path) -> Iterator[Path]:
    """Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) stop a command that writes the
    catalog at once, with its temporary files removed and the catalog left as it was: one line
    says so, and the exit code is 128 + the signal's number (130 for Ctrl-C)."""
    previous = {s: signal.signal(s, _terminated) for s in (signal.SIGTERM, signal.SIGHUP)}
    before = _file_identity(db)
    try:
        yield db
    except (KeyboardInterrupt, SystemExit) as stop:  # SystemExit: from _terminated
        if _file_identity(db) == before:
            click.echo(f"{command} interrupted: nothing was changed at {db}", err=True)
        else:  # the signal came just as the new catalog was renamed into place
            click.echo(f"{command} interrupted as it ended: {db} is the new catalog", err=True)
        sys.exit(stop.code if isinstance(stop, SystemExit) else 128 + signal.SIGINT)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


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
    type=click.Choice(["table", "line", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
    help="Output format on stdout (line: one `column = value` line per column; parquet: "
    "redirect stdout to a file).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most N rows.")
@_max_rows_option
def query(name, params, db, fmt, limit, max_rows) -> None:
    """Run template NAME with its parameters against the catalog and print the result, in the
    template's documented order (`emm1 templates show NAME`)."""
    from catalog.api import run_template, write_output
    from catalog.db import db_path

    rel = run_template(db_path(db), name, _param_dict(params), limit)
    write_output(rel, fmt, sys.stdout, max_rows)


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
    "--sql",
    default=None,
    metavar="QUERY",
    help="Export the rows of this query (one SELECT) instead: it runs on the same read-only "
    "connection, which cannot read or write files.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(),
    callback=_not_stdout(
        "an export is a folder of files; `emm1 query NAME --format csv` or "
        "`emm1 sql QUERY --format csv` prints rows"
    ),
    help="Folder to create, parent folders too: the data files only; the manifest goes "
    "beside it as OUT.manifest.json.",
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
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
@click.option(
    "--sample",
    type=int,
    default=None,
    metavar="N",
    help="Only N rows chosen at random by --seed: the same seed gives the same rows.",
)
@click.option("--seed", type=int, default=None, help="The seed of --sample. Default: 0.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an earlier export at --out (a folder with OUT.manifest.json beside it).",
)
@click.option(
    "--unordered",
    is_flag=True,
    help="--view only: leave the rows in DuckDB's order instead of the view's documented one "
    "(faster, less memory for large views). A template takes -p order_by none.",
)
@_engine_options
@_quiet_option
def export(
    name,
    params,
    view,
    where,
    sql,
    out,
    db,
    fmt,
    partition_by,
    compression,
    row_group_size,
    max_file_size,
    limit,
    sample,
    seed,
    overwrite,
    unordered,
    memory_limit,
    threads,
    quiet,
) -> None:
    """Export template NAME (with -p parameters), --view VIEW [--where EXPR] or --sql QUERY
    to the folder --out.

    DuckDB streams the rows into files inside a folder beside --out, which is renamed to
    --out when complete: a failed or interrupted export leaves nothing at --out. Then
    OUT.manifest.json is written beside it: query, parameters, rows, columns, files and the
    catalog's provenance. The folder holds only data files, so any reader can read it whole.
    """
    import signal

    from catalog.db import db_path
    from catalog.export import CLI_NAMES, export_slice

    # `kill` (SIGTERM) stops an export like Ctrl-C does: partial files removed, target untouched.
    signal.signal(signal.SIGTERM, _terminated)
    report = export_slice(
        db_path(db),
        out,
        template=name,
        params=_param_dict(params) if name else None,
        view=view,
        where=where,
        sql=sql,
        fmt=fmt,
        partition_by=[c.strip() for c in partition_by.split(",")] if partition_by else (),
        compression=compression,
        row_group_size=row_group_size,
        max_file_size=max_file_size,
        limit=limit,
        sample=sample,
        seed=seed,
        overwrite=overwrite,
        ordered=not unordered,
        memory_limit=memory_limit,
        threads=threads,
        progress=Progress.for_terminal(quiet),
        names=CLI_NAMES,
    )
    size = sum(f["bytes"] for f in report.files)
    click.echo(
        f"exported {report.rows:,} rows to {report.out}: {len(report.files)} file"
        f"{'' if len(report.files) == 1 else 's'}, "
        f"{human_bytes(size)} in {report.seconds:.1f} s; manifest {report.manifest_path}",
        err=True,
    )


if __name__ == "__main__":
    sys.exit(main())
