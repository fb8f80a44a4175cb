"""`emm1 check`: every check against a plain-Python reading of the CSVs, on the clean samples and on
copies with one defect planted per check; the EShot leakage view and the template option that
leaves it out; licences in the view, the check and an export's manifest; the HTML data card in
headless Chromium; and the catalog schema version every command checks."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path, PurePosixPath

import duckdb
import expected
import pyarrow.parquet
import pytest
from click.testing import CliRunner
from csv_edit import rewrite_csv

from catalog.check import CHECKS, checks
from catalog.cli import main
from catalog.config import set_setting
from catalog.definitions import SCHEMA_VERSION
from catalog.export import manifest_path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / ".screenshots"  # git-ignored
TEXT_AND_ASSETS = ("text", *expected.ASSETS)
SAVE_FOLDERS = ("e-mm1_100m_only", "e-mm1_1m_only", "shared")
PUBLISHED = [(f"nn_{k}/data_groups.csv", 6_706_765, None) for k in range(1, 17)] + [
    ("infos/text.csv", None, 1_246_793_840),
    ("infos/image.csv", None, 612_801_005),
    ("infos/video.csv", None, 457_910_741),
    ("infos/audio.csv", None, 237_744_977),
    ("infos/points.csv", None, 58_992_702),
]
NON_COMMERCIAL = re.compile(
    r"(?i)\bNC\b|non[- ]?commercial|not for commercial|academic[- ](use|research|purposes)"
    r"|research[- ](use[- ])?only|research purposes only"
)
NO_DERIVATIVES = re.compile(r"(?i)\bND\b|no[- ]?deriv")
POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 270000000\n"


# --- running the commands ------------------------------------------------------------------


def emm1(*args, cwd=None) -> subprocess.CompletedProcess:
    """The real command, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "catalog.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
    )


def build(data: Path, db: Path) -> Path:
    result = emm1("build", data, "--db", db, "--asset-root", "/assets", "--quiet")
    assert result.returncode == 0, result.stderr
    return db


