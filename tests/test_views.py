"""The views equal an independent computation from the CSVs, for both layouts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import duckdb
import expected
import pytest

from catalog.config import set_setting
from catalog.discover import ASSET_MODALITIES


def rows(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def columns(db, view):
    with duckdb.connect(str(db), read_only=True) as con:
        return [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_nn_groups_resolved_matches_plain_python(samples, catalogs, layout):
    assert columns(catalogs[layout], "nn_groups_resolved") == expected.NN_COLUMNS
    got = rows(catalogs[layout], "SELECT * FROM nn_groups_resolved")
    want = expected.nn_groups_resolved(samples[layout], "/assets")
    assert len(got) == len(want) == 16 * 300
    assert Counter(got) == Counter(want)


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_unresolved_ids_keep_their_row_with_null_paths(catalogs, layout):
    (n_null_image, n_null_caption, n_rows) = rows(
        catalogs[layout],
        """
        SELECT count(*) FILTER (image_file_path IS NULL), count(*) FILTER (caption IS NULL),
               count(*) FROM nn_groups_resolved""",
    )[0]
    # the sample points ~1% of ids past the end of infos and leaves some captions out
    assert 0 < n_null_image < n_rows and 0 < n_null_caption < n_rows


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_triplets_labeled_matches_plain_python_for_both_schemas(samples, catalogs, layout):
    assert columns(catalogs[layout], "triplets_labeled") == expected.TRIPLET_COLUMNS
    got = rows(catalogs[layout], "SELECT * FROM triplets_labeled")
    want = expected.triplets_labeled(samples[layout], "/assets")
    assert Counter(got) == Counter(want)
    assert len(got) > len(set(got)), "exact duplicate rows of triplets.csv are kept"


def test_triplets_resolve_within_1m_never_100m(catalogs):
    # the same id numbers exist in both parts with different files: every resolved path must
    # be the 1M one (its infos rows sit in e-mm1_1m_only or shared, never e-mm1_100m_only)
    (leaks,) = rows(
        catalogs["upstream"],
        """
        SELECT count(*) FROM triplets_labeled
        WHERE paired_modality_file_path LIKE '%e-mm1_100m_only%'
           OR annotated_modality_file_path LIKE '%e-mm1_100m_only%'""",
    )[0]
    assert leaks == 0


def test_a_modality_pair_on_triplets_reads_the_stored_rows_and_joins_no_infos_table(catalogs):
    # the question users ask of E-MM1:1M most is one pair and rating: the build stores the
    # triplets resolved, sorted so, and the view's filter reaches that table's scan
    plan = rows(
        catalogs["upstream"],
        """
        EXPLAIN SELECT * FROM triplets_labeled
        WHERE paired_modality = 'audio' AND annotated_modality = 'points'""",
    )[0][1]
    assert "triplets_resolved" in plan
    assert not [t for t in ("image", "audio", "video", "points", "text") if f"infos_1m_{t}" in plan]
    scan = plan[plan.index("triplets_resolved") :]
    assert "Filters:" in scan and "paired_modality=" in scan.replace(" ", "")
    (tree,) = rows(
        catalogs["upstream"],
        """
        EXPLAIN (FORMAT json) SELECT * FROM triplets_labeled
        WHERE paired_modality = 'audio' AND annotated_modality = 'points'""",
    )[0][1:]
    materialised = [n["children"][0] for n in plan_nodes(json.loads(tree)) if n["name"] == "CTE"]
    read = {
        n["extra_info"]["Table"].rsplit(".", 1)[-1]
        for m in materialised
        for n in plan_nodes([m])
        if n["name"] == "SEQ_SCAN"
    }
    assert read <= {"settings"}, "nothing but the one row of settings is materialised"


def plan_nodes(nodes: list[dict]):
    """Every node of a JSON query plan (EXPLAIN (FORMAT json)), depth first."""
    for node in nodes:
        yield node
        yield from plan_nodes(node["children"])


def test_eshot_samples_match_plain_python(samples, catalogs):
    got = rows(
        catalogs["upstream"],
        "SELECT modality::VARCHAR, eshot_id, category, file_path FROM eshot_samples",
    )
    assert Counter(got) == Counter(expected.eshot_samples(samples["upstream"], "/assets"))


def test_assets_view_has_every_infos_row_of_every_part(samples, catalogs):
    got = Counter(
        rows(
            catalogs["upstream"],
            "SELECT part::VARCHAR, modality::VARCHAR, count(*) FROM assets GROUP BY ALL",
        )
    )
    want = Counter()
    for part in ("e-mm1_100m", "e-mm1_1m"):
        for m in ASSET_MODALITIES:
            want[(part, m, len(expected.infos(samples["upstream"], part, m)))] += 1
    eshot = expected.eshot_samples(samples["upstream"], "/assets")
    for m in ("audio", "points"):
        want[("eshot", m, sum(1 for r in eshot if r[0] == m))] += 1
    assert got == want


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_captions_round_trip_exactly(samples, catalogs, layout):
    for part in ("e-mm1_100m", "e-mm1_1m"):
        want = {i: r["caption"] for i, r in expected.infos(samples[layout], part, "text").items()}
        got = dict(
            rows(
                catalogs[layout],
                f"""
            SELECT encord_text_id, caption FROM captions WHERE part = '{part}'""",
            )
        )
        assert got == want
    texts = "".join(want.values())
    assert '"' in texts and "\n" in texts and "," in texts and "東京" in texts


def test_asset_root_and_layout_change_every_path_without_rebuild(catalogs, tmp_path):
    db = tmp_path / "c.duckdb"
    db.write_bytes(catalogs["upstream"].read_bytes())
    set_setting(db, "asset_root", "/mnt/media/")
    set_setting(db, "layout.audio", "video")
    (audio_path,) = rows(
        db,
        "SELECT audio_file_path FROM nn_groups_resolved WHERE audio_file_path IS NOT NULL LIMIT 1",
    )[0]
    assert audio_path.startswith("/mnt/media/") and "/video/audio_" in audio_path
    stale = rows(
        db,
        """
        SELECT count(*) FROM (
            SELECT file_path FROM assets UNION ALL SELECT file_path FROM eshot_samples
            UNION ALL SELECT paired_modality_file_path FROM triplets_labeled
            UNION ALL SELECT image_file_path FROM nn_groups_resolved
        ) WHERE file_path NOT LIKE '/mnt/media/%'""",
    )[0][0]
    assert stale == 0


@pytest.mark.parametrize("layout", ["upstream", "legacy"])
def test_views_equal_plain_python_after_config_set_of_layout_and_asset_root(
    samples, catalogs, layout, tmp_path
):
    # the build stores each path below the asset root: `config set layout.audio` must rewrite
    # those, and `config set asset_root` move every path, with no rebuild
    db = tmp_path / "c.duckdb"
    db.write_bytes(catalogs[layout].read_bytes())
    for key, value in (("layout.audio", "video"), ("asset_root", "/mnt/media/")):
        subprocess.run(
            [sys.executable, "-m", "catalog.cli", "config", "set", key, value, "--db", str(db)],
            check=True,
            capture_output=True,
        )
    data, root, folders = samples[layout], "/mnt/media", {"audio": "video"}
    got = rows(db, "SELECT * FROM nn_groups_resolved")
    assert Counter(got) == Counter(expected.nn_groups_resolved(data, root, folders))
    got = rows(db, "SELECT * FROM triplets_labeled")
    assert Counter(got) == Counter(expected.triplets_labeled(data, root, folders))
    got = rows(db, "SELECT modality::VARCHAR, eshot_id, category, file_path FROM eshot_samples")
    assert Counter(got) == Counter(expected.eshot_samples(data, root, folders))
    got = rows(db, "SELECT part::VARCHAR, modality::VARCHAR, asset_id, file_path FROM assets")
    want = [
        (a["part"], a["modality"], a["asset_id"], expected.path_of(root, a, a["modality"], f))
        for a in expected.assets(data)
        for f in [folders.get(a["modality"])]
    ]
    assert Counter(got) == Counter(want)
    assert any("/video/audio_" in (p or "") for (*_, p) in got), "audio moved to video/"


def test_every_table_view_and_column_has_a_comment(catalogs):
    missing = rows(
        catalogs["upstream"],
        """
        SELECT table_name || '.' || column_name FROM duckdb_columns()
        WHERE database_name = current_database() AND NOT internal
          AND (comment IS NULL OR comment = '')
        UNION ALL
        SELECT table_name FROM duckdb_tables()
        WHERE database_name = current_database() AND (comment IS NULL OR comment = '')
        UNION ALL
        SELECT view_name FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal
          AND (comment IS NULL OR comment = '')""",
    )
    assert missing == []
