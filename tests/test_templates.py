"""Query templates: parameters, rendering, `emm1 templates/render/query`, the table macros."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import expected
import pytest
from click.testing import CliRunner

import catalog
from catalog.build import build_catalog
from catalog.cli import main
from catalog.definitions import TABLE_MACROS
from catalog.errors import CatalogError
from catalog.template_docs import readme_section
from catalog.templates import get_template, templates

README = Path(__file__).resolve().parents[1] / "README.md"

# Parameters each template is run with, beyond its own example: every clause of every template.
CASES = {
    "groups": [
        {},
        {"k": "16", "modalities": "points"},
        {"k": "2..3", "modalities": "video,image", "caption_contains": "DOG"},
        {"k": "1..2", "modalities": "audio", "caption_contains": "Zürich", "match_case": "yes"},
        {"modalities": "points", "source": "ABO"},
        {"modalities": "audio,video", "licence": "CC BY 4.0"},
        {"source": "COCO", "licence": "CC BY 4.0", "k": "1..16"},
        {"k": "1..3", "modalities": "points,image", "order_by": "none"},
        {"k": "2", "caption_contains": "zürich", "match_case": "no", "present_only": "false"},
    ],
    "modality_pair": [
        {"modality_1": "audio", "modality_2": "points", "direction": "one"},
        {"modality_1": "image", "modality_2": "audio", "label": "Bad (No) Match"},
        {"modality_1": "video", "modality_2": "image"},
        {"modality_1": "audio", "modality_2": "points", "drop_duplicates": "yes"},
        {"modality_1": "image", "modality_2": "points", "drop_null_paths": "true"},
        {"modality_1": "video", "modality_2": "points", "order_by": "none", "direction": "one"},
    ],
    "modality_pair_files": [
        {"modality_1": "audio", "modality_2": "points"},
        {"modality_1": "image", "modality_2": "audio", "direction": "one", "order_by": "none"},
        {"modality_1": "points", "modality_2": "video", "drop_duplicates": "yes"},
        {"modality_1": "points", "modality_2": "image", "drop_null_paths": "yes"},
        {"modality_1": "points", "modality_2": "audio", "exclude_eshot": "yes"},
    ],
    "asset": [
        {"part": "e-mm1_100m", "modality": "image", "id": "154"},
        {"part": "e-mm1_1m", "modality": "audio", "id": "36"},
        {"part": "eshot", "modality": "points", "id": "3"},
        {"part": "e-mm1_1m", "modality": "video", "id": "999999"},
    ],
    "caption_search": [
        {"text": "ZÜRICH"},
        {"text": '"sunny"', "part": "e-mm1_1m"},
        {"text": "Zürich", "match_case": "yes"},
        {"text": "zürich", "match_case": "false", "part": "e-mm1_100m"},
    ],
    "counts_by_source": [{}, {"modality": "text"}, {"part": "eshot", "modality": "audio"}],
    "counts_by_label": [{"modality": "points"}],
    "counts_by_k": [{}, {"k": "3..5"}],
    "caption_groups": [{"text_id": "7"}, {"text_id": "999999"}],
    "caption_triplets": [{"text_id": "3"}, {"text_id": "999999"}],
}
ALL_CASES = [(name, raw) for name, t in templates().items() for raw in [t.example, *CASES[name]]]
HOSTILE = [
    "x' OR '1'='1",
    "'; DROP TABLE nn_groups; --",
    "COCO'); SELECT * FROM read_csv('/etc/passwd'); --",
    "1; DELETE FROM triplets",
]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def p_args(raw: dict) -> list[str]:
    return [a for k, v in raw.items() for a in ("-p", k, v)]


def bag(con, sql, params=None):
    cur = con.execute(sql, params) if params else con.execute(sql)
    return [d[0] for d in cur.description], sorted(map(repr, cur.fetchall()))


def test_every_template_has_its_declarations():
    assert set(templates()) == set(CASES)
    for t in templates().values():
        assert t.title and len(t.description) > 40
        for p in t.params:
            assert p.help and p.type in ("int", "range", "choice", "choices", "flag", "text")
        assert t.order, "every template documents the order of its rows"


@pytest.mark.parametrize("name,raw", ALL_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_query_render_python_and_macro_return_the_same_rows(name, raw, db, plain):
    t = get_template(name)
    values = t.values(raw)
    sql, bound = t.render(values)
    expected = bag(plain, sql, bound)

    from_cli = run("query", name, *p_args(raw), "--db", db, "--format", "json")
    assert from_cli.exit_code == 0, from_cli.stderr
    rows = json.loads(from_cli.stdout)
    assert len(rows) == len(expected[1])
    assert not rows or list(rows[0]) == expected[0]

    rendered = run("render", name, *p_args(raw))
    assert rendered.exit_code == 0
    assert bag(plain, rendered.stdout) == expected

    with catalog.open_catalog(db) as cat:
        rel = cat.template(name, **raw)
        table = rel.to_arrow_table()
        assert table.column_names == expected[0] and table.num_rows == len(expected[1])
        assert bag(plain, cat.render(name, **raw)) == expected

    assert bag(plain, t.macro_call(values)) == expected


def test_render_inlines_quoted_literals():
    out = run(
        "render",
        "groups",
        "-p",
        "k",
        "1..4",
        "-p",
        "modalities",
        "image,audio",
        "-p",
        "caption_contains",
        "it's",
    )
    assert (
        "WHERE g.nn_index BETWEEN 1 AND 4\n    AND contains_nocase(t.caption, 'it''s')\n)"
        in out.stdout
    )
    assert "video" not in out.stdout and "FROM infos_100m_audio WHERE" in out.stdout


def nothing_or_refused(con, sql, params=None) -> bool:
    """True if the query returns no rows, or is refused because a value is not one the catalog
    holds (a source or licence: the message lists the ones it does)."""
    try:
        return bag(con, sql, params)[1] == []
    except duckdb.InvalidInputException as e:
        return "Sources: " in str(e) or "Licences: " in str(e)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_values_match_nothing_and_change_nothing(value, db, plain):
    before = bag(plain, "SELECT count(*) FROM nn_groups UNION ALL SELECT count(*) FROM triplets")
    for name, t in templates().items():
        for p in t.params:
            if p.type != "text":
                continue
            raw = {**t.example, p.name: value}
            sql, bound = t.render(t.values(raw))
            assert value not in sql  # bound, never pasted
            assert nothing_or_refused(plain, sql, bound), (name, p.name)
            assert nothing_or_refused(plain, run("render", name, *p_args(raw)).stdout)
            assert nothing_or_refused(plain, t.macro_call(t.values(raw)))
    assert (
        bag(plain, "SELECT count(*) FROM nn_groups UNION ALL SELECT count(*) FROM triplets")
        == before
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["groups", "-p", "kk", "3"],
            "template groups has no parameter 'kk'. Parameters: k, modalities, source, licence, "
            "caption_contains, match_case, present_only, exclude_eshot, order_by.",
        ),
        (
            ["groups", "-p", "k", "1; DROP TABLE nn_groups"],
            "parameter k of groups: '1; DROP TABLE nn_groups' is not allowed. "
            "Allowed: 1 to 16 (a number or lo..hi), e.g. 1 or 1..16.",
        ),
        (
            ["groups", "-p", "k", "4..1"],
            "parameter k of groups: '4..1' is not allowed. "
            "Allowed: 1 to 16 (a number or lo..hi), e.g. 1 or 1..16.",
        ),
        (
            ["groups", "-p", "modalities", "image,smell"],
            "parameter modalities of groups: 'smell' is not allowed. "
            "Allowed: image, audio, video, points.",
        ),
        (
            ["modality_pair", "-p", "modality_1", "points"],
            "parameter modality_2 of modality_pair is required. "
            "Allowed: image, audio, video, points.",
        ),
        (
            ["modality_pair", "-p", "modality_1", "points'--", "-p", "modality_2", "audio"],
            'parameter modality_1 of modality_pair: "points\'--" is not allowed. '
            "Allowed: image, audio, video, points.",
        ),
        (
            ["asset", "-p", "part", "eshot", "-p", "modality", "audio", "-p", "id", "3 OR 1=1"],
            "parameter id of asset: '3 OR 1=1' is not allowed. Allowed: 0 to 2147483647.",
        ),
        (
            ["caption_search", "-p", "text", "a", "-p", "max_rows", "0"],
            "parameter max_rows of caption_search: '0' is not allowed. Allowed: 1 to 1000000.",
        ),
        (
            ["nope"],
            "no template 'nope'. Templates: asset, caption_groups, caption_search, "
            "caption_triplets, counts_by_k, counts_by_label, counts_by_source, groups, "
            "modality_pair, modality_pair_files.",
        ),
        (
            ["groups", "-p", "k", "1", "-p", "k", "2"],
            "parameter k is given twice; give each parameter once.",
        ),
    ],
)
def test_bad_parameters_are_refused_with_what_is_allowed(args, message, db):
    for command in (["query", *args, "--db", db], ["render", *args]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == f"Error: {message}\n"


def test_python_values_are_parsed_like_text():
    t = get_template("groups")
    assert t.values({"k": (2, 5), "modalities": ["points", "image"]})["k"] == (2, 5)
    assert t.values({"k": 3})["k"] == (3, 3)
    assert t.values({"modalities": "points, image,points"})["modalities"] == ("image", "points")
    with pytest.raises(CatalogError, match="is not allowed"):
        t.values({"k": True})
    with pytest.raises(CatalogError, match="is not text"):
        t.values({"source": 3})


def test_templates_lists_and_shows(db):
    listed = run("templates").stdout
    for t in templates().values():
        assert f"{t.name}: {t.title}\n" in listed
        for p in t.params:
            assert f"    {p.name} (" in listed
    shown = run("templates", "show", "modality_pair").stdout
    assert (
        "example:     emm1 query modality_pair -p modality_1 points -p modality_2 audio "
        "-p label 'Good Match'\n" in shown
    )
    assert (
        "as a macro:  SELECT * FROM modality_pair('points', 'audio', direction := 'both', "
        "label := 'Good Match', order_by := 'caption')\n" in shown
    )
    assert run("templates", "show", "nope").exit_code == 1


def test_query_limit_and_parquet_output(db, tmp_path):
    limited = run(
        "query", "groups", "-p", "k", "1..16", "--db", db, "--format", "csv", "--limit", 7
    )
    assert len(list(csv.DictReader(io.StringIO(limited.stdout)))) == 7
    parquet = CliRunner().invoke(
        main, ["query", "counts_by_k", "--db", str(db), "--format", "parquet"]
    )
    assert parquet.exit_code == 0
    (tmp_path / "k.parquet").write_bytes(parquet.stdout_bytes)
    con = duckdb.connect()
    assert con.execute(
        f"SELECT sum(groups) FROM read_parquet('{tmp_path / 'k.parquet'}')"
    ).fetchall() == [(4800,)]


def test_groups_filters_mean_what_they_say(plain):
    """Independent of the template SQL: the licence filter keeps groups whose every chosen item
    carries the licence; the source filter keeps groups where some chosen item comes from it."""
    t = get_template("groups")
    values = t.values({"k": "1..16", "modalities": "image,audio", "licence": "CC BY 4.0"})
    got = bag(plain, *t.render(values))[1]
    want = bag(
        plain,
        """SELECT g.encord_text_id, g.nn_index, g.caption, g.encord_image_id, g.image_file_path,
                  g.encord_audio_id, g.audio_file_path
           FROM nn_groups_resolved AS g
           JOIN assets AS i ON i.part = 'e-mm1_100m' AND i.modality = 'image'
                AND i.asset_id = g.encord_image_id
           JOIN assets AS a ON a.part = 'e-mm1_100m' AND a.modality = 'audio'
                AND a.asset_id = g.encord_audio_id
           WHERE i.dataset_license = 'CC BY 4.0' AND a.dataset_license = 'CC BY 4.0'""",
    )[1]
    assert got == want and 0 < len(got) < 4800
    values = t.values({"k": "1", "modalities": "points,audio", "source": "AudioSet"})
    ids = {r[0] for r in plain.execute(*t.render(values)).fetchall()}
    want_ids = {
        r[0]
        for r in plain.execute(
            """SELECT g.encord_text_id FROM nn_groups AS g
               JOIN infos_100m_audio AS a USING (encord_audio_id)
               WHERE g.nn_index = 1 AND a.source_dataset = 'AudioSet'"""
        ).fetchall()
    }
    assert ids == want_ids and ids


def test_caption_search_is_a_literal_case_insensitive_substring(plain):
    t = get_template("caption_search")
    captions = plain.execute(
        "SELECT part::VARCHAR, encord_text_id, caption FROM captions"
    ).fetchall()
    for text in ("zürich", "%", "_", "SUNNY"):
        rows = plain.execute(*t.render(t.values({"text": text, "max_rows": "1000"}))).fetchall()
        want = sorted((p, i) for p, i, c in captions if c and text.lower() in c.lower())
        assert [(r[0], r[1]) for r in rows] == want
    limited = plain.execute(*t.render(t.values({"text": "a", "max_rows": "3"}))).fetchall()
    assert len(limited) == 3


def test_match_case_keeps_only_captions_with_the_exact_case(plain):
    captions = plain.execute(
        "SELECT part::VARCHAR, encord_text_id, caption FROM captions"
    ).fetchall()
    search = get_template("caption_search")
    for text in ("Zürich", "zürich", "%", '"sunny"'):
        raw = {"text": text, "max_rows": "1000", "match_case": "yes"}
        rows = plain.execute(*search.render(search.values(raw))).fetchall()
        want = sorted((p, i) for p, i, c in captions if c and text in c)
        assert [(r[0], r[1]) for r in rows] == want
        assert bag(plain, search.macro_call(search.values(raw)))[1] == sorted(map(repr, rows))
    groups = get_template("groups")
    exact = groups.values({"k": "1..4", "caption_contains": "Zürich", "match_case": "yes"})
    got = plain.execute(*groups.render(exact))
    columns = ", ".join(d[0] for d in got.description)
    got = got.fetchall()
    every = plain.execute(
        f"SELECT {columns} FROM nn_groups_resolved WHERE nn_index <= 4"
    ).fetchall()
    assert got and sorted(map(repr, got)) == sorted(
        repr(r) for r in every if r[2] is not None and "Zürich" in r[2]
    )
    lower = groups.values({"k": "1..4", "caption_contains": "zürich", "match_case": "yes"})
    assert plain.execute(*groups.render(lower)).fetchall() == []
    anycase = groups.values({"k": "1..4", "caption_contains": "zürich"})
    assert len(plain.execute(*groups.render(anycase)).fetchall()) == len(got)


def test_groups_by_caption_are_the_view_rows_whose_caption_matches(plain):
    # with caption_contains the template finds the captions first and reads only the infos rows
    # their groups name; the rows must still be exactly those of nn_groups_resolved, unresolved
    # ids (NULL paths) included
    t = get_template("groups")
    for text in ("zürich", "SUNNY", "a.b", '"'):
        got = plain.execute(*t.render(t.values({"k": "1..4", "caption_contains": text})))
        columns = ", ".join(d[0] for d in got.description)  # ids and paths, modality by modality
        got = got.fetchall()
        every = plain.execute(
            f"SELECT {columns} FROM nn_groups_resolved WHERE nn_index <= 4"
        ).fetchall()
        want = [r for r in every if r[2] is not None and text.lower() in r[2].lower()]
        assert sorted(map(repr, got)) == sorted(map(repr, want))
        if text == "zürich":
            assert got and any(None in r for r in got), "unresolved ids keep their row"


def test_macros_are_stored_with_comments(plain):
    rows = dict(
        plain.execute(
            "SELECT function_name, comment FROM duckdb_functions() "
            "WHERE function_type = 'table_macro' AND database_name = current_database()"
        ).fetchall()
    )
    assert set(rows) == set(templates()) | set(TABLE_MACROS)
    for name, t in templates().items():
        assert rows[name].startswith(f"{t.title}. {t.description} Parameters: ")
    assert plain.execute("SELECT count(*) FROM modality_pair('points', 'audio')").fetchall()[0][0]


def test_readme_lists_every_template_with_its_generated_example():
    text = README.read_text()
    assert readme_section() in text, "README is stale: run `make readme`"


PRESENT_ONLY = [
    (
        "groups",
        {"k": "1..2", "modalities": "image,audio", "present_only": "yes"},
        "100M image, audio",
    ),
    ("modality_pair", {"modality_1": "points", "modality_2": "audio", "present_only": "yes"}, "1M"),
    (
        "modality_pair_files",
        {"modality_1": "audio", "modality_2": "image", "present_only": "true"},
        "1M",
    ),
]


@pytest.mark.parametrize("name,raw,part", PRESENT_ONLY, ids=[c[0] for c in PRESENT_ONLY])
def test_present_only_without_a_scan_says_to_run_emm1_files_scan(
    name, raw, part, db, plain, tmp_path
):
    """The test catalog was never scanned: no file is known to be on disk, so present_only
    cannot answer, and every way of running the template says so instead of returning nothing."""
    fix = "so no file is known to be on disk. Run `emm1 files scan` first."
    result = run("query", name, *p_args(raw), "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the query failed: Invalid Input Error: present_only: ")
    assert f"no file scan of E-MM1:{part}" in result.stderr and fix in result.stderr
    exported = run("export", name, *p_args(raw), "--db", db, "--out", tmp_path / "x", "-q")
    assert exported.exit_code == 1 and fix in exported.stderr
    assert not (tmp_path / "x").exists()
    t = get_template(name)
    with catalog.open_catalog(db) as cat, pytest.raises(duckdb.InvalidInputException, match=fix):
        cat.template(name, **raw).fetchall()
    with pytest.raises(duckdb.InvalidInputException, match=fix):
        plain.execute(t.macro_call(t.values(raw))).fetchall()
    no = {**raw, "present_only": "no"}  # no is the same as not given: rows, no error
    assert plain.execute(t.macro_call(t.values(no))).fetchall()
    assert plain.execute(t.macro_call(t.values(raw)).replace("'yes'", "false")).fetchall()


def test_an_unknown_source_or_licence_is_refused_with_the_ones_there_are(db, plain):
    result = run("query", "groups", "-p", "source", "audioset", "--db", db)
    assert result.exit_code == 1
    sources = sorted(
        r[0]
        for r in plain.execute(
            "SELECT DISTINCT source_dataset FROM assets WHERE part = 'e-mm1_100m' "
            "AND modality <> 'text' AND source_dataset IS NOT NULL"
        ).fetchall()
    )
    assert result.stderr == (
        "Error: the query failed: Invalid Input Error: parameter source of groups: 'audioset' "
        "is not a source dataset of E-MM1:100M image, audio, video, points. Sources: "
        f"{', '.join(sources)}.\n"
    )
    assert "AudioSet" in sources
    # the sources offered are those of the chosen modalities
    audio = run(
        "query", "groups", "-p", "modalities", "image", "-p", "source", "AudioSet", "--db", db
    )
    assert audio.exit_code == 1 and "of E-MM1:100M image. Sources: " in audio.stderr
    assert "AudioSet" not in audio.stderr.partition("Sources: ")[2]
    licence = run("query", "groups", "-p", "licence", "cc by 4.0", "--db", db)
    assert licence.exit_code == 1 and "Licences: " in licence.stderr
    assert "'cc by 4.0' is not a licence of E-MM1:100M" in licence.stderr
    t = get_template("groups")
    for raw, wrong in (
        ({"source": "audioset"}, "is not a source dataset"),
        ({"licence": "nope"}, "is not a licence"),
    ):
        with pytest.raises(duckdb.InvalidInputException, match=wrong):
            plain.execute(t.macro_call(t.values(raw))).fetchall()


@pytest.mark.parametrize(
    "call,message",
    [
        (
            "groups(modalities := ['image', 'vidoe'])",
            "parameter modalities of groups: modalities := '[image, vidoe]' is not allowed. "
            "Allowed: image, audio, video, points.",
        ),
        (
            "modality_pair('points', 'smell')",
            "parameter modality_2 of modality_pair: modality_2 := 'smell' is not allowed. "
            "Allowed: image, audio, video, points.",
        ),
        (
            "counts_by_label(modality := 'Audio')",
            "parameter modality of counts_by_label: modality := 'Audio' is not allowed. "
            "Allowed: image, audio, video, points.",
        ),
        (
            "groups(k_min := 0, k_max := 3)",
            "parameter k of groups: k_min := 0, k_max := 3 is not allowed. "
            "Allowed: 1 <= k_min <= k_max <= 16.",
        ),
        (
            "caption_search('dog', match_case := 'maybe')",
            "parameter match_case of caption_search: match_case := 'maybe' is not allowed. "
            "Allowed: yes or no (also true, false).",
        ),
        (
            "groups(order_by := 'random')",
            "parameter order_by of groups: order_by := 'random' is not allowed. "
            "Allowed: caption, none.",
        ),
    ],
)
def test_a_macro_refuses_a_value_its_template_does_not_allow(call, message, plain):
    """A table macro cannot check its arguments as emm1 does, so it checks them in SQL: a value
    outside the declared ones is an error listing them, not an empty or partial answer."""
    with pytest.raises(duckdb.InvalidInputException) as raised:
        plain.execute(f"SELECT * FROM {call}").fetchall()
    assert str(raised.value) == f"Invalid Input Error: {message}"


def test_flags_take_yes_no_true_false_and_python_bools(db, plain):
    t = get_template("caption_search")
    given = bag(plain, *t.render(t.values({"text": "zürich", "match_case": "yes"})))
    absent = bag(plain, *t.render(t.values({"text": "zürich"})))
    assert given[1] == [] and absent[1], "the sample has Zürich, never zürich"
    for word in ("yes", "YES", "true", True):
        assert t.values({"text": "zürich", "match_case": word})["match_case"] == "yes"
        assert bag(plain, *t.render(t.values({"text": "zürich", "match_case": word}))) == given
    for word in ("no", "false", "False", False):
        assert t.values({"text": "zürich", "match_case": word})["match_case"] is None
    with catalog.open_catalog(db) as cat:
        rel = cat.template("caption_search", text="zürich", match_case=True)
        assert sorted(map(repr, rel.fetchall())) == given[1]
        rel = cat.template("caption_search", text="zürich", match_case=False)
        assert sorted(map(repr, rel.fetchall())) == absent[1]
        rel = cat.template("groups", k="1..2", present_only=False, match_case=False)
        assert len(rel.fetchall()) == 600  # no scan needed: present_only=False is not given
    cli = run(
        "query", "groups", "-p", "present_only", "no", "-p", "k", "2", "--db", db, "--format", "csv"
    )
    assert cli.exit_code == 0 and len(list(csv.DictReader(io.StringIO(cli.stdout)))) == 300
    wrong = run("query", "groups", "-p", "present_only", "maybe", "--db", db)
    assert wrong.stderr == (
        "Error: parameter present_only of groups: 'maybe' is not allowed. "
        "Allowed: yes or no (also true, false).\n"
    )
    assert bag(plain, "SELECT * FROM caption_search('zürich', match_case := true)") == given
    assert bag(plain, "SELECT * FROM caption_search('zürich', match_case := 'no')") == absent


@pytest.mark.parametrize("name,raw", ALL_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_rows_come_in_the_documented_order(name, raw, db, plain):
    """emm1 query and the table macro give the rows sorted by the template's declared order
    (which `emm1 templates show` states); rows equal on it are exact duplicates."""
    t = get_template(name)
    values = t.values(raw)
    if values.get("order_by") == "none":
        return
    keys = ", ".join(re.sub(r"\{(\w+)\}", lambda m: values[m[1]], k) for k in t.order)
    sql, bound = t.render(values)
    want = plain.execute(f"SELECT {keys} FROM ({sql}) ORDER BY {keys}", bound or None).fetchall()
    result = run("query", name, *p_args(raw), "--db", db, "--format", "json")
    cli = [tuple(r[k.strip()] for k in keys.split(",")) for r in json.loads(result.stdout)]
    assert cli == [tuple(v if not isinstance(v, float) else v for v in r) for r in want]
    macro = plain.execute(f"SELECT {keys} FROM ({t.macro_call(values)})").fetchall()
    assert macro == want
    assert t.order_text() in run("templates", "show", name).stdout


def test_a_captions_groups_are_together_by_k_and_order_by_none_only_skips_the_sort(db, plain):
    rows = json.loads(
        run("query", "groups", "-p", "k", "1..16", "--db", db, "--format", "json").stdout
    )
    pairs = [(r["encord_text_id"], r["nn_index"]) for r in rows]
    assert pairs == sorted(pairs) and len(set(pairs)) == len(pairs) == 4800
    t = get_template("groups")
    none = t.values({"k": "1..16", "order_by": "none"})
    sql, _ = t.render(none)
    assert "ORDER BY" not in sql
    assert bag(plain, *t.render(none)) == bag(plain, *t.render(t.values({"k": "1..16"})))


def test_modality_pair_files_has_one_id_and_path_column_per_modality(db, plain):
    labeled = plain.execute(
        "SELECT encord_text_id, paired_modality::VARCHAR, annotated_modality::VARCHAR, "
        "encord_paired_id, encord_annotated_id, paired_modality_file_path, "
        "annotated_modality_file_path, annotation FROM triplets_labeled"
    ).fetchall()
    want = Counter()
    for text, paired, rated, pid, rid, ppath, rpath, annotation in labeled:
        if {paired, rated} != {"points", "audio"}:
            continue
        ids = {paired: (pid, ppath), rated: (rid, rpath)}
        want[(text, paired, *ids["points"], *ids["audio"], annotation)] += 1
    assert sum(want.values()) > 5
    raw = {"modality_1": "points", "modality_2": "audio"}
    result = run("query", "modality_pair_files", *p_args(raw), "--db", db, "--format", "json")
    rows = json.loads(result.stdout)
    assert list(rows[0]) == [
        "encord_text_id",
        "caption",
        "paired_modality",
        "points_id",
        "points_file_path",
        "audio_id",
        "audio_file_path",
        "annotation",
        "annotation_label",
    ]
    got = Counter(
        (
            r["encord_text_id"],
            r["paired_modality"],
            r["points_id"],
            r["points_file_path"],
            r["audio_id"],
            r["audio_file_path"],
            r["annotation"],
        )
        for r in rows
    )
    assert got == want
    assert {r["paired_modality"] for r in rows} == {"points", "audio"}
    t = get_template("modality_pair_files")
    swapped = t.values({"modality_1": "audio", "modality_2": "points"})
    cur = plain.execute(t.macro_call(swapped))
    assert [d[0] for d in cur.description][3:7] == [
        "audio_id",
        "audio_file_path",
        "points_id",
        "points_file_path",
    ]
    assert len(cur.fetchall()) == len(rows)
    same = run(
        "render", "modality_pair_files", "-p", "modality_1", "audio", "-p", "modality_2", "audio"
    )
    assert same.exit_code == 1 and same.stderr == (
        "Error: parameter modality_2 of modality_pair_files: 'audio' is modality_1 too. "
        "Give two different values.\n"
    )


@pytest.mark.parametrize("name", ["modality_pair", "modality_pair_files"])
def test_duplicate_triplets_can_be_dropped(name, plain):
    t = get_template(name)
    base = {"modality_1": "video", "modality_2": "points"}
    every = bag(plain, *t.render(t.values(base)))[1]
    distinct = bag(plain, *t.render(t.values({**base, "drop_duplicates": "yes"})))[1]
    assert len(distinct) < len(every), "the sample repeats a points-video triplet"
    assert distinct == sorted(set(every))
    assert bag(plain, t.macro_call(t.values({**base, "drop_duplicates": "yes"})))[1] == distinct
    assert bag(plain, t.macro_call(t.values({**base, "drop_duplicates": "no"})))[1] == every


@pytest.mark.parametrize("name", ["modality_pair", "modality_pair_files"])
def test_rows_without_a_file_path_can_be_dropped(name, samples, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(samples["upstream"], data)
    triplets = expected.read_csv(data / "e-mm1_1m" / "triplets.csv")
    rated = {
        r["encord_annotated_id"]
        for r in triplets
        if (r["paired_modality"], r["annotated_modality"]) == ("points", "audio")
    }
    infos = data / "e-mm1_1m" / "infos" / "audio.csv"
    kept = [r for r in expected.read_csv(infos) if r["encord_audio_id"] not in rated]
    with open(infos, "w", newline="", encoding="utf-8") as f:  # those audio items lose their row
        writer = csv.DictWriter(f, list(kept[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    db = tmp_path / "c.duckdb"
    build_catalog(data, db, asset_root="/assets")
    t = get_template(name)
    base = {"modality_1": "audio", "modality_2": "points"}
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(*t.render(t.values(base)))
        paths = [i for i, d in enumerate(cur.description) if d[0].endswith("file_path")]
        every = cur.fetchall()
        complete = [r for r in every if all(r[i] is not None for i in paths)]
        assert len(paths) == 2 and 0 < len(complete) < len(every)
        dropped = t.values({**base, "drop_null_paths": "yes"})
        assert bag(con, *t.render(dropped))[1] == sorted(map(repr, complete))
        assert bag(con, t.macro_call(dropped))[1] == sorted(map(repr, complete))