def check(db: Path, *flags) -> tuple[subprocess.CompletedProcess, dict[str, dict]]:
    """`emm1 check --format json`: the process and the checks by name."""
    result = emm1("check", "--db", db, "--format", "json", *flags)
    assert result.returncode in (0, 1), result.stderr
    return result, {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def listed(db: Path, query: str, columns) -> Counter:
    """The rows `query` gives through `emm1 sql`, as tuples of `columns`."""
    result = CliRunner().invoke(main, ["sql", "--db", str(db), "--format", "json", query])
    assert result.exit_code == 0, result.output
    return Counter(tuple(row[c] for c in columns) for row in json.loads(result.stdout))


# --- each check in plain Python, straight from the CSVs -----------------------------------


def _v(value):
    return None if value in (None, "") else value


def _f(value):
    return None if value in (None, "") else float(value)


def shards(data: Path) -> dict[int, list[dict]]:
    part = expected.part_dir(data, "e-mm1_100m")
    out = {}
    for k in range(1, 17):
        path = part / f"nn_{k}" / "data_groups.csv"
        if path.is_file():
            out[k] = expected.read_csv(path)
    return out


def triplets(data: Path) -> list[tuple]:
    return [
        (
            int(t["encord_text_id"]),
            t["paired_modality"],
            t["annotated_modality"],
            expected.num(t["encord_paired_id"]),
            expected.num(t["encord_annotated_id"]),
            expected.num(t["annotation"]),
        )
        for t in expected.triplet_rows(data)
    ]


def captions(data: Path) -> list[tuple]:
    return [
        (part, i, r)
        for part in ("e-mm1_100m", "e-mm1_1m")
        for i, r in expected.infos(data, part, "text").items()
    ]


def unsafe_reason(row: dict) -> str | None:
    folder, name = _v(row["save_folder"]), _v(row["file_name"])
    if folder is None:
        return "no save_folder"
    if name is None:
        return "no file_name"
    if folder.startswith("/"):
        return "save_folder is an absolute path"
    if ".." in folder:
        return "save_folder contains .."
    if name.startswith("/"):
        return "file_name is an absolute path"
    return "file_name contains .." if ".." in name else None


def time_problem(row: dict) -> str | None:
    start, end = _f(row.get("start_time")), _f(row.get("end_time"))
    if start is None and end is None:
        return None
    if start is None or end is None:
        return "only one of start_time and end_time"
    if start < 0 or end < 0:
        return "negative time"
    return None if start < end else "start_time is not before end_time"


def published(data: Path) -> list[tuple]:
    part = expected.part_dir(data, "e-mm1_100m")
    out = []
    for name, rows, size in PUBLISHED:
        path = part / name
        if not path.is_file():
            out.append((name, "absent", None, rows, None, size))
            continue
        if path.read_bytes()[:40] == POINTER[:40].encode():
            problem = "a git LFS pointer, not pulled"
            out.append((path.relative_to(data).as_posix(), problem, None, rows, None, size))
            continue
        if name.startswith("nn_"):  # ids only: one line per record
            n = path.read_bytes().count(b"\n") - 1
        else:
            with open(path, newline="", encoding="utf-8") as f:
                n = sum(1 for _ in csv.reader(f)) - 1  # records: a caption may hold newlines
        b = path.stat().st_size
        if (rows is not None and n != rows) or (size is not None and b != size):
            problem = "rows differ" if rows is not None and n != rows else "bytes differ"
            out.append((path.relative_to(data).as_posix(), problem, n, rows, b, size))
    return out


def plain(data: Path) -> dict[str, tuple[int, list[tuple]]]:
    """check name -> (found, the rows its query lists), each computed from the CSVs alone."""
    out: dict[str, tuple[int, list[tuple]]] = {}

    def rows_only(name, rows):
        out[name] = (len(rows), rows)

    rows_only("published_figures", published(data))
    groups = shards(data)
    rows_only(
        "shard_captions_once",
        [
            (k, t, n)
            for k, rows in groups.items()
            for t, n in Counter(int(r["encord_text_id"]) for r in rows).items()
            if n > 1
        ],
    )
    ids = {k: {int(r["encord_text_id"]) for r in rows} for k, rows in groups.items()}
    every = set().union(*ids.values()) | set(expected.infos(data, "e-mm1_100m", "text"))
    rows_only(
        "shard_captions_same",
        [(k, t, "missing from this shard") for k in ids for t in every - ids[k]],
    )
    rows_only("unique_ids", [])
    known = {m: set(expected.infos(data, "e-mm1_100m", m)) for m in TEXT_AND_ASSETS}
    rows_only(
        "dangling_group_ids",
        [
            (k, int(r["encord_text_id"]), m, i)
            for k, rows in groups.items()
            for r in rows
            for m in TEXT_AND_ASSETS
            if (i := expected.num(r[f"encord_{m}_id"])) is not None and i not in known[m]
        ],
    )
    known = {m: set(expected.infos(data, "e-mm1_1m", m)) for m in TEXT_AND_ASSETS}
    rated = triplets(data)
    rows_only(
        "dangling_triplet_ids",
        [
            (side, m, i, *t)
            for t in rated
            for side, m, i in (
                ("caption", "text", t[0]),
                ("paired", t[1], t[3]),
                ("rated", t[2], t[4]),
            )
            if i is not None and i not in known[m]
        ],
    )
    mapping = expected.part_dir(data, "e-mm1_1m") / "annotation_mapping.csv"
    with open(mapping, newline="", encoding="utf-8") as f:
        codes = {int(r[0]) for r in list(csv.reader(f))[1:]}
    rows_only("annotation_codes", [t for t in rated if t[5] not in codes])
    assets = expected.assets(data)
    rows_only(
        "save_folders",
        [
            (a["part"], a["modality"], a["asset_id"], _v(a["save_folder"]))
            for a in assets
            if a["part"] != "eshot" and a["save_folder"] not in SAVE_FOLDERS
        ],
    )
    rows_only(
        "unsafe_names",
        [
            (a["part"], a["modality"], a["asset_id"], unsafe_reason(a))
            for a in assets
            if unsafe_reason(a)
        ],
    )
    rows_only(
        "empty_captions",
        [
            (part, i, _v(r["caption"]))
            for part, i, r in captions(data)
            if re.fullmatch(r"[\t\n\f\r ]*", r["caption"])
        ],
    )
    repeated = [(*t, n) for t, n in Counter(rated).items() if n > 1]
    out["duplicate_triplets"] = (sum(n - 1 for *_, n in repeated), repeated)
    rows_only(
        "time_ranges",
        [
            (a["part"], a["modality"], a["asset_id"], time_problem(a))
            for a in assets
            if time_problem(a)
        ],
    )
    rows_only(
        "youtube_ids",
        [
            (a["part"], a["modality"], a["asset_id"], a["youtube_id"])
            for a in assets
            if _v(a.get("youtube_id")) and not re.fullmatch(r"[A-Za-z0-9_-]{11}", a["youtube_id"])
        ],
    )
    leaks = expected.eshot_leakage(data)
    out["eshot_leakage"] = (len({(m, i) for m, i, *_ in leaks}), leaks)
    items = [
        (a["part"], a["modality"], a["asset_id"], _v(a.get("dataset_license"))) for a in assets
    ]
    items += [(part, "text", i, _v(r.get("dataset_license"))) for part, i, r in captions(data)]
    rows_only(
        "restrictive_licences",
        [
            (*item, lic, bool(NON_COMMERCIAL.search(lic)), bool(NO_DERIVATIVES.search(lic)))
            for *item, lic in items
            if lic and (NON_COMMERCIAL.search(lic) or NO_DERIVATIVES.search(lic))
        ],
    )
    return out


# The columns of each check's rows that the plain-Python reading gives, in its order.
COLUMNS = {
    "published_figures": (
        "file",
        "problem",
        "rows",
        "published_rows",
        "bytes",
        "published_bytes",
    ),
    "shard_captions_once": ("nn_index", "encord_text_id", "copies"),
    "shard_captions_same": ("nn_index", "encord_text_id", "problem"),
    "unique_ids": ("part", "modality", "id", "copies"),
    "dangling_group_ids": ("nn_index", "encord_text_id", "modality", "id"),
    "dangling_triplet_ids": (
        "side",
        "modality",
        "id",
        "encord_text_id",
        "paired_modality",
        "annotated_modality",
        "encord_paired_id",
        "encord_annotated_id",
        "annotation",
    ),
    "annotation_codes": (
        "encord_text_id",
        "paired_modality",
        "annotated_modality",
        "encord_paired_id",
        "encord_annotated_id",
        "annotation",
    ),
    "save_folders": ("part", "modality", "asset_id", "save_folder"),
    "unsafe_names": ("part", "modality", "asset_id", "reason"),
    "empty_captions": ("part", "encord_text_id", "caption"),
    "duplicate_triplets": (
        "encord_text_id",
        "paired_modality",
        "annotated_modality",
        "encord_paired_id",
        "encord_annotated_id",
        "annotation",
        "copies",
    ),
    "time_ranges": ("part", "modality", "asset_id", "problem"),
    "youtube_ids": ("part", "modality", "asset_id", "youtube_id"),
    "eshot_leakage": ("eshot_modality", "eshot_id", "part", "modality", "asset_id"),
    "restrictive_licences": (
        "part",
        "modality",
        "id",
        "dataset_license",
        "non_commercial",
        "no_derivatives",
    ),
}
SCAN_CHECKS = ("empty_files", "files_on_disk")


def assert_checks_match_plain_python(db: Path, data: Path, found: dict[str, dict]) -> None:
    """Every check (but the two that need a scan) found what the CSVs say, and its query
    lists exactly the rows the CSVs say."""
    want = plain(data)
    assert set(want) | set(SCAN_CHECKS) == set(CHECKS) == set(found)
    for name, (count, rows) in want.items():
        assert found[name]["found"] == count, name
        assert found[name]["status"] == ("pass" if count == 0 else checks_by_name()[name].severity)
        assert listed(db, found[name]["query"], COLUMNS[name]) == Counter(rows), name


def checks_by_name():
    return {c.name: c for c in checks()}


# --- the clean samples ----------------------------------------------------------------------


def test_every_check_file_is_listed_and_parses():
    shipped = {p.stem for p in (ROOT / "catalog" / "checks").glob("*.sql")}
    assert shipped == set(CHECKS)
    assert [c.name for c in checks()] == list(CHECKS)
    assert all(c.severity in ("warn", "fail") and c.help and c.title for c in checks())
    # each query is printed inside "..." for a shell: nothing in it may end or expand that
    assert not [c.name for c in checks() if set(c.rows_sql) & set('"$`')]


def test_every_check_and_report_file_ships_in_the_package():
    """pyproject.toml names every file below catalog/checks/ as package data, so a wheel has
    them: each file matches a glob of a package whose folder holds it (setuptools globs do not
    cross folders)."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        name: ROOT / setup.get("package-dir", {}).get(name, name.replace(".", "/"))
        for name in setup["packages"]
    }
    files = [
        p
        for p in (ROOT / "catalog" / "checks").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert files
    for f in files:
        assert any(
            f.is_relative_to(folders[package])
            and any(
                PurePosixPath(f.relative_to(folders[package]).as_posix()).match(g)
                and len(f.relative_to(folders[package]).parts) == len(PurePosixPath(g).parts)
                for g in globs
            )
            for package, globs in setup["package-data"].items()
            if package in folders
        ), f


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_a_clean_sample_fails_no_check_and_every_figure_is_exact(catalogs, samples, layout):
    db, data = catalogs[layout], samples[layout]
    result, found = check(db)
    assert result.returncode == 0, result.stderr
    assert_checks_match_plain_python(db, data, found)
    # What warns on a clean sample is what the published data has too: files that differ from
    # the published figures (a sample), a few ids without infos, repeated triplet rows and a
    # licence for academic use only. Everything else passes; the disk checks wait for a scan.
    warned = {name for name, c in found.items() if c["status"] == "warn"}
    assert warned == {
        "published_figures",
        "dangling_group_ids",
        "dangling_triplet_ids",
        "duplicate_triplets",
        "restrictive_licences",
    }
    assert {name for name, c in found.items() if c["status"] == "skip"} == set(SCAN_CHECKS)
    strict = emm1("check", "--db", db, "--strict")
    assert strict.returncode == 1
    assert strict.stderr.strip().splitlines()[-1] == (
        "17 checks: 10 pass, 5 warn, 2 skip: exit code 1"
    )


def test_text_and_markdown_name_every_check_and_the_query_of_each_finding(db, samples):
    text = emm1("check", "--db", db).stdout
    markdown = emm1("check", "--db", db, "--format", "markdown").stdout
    for c in checks():
        assert re.search(rf"^(pass|warn|fail|skip) +{c.name} ", text, re.MULTILINE)
        assert f"| `{c.name}` |" in markdown
    # a finding shows its query as an `emm1 sql` command that runs as printed
    command = text.split("warn duplicate_triplets: ")[1].split("  rows: ")[1].split('\n  "')[0]
    assert command.startswith(f'emm1 sql --db {db} "\n')
    query = command.split('"', 1)[1]
    repeated = plain(samples["upstream"])["duplicate_triplets"][1]
    assert repeated and listed(db, query, COLUMNS["duplicate_triplets"]) == Counter(repeated)


# --- one defect per check ---------------------------------------------------------------------


def plant_defects(data: Path) -> dict[str, int]:
    """Break one property per check in a copy of a sample; returns how many of each."""
    p100, p1m = expected.part_dir(data, "e-mm1_100m"), expected.part_dir(data, "e-mm1_1m")
    eshot = expected.part_dir(data, "eshot")
    eshot_audio, eshot_points = (
        expected.read_csv(eshot / "eshot_audio_info.csv"),
        expected.read_csv(eshot / "eshot_points_info.csv"),
    )
    image_ids = set(expected.infos(data, "e-mm1_100m", "image"))
    # a caption twice in nn_2; three captions gone from nn_5; an image id without infos in nn_9
    rewrite_csv(p100 / "nn_2" / "data_groups.csv", lambda rs: rs.append(dict(rs[5])))
    rewrite_csv(p100 / "nn_5" / "data_groups.csv", lambda rs: rs.__delitem__(slice(10, 13)))

    def dangle(rs):
        row = next(r for r in rs if int(r["encord_image_id"]) in image_ids)
        row["encord_image_id"] = "99999999"

    rewrite_csv(p100 / "nn_9" / "data_groups.csv", dangle)

    # triplets: a rated id without infos, two codes without a label, one row repeated; each on
    # a row that appears once, so no other check moves
    rated = Counter(triplets(data))
    known = {m: set(expected.infos(data, "e-mm1_1m", m)) for m in expected.ASSETS}
    legacy = "modality_1" in expected.read_csv(p1m / "triplets.csv")[0]

    def triplet_edits(rs):
        once = [i for i, t in enumerate(triplets(data)) if rated[t] == 1]
        first = next(i for i in once if int(current(rs[i], "annotated")) in known[kind(rs[i])])
        set_annotated(rs[first], "99999999")
        for i in [i for i in once if i != first][:2]:
            rs[i]["annotation"] = "7"
        rs.append(dict(rs[[i for i in once if i != first][2]]))

    def kind(r):
        return r["modality_2"] if legacy else r["annotated_modality"]

    def current(r, side):
        return r[f"encord_{kind(r)}_id"] if legacy else r["encord_annotated_id"]

    def set_annotated(r, value):
        r[f"encord_{kind(r)}_id" if legacy else "encord_annotated_id"] = value

    rewrite_csv(p1m / "triplets.csv", triplet_edits)

    # infos: a save_folder outside the documented three, an unsafe file name, empty captions,
    # bad clip times, malformed YouTube ids, licences that forbid commercial use or derivatives
    def image_edits(rs):
        rs[3]["save_folder"] = "downloads"
        rs[6]["dataset_license"] = rs[7]["dataset_license"] = "CC BY-NC-ND 4.0"

    rewrite_csv(p100 / "infos" / "image.csv", image_edits)
    rewrite_csv(p1m / "infos" / "video.csv", lambda rs: rs[2].update(file_name="../escape.mp4"))
    rewrite_csv(p100 / "infos" / "text.csv", lambda rs: rs[4].update(caption="   "))
    rewrite_csv(p1m / "infos" / "text.csv", lambda rs: rs[2].update(caption=""))
    rewrite_csv(
        p1m / "infos" / "points.csv", lambda rs: rs[4].update(dataset_license="CC BY-ND 4.0")
    )

    # EShot audio 5 planted in 100M audio with an overlapping range; EShot audio 6 in 1M audio
    # only touching its range (no leak); EShot points 7 planted in 1M points.
    leak, touch = eshot_audio[4], eshot_audio[5]

    def audio_100m(rs):
        timed = [r for r in rs if r["youtube_id"]]
        timed[0].update(start_time="50.0", end_time="40.0")
        timed[1].update(
            youtube_id=leak["youtube_id"],
            start_time=str(float(leak["start_time"]) + 5),
            end_time=str(float(leak["end_time"]) + 5),
        )

    rewrite_csv(p100 / "infos" / "audio.csv", audio_100m)

    def audio_1m(rs):
        timed = [r for r in rs if r["youtube_id"]]
        timed[0].update(
            youtube_id=touch["youtube_id"],
            start_time=touch["end_time"],
            end_time=str(float(touch["end_time"]) + 10),
        )

    rewrite_csv(p1m / "infos" / "audio.csv", audio_1m)

    def video_edits(rs):
        timed = [r for r in rs if r["youtube_id"]]
        timed[0]["youtube_id"] = "abc"
        timed[1]["start_time"] = "-3.0"

    rewrite_csv(p1m / "infos" / "video.csv", video_edits)
    rewrite_csv(
        p1m / "infos" / "points.csv", lambda rs: rs[0].update(file_id=eshot_points[6]["file_id"])
    )

    def eshot_edits(rs):
        rs[1]["end_time"] = ""
        rs[2]["youtube_id"] = "https://youtu.be/x"

    rewrite_csv(eshot / "eshot_audio_info.csv", eshot_edits)
    return {
        "shard_captions_once": 1,
        "shard_captions_same": 3,
        "dangling_group_ids": 1,
        "dangling_triplet_ids": 1,
        "annotation_codes": 2,
        "save_folders": 1,
        "unsafe_names": 1,
        "empty_captions": 2,
        "duplicate_triplets": 1,
        "time_ranges": 3,
        "youtube_ids": 2,
        "eshot_leakage": 2,
        "restrictive_licences": 3,
    }


def test_each_planted_defect_is_counted_exactly_and_listed(catalogs, layout, data_copy, tmp_path):
    """One property broken per check: each check finds exactly the planted count more than on
    the clean sample (the others find the same), its query lists exactly the rows the CSVs
    say, and a failed check makes the exit code 1."""
    planted = plant_defects(data_copy)
    db = build(data_copy, tmp_path / "damaged.duckdb")
    result, found = check(db)
    _, clean = check(catalogs[layout])
    assert_checks_match_plain_python(db, data_copy, found)
    for name in CHECKS:
        delta = (found[name]["found"] or 0) - (clean[name]["found"] or 0)
        # the truncated and lengthened shards were already off the published figures
        assert delta == planted.get(name, 0), name
    assert {n for n, c in found.items() if c["status"] == "fail"} == {
        n for n in planted if checks_by_name()[n].severity == "fail"
    }
    assert result.returncode == 1
    assert "exit code 1" in result.stderr.splitlines()[-1]


def test_a_repeated_id_is_found_in_a_catalog_changed_after_the_build(catalogs, tmp_path):
    """The build refuses a file that repeats an id; a catalog changed afterwards is caught."""
    db = tmp_path / "c.duckdb"
    shutil.copyfile(catalogs["upstream"], db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO infos_100m_image SELECT * FROM infos_100m_image LIMIT 1")
        con.execute("INSERT INTO eshot_points SELECT * FROM eshot_points WHERE eshot_point_id = 7")
        (image_id,) = con.execute(
            "SELECT encord_image_id FROM infos_100m_image GROUP BY 1 HAVING count(*) > 1"
        ).fetchone()
    result, found = check(db)
    assert result.returncode == 1
    assert found["unique_ids"]["status"] == "fail" and found["unique_ids"]["found"] == 2
    rows = listed(db, found["unique_ids"]["query"], COLUMNS["unique_ids"])
    assert rows == Counter({("e-mm1_100m", "image", image_id, 2): 1, ("eshot", "points", 7, 2): 1})


def test_published_figures_pass_at_the_published_size_and_name_a_truncated_file(tmp_path):
    """nn_1 with the published 6,706,765 rows and a points.csv of exactly the published bytes
    match the published figures; nn_2 cut off after 1,000 rows, nn_3 not pulled (a git LFS
    pointer), infos files of other sizes and the files that are not there are each named, with
    the figures found and expected."""
    part = tmp_path / "data" / "e-mm1_100m"
    for k, rows in ((1, 6_706_765), (2, 1000)):
        (part / f"nn_{k}").mkdir(parents=True)
        with duckdb.connect() as con:
            con.execute(
                "COPY (SELECT i + 1 AS encord_text_id, 1 AS encord_video_id, 1 AS encord_audio_id, "
                f"1 AS encord_image_id, 1 AS encord_points_id, {k} AS nn_index "
                f"FROM range({rows}) AS r(i)) TO '{part / f'nn_{k}' / 'data_groups.csv'}' (HEADER)"
            )
    (part / "nn_3").mkdir()
    (part / "nn_3" / "data_groups.csv").write_text(POINTER.format("0" * 64))  # not pulled
    infos = part / "infos"
    infos.mkdir()
    header = "encord_points_id,source_dataset,dataset_license,file_id,file_name,save_folder\n"
    row = "{:07d},Objaverse,ODC-By 1.0,{:032x},{:032x}.npy,shared\n"
    n, extra = divmod(58_992_702 - len(header), len(row.format(1, 1, 1)))
    rows = [row.format(i, i, i) for i in range(1, n + 1)]
    rows[-1] = rows[-1].replace(",Objaverse,", ",Objaverse" + " " * extra + ",")
    (infos / "points.csv").write_text(header + "".join(rows))
    assert (infos / "points.csv").stat().st_size == 58_992_702
    (infos / "image.csv").write_text(
        "encord_image_id,source_dataset,dataset_license,file_id,file_name,save_folder\n"
        "1,COCO,CC BY 4.0,1,000000001.jpg,shared\n"
    )
    for m in ("audio", "video"):
        (infos / f"{m}.csv").write_text(
            f"encord_{m}_id,source_dataset,dataset_license,youtube_id,start_time,end_time,"
            "file_id,file_name,save_folder\n"
            f"1,AudioSet,CC BY 4.0,abcdefghijk,0.0,10.0,,{m}.mp4,shared\n"
        )

    db = build(tmp_path / "data", tmp_path / "c.duckdb")
    _, found = check(db)
    got = listed(db, found["published_figures"]["query"], COLUMNS["published_figures"])
    assert found["published_figures"]["found"] == 19
    assert got == Counter(published(tmp_path / "data"))
    assert ("e-mm1_100m/nn_2/data_groups.csv", "rows differ", 1000, 6_706_765) in {
        r[:4] for r in got
    }
    assert not {r for r in got if r[0].endswith(("nn_1/data_groups.csv", "infos/points.csv"))}
    pointer = ("e-mm1_100m/nn_3/data_groups.csv", "a git LFS pointer, not pulled", None, 6706765)
    assert pointer in {r[:4] for r in got}


# --- EShot leakage, and leaving it out of a training slice ----------------------------------


def plant_leaks(data: Path) -> None:
    """EShot clips and objects planted in items the groups and triplets use, with decoys that
    must not count: a clip of the same video that only touches the EShot range, and one after
    it. Also licences that forbid commercial use, one of them holding markup."""
    p100, p1m = expected.part_dir(data, "e-mm1_100m"), expected.part_dir(data, "e-mm1_1m")
    eshot = expected.part_dir(data, "eshot")
    audio = expected.read_csv(eshot / "eshot_audio_info.csv")
    points = expected.read_csv(eshot / "eshot_points_info.csv")
    in_groups = {
        m: {int(r[f"encord_{m}_id"]) for rows in shards(data).values() for r in rows}
        for m in expected.ASSETS
    }
    in_triplets = {t[3] for t in triplets(data) if t[1] == "points"}
    in_triplets |= {t[4] for t in triplets(data) if t[2] == "points"}

    def used(rows, ids, n=1, clip=False):
        return [r for r in rows if int(r[id_column(r)]) in ids and (not clip or r["youtube_id"])][
            :n
        ]

    def id_column(r):
        return next(c for c in r if c.startswith("encord_") and c.endswith("_id"))

    def audio_100m(rs):
        leak, after, touch = used(rs, in_groups["audio"], 3, clip=True)
        e = audio[0]
        leak.update(youtube_id=e["youtube_id"], start_time="0.0", end_time=e["start_time"] + "1")
        after.update(youtube_id=e["youtube_id"], start_time=e["end_time"], end_time="999.0")
        touch.update(youtube_id=audio[1]["youtube_id"], start_time="0.0", end_time="0.0001")

    def video_100m(rs):  # a clip with no times: the whole video
        used(rs, in_groups["video"], clip=True)[0].update(
            youtube_id=audio[2]["youtube_id"], start_time="", end_time=""
        )

    def image_100m(rs):
        used(rs, in_groups["image"])[0]["dataset_license"] = "CC BY-NC 4.0 <script>x()</script>"

    rewrite_csv(p100 / "infos" / "audio.csv", audio_100m)
    rewrite_csv(p100 / "infos" / "video.csv", video_100m)
    rewrite_csv(p100 / "infos" / "image.csv", image_100m)
    rewrite_csv(
        p100 / "infos" / "points.csv",
        lambda rs: used(rs, in_groups["points"])[0].update(file_id=points[3]["file_id"]),
    )
    rewrite_csv(
        p1m / "infos" / "points.csv",
        lambda rs: used(rs, in_triplets)[0].update(
            file_id=points[4]["file_id"], dataset_license="Attribution-NoDerivatives"
        ),
    )


@pytest.fixture(scope="module", params=["upstream", "legacy"])
def leaky(request, samples, tmp_path_factory) -> tuple[Path, Path]:
    """(catalog, data) of a sample with EShot samples planted in the training parts."""
    root = tmp_path_factory.mktemp(f"leaky-{request.param}")
    data = root / "data"
    shutil.copytree(samples[request.param], data)
    plant_leaks(data)
    return build(data, root / "leaky.duckdb"), data


def test_eshot_leakage_equals_a_plain_python_reading(leaky):
    db, data = leaky
    want = expected.eshot_leakage(data)
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute(
            "SELECT eshot_modality::VARCHAR, eshot_id, part::VARCHAR, modality::VARCHAR, asset_id "
            "FROM eshot_leakage"
        ).fetchall()
    assert Counter(got) == Counter(want)
    # the three planted audio and video clips and two objects leak; the decoys do not
    planted = {(m, i, p, k) for m, i, p, k, _ in want}
    assert {("audio", 1, "e-mm1_100m", "audio"), ("audio", 3, "e-mm1_100m", "video")} <= planted
    assert {("points", 4, "e-mm1_100m", "points"), ("points", 5, "e-mm1_1m", "points")} <= planted
    assert not any(m == "audio" and i == 2 for m, i, *_ in want)
    _, found = check(db)
    assert found["eshot_leakage"]["found"] == len({(m, i) for m, i, *_ in want}) >= 4
    assert found["eshot_leakage"]["status"] == "warn"


def export(db: Path, out: Path, *args) -> list[dict]:
    result = CliRunner().invoke(
        main, ["export", *map(str, args), "--db", str(db), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return pyarrow.parquet.read_table(out / "data_0.parquet").to_pylist()


def test_exclude_eshot_leaves_out_exactly_the_leaking_rows(leaky, tmp_path):
    db, data = leaky
    leaks = {(p, m, i) for *_, p, m, i in expected.eshot_leakage(data)}
    params = ["-p", "k", "1..16", "-p", "modalities", "image,audio,video,points"]
    every = export(db, tmp_path / "all", "groups", *params)
    kept = export(db, tmp_path / "clean", "groups", *params, "-p", "exclude_eshot", "yes")

    def leaks_in(row):
        return any(("e-mm1_100m", m, row[f"encord_{m}_id"]) in leaks for m in expected.ASSETS)

    key = ("encord_text_id", "nn_index")
    assert sorted(tuple(r[c] for c in key) for r in kept) == sorted(
        tuple(r[c] for c in key) for r in every if not leaks_in(r)
    )
    assert 0 < len(kept) < len(every)
    with duckdb.connect(str(db), read_only=True) as con:  # the table macro means the same
        (n,) = con.execute(
            "SELECT count(*) FROM groups(k_min := 1, k_max := 16, exclude_eshot := 'yes')"
        ).fetchone()
    assert n == len(kept)

    pairs = ["-p", "modality_1", "points", "-p", "modality_2", "image"]
    every = export(db, tmp_path / "pairs", "modality_pair", *pairs)
    every += export(db, tmp_path / "pairs2", "modality_pair", *pairs[:5], "audio")
    every += export(db, tmp_path / "pairs3", "modality_pair", *pairs[:5], "video")
    kept = export(db, tmp_path / "pc", "modality_pair", *pairs, "-p", "exclude_eshot", "yes")
    kept += export(
        db, tmp_path / "pc2", "modality_pair", *pairs[:5], "audio", "-p", "exclude_eshot", "yes"
    )
    kept += export(
        db, tmp_path / "pc3", "modality_pair", *pairs[:5], "video", "-p", "exclude_eshot", "yes"
    )

    def triplet_leaks(r):
        return ("e-mm1_1m", r["paired_modality"], r["encord_paired_id"]) in leaks or (
            "e-mm1_1m",
            r["annotated_modality"],
            r["encord_annotated_id"],
        ) in leaks

    columns = ("encord_text_id", "paired_modality", "encord_paired_id", "encord_annotated_id")
    assert Counter(tuple(r[c] for c in columns) for r in kept) == Counter(
        tuple(r[c] for c in columns) for r in every if not triplet_leaks(r)
    )
    assert 0 < len(kept) < len(every)


# --- licences ---------------------------------------------------------------------------------


def test_licence_summary_and_the_check_read_the_licence_texts(leaky):
    db, data = leaky
    items = Counter()
    for a in expected.assets(data):
        items[
            (a["part"], a["modality"], _v(a.get("source_dataset")), _v(a.get("dataset_license")))
        ] += 1
    for part, _, r in captions(data):
        items[(part, "text", _v(r.get("source_dataset")), _v(r.get("dataset_license")))] += 1
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute(
            "SELECT part::VARCHAR, modality::VARCHAR, source_dataset, dataset_license, items, "
            "non_commercial, no_derivatives FROM licence_summary"
        ).fetchall()
    assert Counter(got) == Counter(
        (
            *k,
            n,
            bool(k[3] and NON_COMMERCIAL.search(k[3])),
            bool(k[3] and NO_DERIVATIVES.search(k[3])),
        )
        for k, n in items.items()
    )
    flagged = {r[3]: (r[5], r[6]) for r in got if r[5] or r[6]}
    assert flagged == {
        "CC BY 4.0 (academic use)": (True, False),
        "CC BY-NC 4.0 <script>x()</script>": (True, False),
        "Attribution-NoDerivatives": (False, True),
    }
    _, found = check(db)
    assert found["restrictive_licences"]["found"] == sum(
        n for k, n in items.items() if k[3] in flagged
    )


def test_an_export_manifest_lists_the_licences_of_its_slice(leaky, tmp_path):
    db, data = leaky
    export(db, tmp_path / "k2", "groups", "-p", "k", "1..2", "-p", "modalities", "image,audio")
    manifest = json.loads(manifest_path(tmp_path / "k2").read_text())
    licence = {
        m: {
            i: _v(r.get("dataset_license"))
            for i, r in expected.infos(data, "e-mm1_100m", m).items()
        }
        for m in ("text", "image", "audio")
    }
    used = {
        (m, int(r[f"encord_{m}_id"]))
        for k, rows in shards(data).items()
        if k <= 2
        for r in rows
        for m in ("text", "image", "audio")
    }
    want = Counter(licence[m].get(i) for m, i in used)
    assert {(e["licence"], e["items"]) for e in manifest["licences"]} == set(want.items())
    nc = {e["licence"] for e in manifest["licences"] if e["non_commercial"]}
    assert nc == {"CC BY 4.0 (academic use)", "CC BY-NC 4.0 <script>x()</script>"} & set(want)

    export(db, tmp_path / "counts", "counts_by_k")
    assert json.loads(manifest_path(tmp_path / "counts").read_text())["licences"] is None


@pytest.mark.parametrize(
    "out_name, options",
    [
        ("by-folder", ["--partition-by"]),  # counted from the files in every folder
        ("as-csv", ["--format", "csv"]),  # counted from the query
        ("glob [k]*", []),  # a path DuckDB would glob: counted from the query
    ],
)
def test_manifest_licences_count_each_item_once_whatever_the_files(
    leaky, tmp_path, out_name, options
):
    # an item named in several rows, or as both the paired and the annotated item of
    # triplets, is one item of its licence
    db, data = leaky
    groups = tmp_path / out_name / "groups"
    trips = tmp_path / out_name / "triplets"
    for out, source, folder_by in (
        (groups, ["--view", "nn_groups_resolved", "--where", "nn_index <= 2"], "nn_index"),
        (trips, ["--view", "triplets_labeled"], "paired_modality"),
    ):
        args = [*options, folder_by] if options == ["--partition-by"] else options
        result = CliRunner().invoke(
            main, ["export", *source, *args, "--db", str(db), "--out", str(out), "--quiet"]
        )
        assert result.exit_code == 0, result.output

    def licences(part, pairs):
        by_id = {
            m: {i: _v(r.get("dataset_license")) for i, r in expected.infos(data, part, m).items()}
            for m in {m for m, _ in pairs}
        }
        return Counter(by_id[m].get(i) for m, i in set(pairs) if i is not None)

    want_groups = licences(
        "e-mm1_100m",
        [
            (m, int(r[f"encord_{m}_id"]))
            for k, rows in shards(data).items()
            if k <= 2
            for r in rows
            for m in ("text", "image", "audio", "video", "points")
        ],
    )
    want_trips = licences(
        "e-mm1_1m",
        [
            pair
            for text_id, paired, annotated, paired_id, annotated_id, _ in triplets(data)
            for pair in (("text", text_id), (paired, paired_id), (annotated, annotated_id))
        ],
    )
    for out, want in ((groups, want_groups), (trips, want_trips)):
        got = json.loads(manifest_path(out).read_text())["licences"]
        assert {(e["licence"], e["items"]) for e in got} == set(want.items()), out


# --- after a scan -----------------------------------------------------------------------------


def test_disk_checks_count_empty_and_missing_files_after_a_scan(catalogs, samples, tmp_path):
    db = tmp_path / "c.duckdb"
    shutil.copyfile(catalogs["upstream"], db)
    root = tmp_path / "root"
    set_setting(db, "asset_root", str(root))
    made, empty = set(), set()
    for a in expected.assets(samples["upstream"]):
        key = (a["part"], a["modality"], a["asset_id"])
        if a["asset_id"] % 4 == 0 or unsafe_reason(a):
            continue  # not downloaded
        path = root / a["save_folder"] / a["modality"] / a["file_name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if a["asset_id"] % 5 == 0 else b"data")
        made.add(key)
        if a["asset_id"] % 5 == 0:
            empty.add(key)
    missing = {
        (a["part"], a["modality"], a["asset_id"])
        for a in expected.assets(samples["upstream"])
        if not unsafe_reason(a)
    } - (made - empty)  # an empty file is not there: it is still to download
    scan = emm1("files", "scan", "--db", db, "--quiet")
    assert scan.returncode == 0, scan.stderr
    result, found = check(db)
    assert result.returncode == 1  # empty files fail
    assert found["empty_files"]["status"] == "fail"
    assert found["empty_files"]["found"] == len(empty) > 0
    columns = ("part", "modality", "asset_id")
    assert listed(db, found["empty_files"]["query"], columns) == Counter(empty)
    assert found["files_on_disk"]["status"] == "warn"
    assert found["files_on_disk"]["found"] == len(missing) > 0
    assert listed(db, found["files_on_disk"]["query"], columns) == Counter(missing)
    assert "e-mm1_100m image " in found["files_on_disk"]["detail"]


# --- the data card ------------------------------------------------------------------------------


def test_the_data_card_is_one_self_contained_page_that_chromium_renders(leaky, tmp_path):
    db, _ = leaky
    card = tmp_path / "card.html"
    result = emm1("check", "--db", db, "--report", card, "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"wrote the data card to {card}" in result.stderr
    html = card.read_text()
    assert "<script" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:|//)""", html)
    assert "<svg" in html and "Content-Security-Policy" in html
    for name in CHECKS:
        assert f"<code>{name}</code>" in html
    for heading in ("Licences", "Caption lengths", "Files on disk", "How this catalog was built"):
        assert heading in html
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("chromium is not installed: `make chromium` installs it")
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / f"data-card-{db.parent.name}.png"
    shot.unlink(missing_ok=True)
    page = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            card.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert page.returncode == 0, page.stderr[-2000:]
    assert "Uncaught" not in page.stderr and "ERROR:CONSOLE" not in page.stderr
    assert "Refused to" not in page.stderr  # the Content-Security-Policy blocked nothing
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the catalog schema version -----------------------------------------------------------------


