"""Query templates: parameters, rendering, `emm1 templates/render/query`, the table macros."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import catalog
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
        {"modalities": "image,audio", "present_only": "yes"},
    ],
    "modality_pair": [
        {"modality_1": "audio", "modality_2": "points", "direction": "one"},
        {"modality_1": "image", "modality_2": "audio", "label": "Bad (No) Match"},
        {"modality_1": "video", "modality_2": "image"},
        {"modality_1": "points", "modality_2": "audio", "present_only": "yes"},
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
    ],
    "counts_by_source": [{}, {"modality": "text"}, {"part": "eshot", "modality": "audio"}],
    "counts_by_label": [{"modality": "points"}],
    "counts_by_k": [{}, {"k": "3..5"}],
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
            assert p.help and p.type in ("int", "range", "choice", "choices", "text")


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
            assert bag(plain, sql, bound)[1] == [], (name, p.name)
            assert bag(plain, run("render", name, *p_args(raw)).stdout)[1] == []
            assert bag(plain, t.macro_call(t.values(raw)))[1] == []
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
            "caption_contains, match_case, present_only.",
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
            "no template 'nope'. Templates: asset, caption_search, counts_by_k, counts_by_label, "
            "counts_by_source, groups, modality_pair.",
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
        "label := 'Good Match')\n" in shown
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
