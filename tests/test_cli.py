"""The emm1 commands as a user runs them: exit codes, stdout for data, stderr for messages."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from catalog.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_sample_is_deterministic_and_seeded(tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        assert run("sample", tmp_path / name, "--captions", 40, "--seed", seed).exit_code == 0
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert len(files) == 32  # 5 infos + 16 shards, 5 infos + 2, 4 EShot
    same = [(tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files]
    other = [(tmp_path / "a" / f).read_bytes() == (tmp_path / "c" / f).read_bytes() for f in files]
    assert all(same) and not all(other)


def test_sample_has_the_published_columns(tmp_path):
    run("sample", tmp_path / "s", "--captions", 40)
    header = {
        p.relative_to(tmp_path / "s").as_posix(): p.read_text().split("\n")[0]
        for p in (tmp_path / "s").rglob("*.csv")
    }
    assert header["e-mm1_100m/nn_7/data_groups.csv"] == (
        "encord_text_id,encord_video_id,encord_audio_id,encord_image_id,encord_points_id,nn_index"
    )
    assert header["e-mm1_1m/triplets.csv"] == (
        "encord_text_id,paired_modality,annotated_modality,encord_paired_id,"
        "encord_annotated_id,annotation"
    )
    assert header["e-mm1_100m/infos/video.csv"] == (
        "encord_video_id,source_dataset,dataset_license,youtube_id,start_time,end_time,file_id,"
        "file_name,save_folder"
    )
    assert header["e-mm1_1m/infos/image.csv"] == (
        "encord_image_id,source_dataset,dataset_license,file_id,file_name,save_folder"
    )
    assert header["eshot/eshot_points_info.csv"] == "eshot_point_id,file_id,file_name,save_folder"
    cats = json.loads((tmp_path / "s" / "eshot" / "category_to_point_ids.json").read_text())
    assert all(isinstance(i, int) for ids in cats.values() for i in ids)


def test_sample_takes_captions_or_scale_not_both(tmp_path):
    both = run("sample", tmp_path / "s", "--captions", 40, "--scale", 0.1)
    assert both.exit_code == 1
    assert both.stderr == (
        "Error: --captions 40 and --scale 0.1 both set the sample's size: give one of them.\n"
    )
    assert not (tmp_path / "s").exists()
    one = run("sample", tmp_path / "s", "--captions", 40)
    assert one.stderr == (
        f"wrote a sample in the upstream layout to {tmp_path / 's'}: 40 captions x 16 shards, "
        "40 triplets, 24 EShot samples per modality\n"
    )


def test_sample_refuses_to_overwrite(tmp_path):
    run("sample", tmp_path / "s", "--captions", 40)
    result = run("sample", tmp_path / "s", "--captions", 40)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 's' / 'e-mm1_100m'} already exists: give "
        "`emm1 sample` a new or empty folder.\n"
    )


def test_sql_formats(catalogs):
    db = catalogs["upstream"]
    query = (
        "SELECT encord_text_id, caption, nn_index FROM nn_groups_resolved "
        "WHERE caption LIKE '%\"%' ORDER BY encord_text_id, nn_index LIMIT 3"
    )
    as_csv = run("sql", query, "--db", db, "--format", "csv")
    assert as_csv.exit_code == 0
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(parsed) == 3 and '"' in parsed[0]["caption"]
    as_json = json.loads(run("sql", query, "--db", db, "--format", "json").stdout)
    assert [r["caption"] for r in as_json] == [r["caption"] for r in parsed]
    assert as_json[0]["nn_index"] == 1 and isinstance(as_json[0]["encord_text_id"], int)
    table = run("sql", "SELECT 42 AS answer", "--db", db).stdout
    assert "answer" in table and "42" in table
    assert run("sql", "SELECT 1 WHERE false", "--db", db, "--format", "json").stdout == "[]\n"


def test_sql_is_read_only_and_errors_are_messages(catalogs):
    db = catalogs["upstream"]
    result = run("sql", "DELETE FROM nn_groups", "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 'DELETE FROM nn_groups' is refused (statement 1 of 1)")
    missing = run("sql", "SELECT 1", "--db", db.parent / "nope.duckdb")
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {db.parent / 'nope.duckdb'}: no catalog there.")


def test_config_get_and_set(catalogs, tmp_path):
    db = tmp_path / "c.duckdb"
    db.write_bytes(catalogs["upstream"].read_bytes())
    assert run("config", "get", "asset_root", "--db", db).stdout == "/assets\n"
    assert run("config", "set", "layout.points", "point-clouds", "--db", db).exit_code == 0
    assert "layout.points=point-clouds" in run("config", "get", "--db", db).stdout
    bad = run("config", "set", "layout.smell", "x", "--db", db)
    assert bad.exit_code == 1
    assert bad.stderr == (
        "Error: unknown setting 'layout.smell'. Settings: asset_root, "
        "layout.image, layout.audio, layout.video, layout.points.\n"
    )
    nested = run("config", "set", "layout.audio", "../x", "--db", db)
    assert nested.exit_code == 1 and "must be one folder name" in nested.stderr


def test_info_describes_parts_and_rows(catalogs):
    out = run("info", "--db", catalogs["legacy"]).stdout
    assert "parts        e-mm1_100m, e-mm1_1m, eshot" in out
    assert "nn shards    1-16\n" in out
    assert re.search(r"nn_groups\s+4,800", out)


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize(
    "path,cmd", list(_commands(main)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_and_a_readme_entry(path, cmd):
    assert cmd.help and len(cmd.help) > 20
    assert f"emm1 {' '.join(path)}" in README.read_text()
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.help, f"emm1 {' '.join(path)} {param.opts[0]} has no help text"


def test_table_output_shows_enum_columns_as_text(catalogs):
    out = run(
        "sql",
        "SELECT paired_modality, count(*) AS n FROM triplets GROUP BY 1 ORDER BY 1",
        "--db",
        catalogs["upstream"],
    ).stdout
    assert "enum(" not in out
    assert "paired_modality" in out and "│ audio " in out


def test_readme_lists_every_view_with_its_columns(plain):
    """The table under "What the catalog holds" is where users look up a view's columns."""
    section = README.read_text().split("## What the catalog holds\n")[1].split("\n## ")[0]
    listed = {}
    for m in re.finditer(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", section, re.M):
        listed[m[1]] = m[2]
    views = {
        name: [
            c
            for (c,) in plain.execute(
                f"SELECT column_name FROM duckdb_columns() "
                f"WHERE table_name = '{name}' ORDER BY column_index"
            ).fetchall()
        ]  # fmt: skip
        for (name,) in plain.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
        ).fetchall()
    }
    assert sorted(listed) == sorted(views)

    def columns(text: str) -> list[str]:
        base = re.fullmatch(r"(?:its columns|the `(\w+)` columns)(?:, (.+))?", text)
        if not base:
            return [c.strip() for c in text.strip("`").split(",")]
        of = base[1] or {"nn_groups_present": "nn_groups_resolved",
                         "triplets_present": "triplets_labeled"}[name]  # fmt: skip
        return views[of] + (columns(base[2]) if base[2] else [])

    for name, text in listed.items():
        assert columns(text) == views[name], name