def test_a_catalog_of_another_schema_is_refused_with_the_command_that_rebuilds_it(
    catalogs, samples, tmp_path
):
    db = tmp_path / "c.duckdb"
    shutil.copyfile(catalogs["upstream"], db)
    with duckdb.connect(str(db)) as con:
        (version,) = con.execute(
            "SELECT value FROM catalog_info WHERE key = 'schema_version'"
        ).fetchone()
    assert version == str(SCHEMA_VERSION)
    commands = [
        ["info"],
        ["sql", "SELECT 1"],
        ["query", "counts_by_k"],
        ["config", "get"],
        ["config", "set", "asset_root", "/x"],
        ["connect"],
        ["files", "missing", "--out", tmp_path / "m.csv"],
        ["export", "--view", "assets", "--out", tmp_path / "out"],
        ["shell"],
    ]
    rebuild = f"rebuild it with `emm1 build {samples['upstream'].resolve()} --db {db}`"
    for value, says in ((None, "an older emm1 (catalog schema unversioned"), ("99", "a newer")):
        with duckdb.connect(str(db)) as con:
            con.execute("DELETE FROM catalog_info WHERE key = 'schema_version'")
            if value:
                con.execute("INSERT INTO catalog_info VALUES ('schema_version', ?)", [value])
        before = db.read_bytes()
        outcomes = [CliRunner().invoke(main, [*map(str, c), "--db", str(db)]) for c in commands]
        outcomes.append(emm1("check", "--db", db))
        for command, outcome in zip([*commands, ["check"]], outcomes, strict=True):
            code = getattr(outcome, "exit_code", getattr(outcome, "returncode", None))
            stderr = outcome.stderr
            assert code == 1, command
            assert len(stderr.strip().splitlines()) == 1, (command, stderr)
            assert stderr.startswith(f"Error: {db} was built by {says}"), (command, stderr)
            assert rebuild in stderr, (command, stderr)
            assert f"this emm1 reads schema {SCHEMA_VERSION}" in stderr
        assert db.read_bytes() == before
