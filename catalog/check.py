"""`emm1 check`: named checks of a catalog, each pass, warn or fail, with the figure found, the
figure expected and a query (runnable in `emm1 sql`) that lists the offending rows.

One file per check, catalog/checks/<name>.sql: a TOML header in a block comment (title, group,
severity, expected, help), then two statements. The first lists the offending rows; it is what
users run. The second reads those rows as the relation `offending` and returns one row: `found`
(NULL when the check cannot run yet, such as the file checks before a scan), `total` (what
found is a share of, or NULL) and `detail` (a short text). A check passes when found is 0, and
otherwise takes its severity.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from catalog.db import connect_read_only
from catalog.discover import ASSET_MODALITIES
from catalog.errors import CatalogError
from catalog.interrupt import interruptible
from catalog.progress import Progress
from catalog.sqltext import render as render_sql
from catalog.sqltext import resource_text

# Run and shown in this order.
CHECKS = (
    "published_figures",
    "shard_captions_once",
    "shard_captions_same",
    "unique_ids",
    "dangling_group_ids",
    "dangling_triplet_ids",
    "annotation_codes",
    "save_folders",
    "unsafe_names",
    "empty_captions",
    "duplicate_triplets",
    "time_ranges",
    "youtube_ids",
    "empty_files",
    "files_on_disk",
    "eshot_leakage",
    "restrictive_licences",
)
SEVERITIES = ("warn", "fail")
FORMATS = ("text", "json", "markdown")
_HEADER = re.compile(r"\A\s*/\*(?P<toml>.*?)\*/", re.DOTALL)
_LEADING_COMMENTS = re.compile(r"\A(\s*--[^\n]*\n)*\s*")


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    group: str
    severity: str
    expected: str
    help: str
    rows_sql: str  # the offending rows: runnable as it is
    figure_sql: str  # one row (found, total, detail) over the relation `offending`


@dataclass(frozen=True)
class Result:
    check: Check
    found: int | None
    total: int | None
    detail: str | None

    @property
    def status(self) -> str:
        if self.found is None:
            return "skip"
        return "pass" if self.found == 0 else self.check.severity

    def found_text(self) -> str:
        if self.found is None:
            return "-"
        if self.found and self.total:
            return f"{self.found:,} of {self.total:,} ({100 * self.found / self.total:.2f}%)"
        return f"{self.found:,}"

    def as_dict(self) -> dict:
        return {
            "name": self.check.name,
            "title": self.check.title,
            "group": self.check.group,
            "status": self.status,
            "found": self.found,
            "total": self.total,
            "expected": self.check.expected,
            "detail": self.detail,
            "help": self.check.help,
            "query": self.check.rows_sql,
        }


@dataclass
class CheckReport:
    db: Path
    facts: dict[str, str]
    results: list[Result]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def exit_code(self, strict: bool = False) -> int:
        """1 if a check failed, or with `strict` also if one warned; 0 otherwise."""
        bad = ("fail", "warn") if strict else ("fail",)
        return int(any(r.status in bad for r in self.results))

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {s}" for s in ("pass", "warn", "fail", "skip") if self.count(s)
        )
        return f"{len(self.results)} checks: {counts}"


def parse_check(name: str, text: str) -> Check:
    """A check from its file text: the header checked, the two statements split."""
    match = _HEADER.match(text)
    if not match:
        raise ValueError(f"checks/{name}.sql does not start with a /* TOML header */")
    head = tomllib.loads(match["toml"])
    statements = [
        _LEADING_COMMENTS.sub("", s.query).strip().rstrip(";").strip()
        for s in duckdb.extract_statements(text[match.end() :])
    ]
    if len(statements) != 2:
        raise ValueError(f"checks/{name}.sql: expected 2 statements (rows, figure)")
    if head["severity"] not in SEVERITIES:
        raise ValueError(f"checks/{name}.sql: severity must be one of {SEVERITIES}")
    return Check(
        name=name,
        title=head["title"],
        group=head["group"],
        severity=head["severity"],
        expected=head["expected"],
        help=head["help"],
        rows_sql=statements[0],
        figure_sql=statements[1],
    )


@cache
def checks() -> tuple[Check, ...]:
    """Every check shipped in the package, in CHECKS order."""
    return tuple(parse_check(n, resource_text("catalog", f"checks/{n}.sql")) for n in CHECKS)


def run_checks(db: str | os.PathLike, progress: Progress | None = None) -> CheckReport:
    """Run every check on the catalog at `db` (read-only)."""
    progress = progress or Progress(enabled=False)
    db = Path(db)
    with tempfile.TemporaryDirectory(prefix="emm1-check-") as spill:
        from catalog.build import default_memory_limit  # build imports catalog.db too

        config = {
            "memory_limit": default_memory_limit(),
            "temp_directory": spill,
        }
        with connect_read_only(db, config) as con, interruptible(con):
            con.execute("SET enable_progress_bar = false")  # progress is ours, per check
            facts = dict(con.execute("SELECT key, value FROM catalog_info").fetchall())
            results = []
            for check in checks():
                progress.start(f"check {check.name}")
                results.append(_run(con, check))
                progress.done(results[-1].status)
    return CheckReport(db, facts, results)


def _run(con: duckdb.DuckDBPyConnection, check: Check) -> Result:
    try:
        con.register("offending", con.sql(check.rows_sql))
        try:
            found, total, detail = con.execute(check.figure_sql).fetchall()[0]
        finally:
            con.unregister("offending")
    except duckdb.Error as e:
        raise CatalogError(
            f"check {check.name} (checks/{check.name}.sql) failed to run: "
            f"{str(e).strip().splitlines()[0]}"
        ) from None
    return Result(check, found, total, detail)


def render(report: CheckReport, fmt: str = "text") -> str:
    """The report as text (a table, then what to look at), JSON or Markdown."""
    if fmt not in FORMATS:
        raise CatalogError(f"unknown format {fmt!r}. Formats: {', '.join(FORMATS)}.")
    if fmt == "json":
        return json.dumps(_as_json(report), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


def _as_json(report: CheckReport) -> dict:
    return {
        "catalog": str(report.db),
        "built_at": report.facts.get("built_at"),
        "data_dir": report.facts.get("data_dir"),
        "summary": {s: report.count(s) for s in ("pass", "warn", "fail", "skip")},
        "checks": [r.as_dict() for r in report.results],
    }


def sql_command(report: CheckReport, query: str, indent: str = "") -> str:
    """`emm1 sql --db DB "QUERY"`, the query on lines of its own, to paste into a shell."""
    lines = "\n".join(indent + "    " + line for line in query.splitlines())
    return f'emm1 sql --db {_shell_word(str(report.db))} "\n{lines}\n{indent}"'


def _shell_word(word: str) -> str:
    return word if re.fullmatch(r"[\w./+:@%=-]+", word) else "'" + word.replace("'", "'\\''") + "'"


def _text(report: CheckReport) -> str:
    name_width = max(len(c) for c in CHECKS)
    found_width = max(len(r.found_text()) for r in report.results)
    lines = [
        f"catalog {report.db}, built {report.facts.get('built_at')} from "
        f"{report.facts.get('data_dir')}",
        "",
        f"{'status':<6}  {'check':<{name_width}}  {'found':>{found_width}}  expected",
    ]
    for r in report.results:
        lines.append(
            f"{r.status:<6}  {r.check.name:<{name_width}}  {r.found_text():>{found_width}}  "
            f"{r.check.expected}"
        )
    for r in report.results:
        if r.status == "pass":
            continue
        lines += ["", f"{r.status} {r.check.name}: {r.check.title}"]
        if r.detail:
            lines.append(f"  {r.detail}")
        if r.status != "skip":
            lines.append(f"  rows: {sql_command(report, r.check.rows_sql, '  ')}")
    lines += ["", report.summary()]
    return "\n".join(lines)


def _markdown(report: CheckReport) -> str:
    lines = [
        f"# emm1 check: {report.db.name}",
        "",
        f"Catalog `{report.db}`, built {report.facts.get('built_at')} from "
        f"`{report.facts.get('data_dir')}`. {report.summary()}.",
        "",
        "| status | check | found | expected | detail |",
        "|---|---|---|---|---|",
    ]
    for r in report.results:
        cells = [r.status, f"`{r.check.name}`", r.found_text(), r.check.expected, r.detail or ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for r in report.results:
        if r.status in ("pass", "skip"):
            continue
        lines += ["", f"## {r.status}: {r.check.name}", "", r.check.help, "", "```sql"]
        lines += [r.check.rows_sql, "```"]
    return "\n".join(lines)


def slice_licences(
    con: duckdb.DuckDBPyConnection, sql: str, bound: dict, columns
) -> list[dict] | None:
    """The licences of the items that the slice `sql` (with `bound` values) names, with how many
    items carry each and whether its text forbids commercial use or derivatives; None when its
    `columns` name no items (a table of counts). For an export's manifest."""
    refs = _item_refs(set(columns))
    if refs is None:
        return None
    fixed, varying = _split_refs(refs)
    query = render_sql(
        "catalog", "checks/slice_licences.sql.j2", query=sql, fixed=fixed, varying=varying
    )
    try:
        rows = con.execute(query, bound or None).fetchall()
    except duckdb.Error as e:
        raise CatalogError(
            f"cannot count the licences of the slice: {str(e).strip().splitlines()[0]}"
        ) from None
    keys = ("licence", "items", "non_commercial", "no_derivatives")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _split_refs(refs: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The refs whose part and modality are both values, as (part, modality, id columns) per
    (part, modality): their distinct ids are found on the integer alone, which at full size is
    several times faster than on (part, modality, id). A ref stays with the rest (`varying`)
    when one of those could name the same (part, modality), so each item is counted once."""

    def may_name(ref, part, modality) -> bool:
        (part_kind, part_value), (modality_kind, modality_value), _ = ref
        return (part_kind == "column" or part_value == part) and (
            modality_kind == "column" or modality_value == modality
        )

    varying = [r for r in refs if "column" in (r[0][0], r[1][0])]
    fixed: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        if ref in varying:
            continue
        (_, part), (_, modality), id_column = ref
        if any(may_name(v, part, modality) for v in varying):
            varying.append(ref)
        else:
            fixed.setdefault((part, modality), []).append(id_column)
    return [(p, m, ids) for (p, m), ids in fixed.items()], varying


def _item_refs(columns: set[str]) -> list[tuple] | None:
    """Where a slice names items, by the first shape its columns fit: (part, modality, id
    column), part and modality each ('column', name) or ('value', text)."""
    if {"part", "modality", "asset_id"} <= columns:  # assets, asset(), eshot_leakage, ...
        return [(("column", "part"), ("column", "modality"), "asset_id")]
    if {"paired_modality", "encord_paired_id", "annotated_modality", "encord_annotated_id"} <= (
        columns
    ):  # triplets: modality_pair(), triplets_labeled, ...
        part = ("value", "e-mm1_1m")
        refs = [
            (part, ("column", "paired_modality"), "encord_paired_id"),
            (part, ("column", "annotated_modality"), "encord_annotated_id"),
        ]
        return refs + [(part, ("value", "text"), "encord_text_id")] * ("encord_text_id" in columns)
    if {"nn_index", "encord_text_id"} <= columns:  # groups: groups(), nn_groups_resolved, ...
        return [
            (("value", "e-mm1_100m"), ("value", m), f"encord_{m}_id")
            for m in ("text", *ASSET_MODALITIES)
            if f"encord_{m}_id" in columns
        ]
    if {"part", "encord_text_id"} <= columns:  # captions: caption_search(), captions
        return [(("column", "part"), ("value", "text"), "encord_text_id")]
    if {"modality", "eshot_id"} <= columns:  # eshot_samples
        return [(("value", "eshot"), ("column", "modality"), "eshot_id")]
    return None
