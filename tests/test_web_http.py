"""`emm1 serve` over HTTP: the real server in a subprocess, on a free port, against a catalog
built from a sample whose captions include hostile HTML."""

from __future__ import annotations

import csv
import html
import http.client
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import duckdb
import pyarrow.parquet
import pytest
from processes import install_copy

from catalog.build import build_catalog
from catalog.sample import generate_sample
from catalog.web.database import SLOTS

REPO = Path(__file__).resolve().parents[1]
# Captions from the web: each replaces a caption of the sample before the build.
HOSTILE = (
    "<script>window.__pwned = 1; alert(1)</script> a dog barks",
    '"><img src=x onerror=alert(1)> a dog barks',
    '\'><img src=x onerror="window.__pwned=1"> a dog barks',
)
TIME_LIMIT = 2  # seconds: the cross join below runs far longer


def hostile_sample(out: Path, captions: int = 200, media: bool = False) -> dict[int, str]:
    """A sample in `out` (with `emm1 sample --media` when `media`) whose first E-MM1:100M and
    E-MM1:1M captions are HOSTILE; returns {encord_text_id: caption} of the 100M ones."""
    if media:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "catalog.cli",
                "sample",
                str(out),
                "--captions",
                str(captions),
                "--media",
                "-q",
            ],
            check=True,
            capture_output=True,
        )
    else:
        generate_sample(out, captions=captions)
    changed = {}
    for part in ("e-mm1_100m", "e-mm1_1m"):
        path = out / part / "infos" / "text.csv"
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        column = rows[0].index("caption")
        for row, text in zip(rows[1:], HOSTILE, strict=False):
            row[column] = text
            if part == "e-mm1_100m":
                changed[int(row[0])] = text
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return changed


class Server:
    """`emm1 serve` in a subprocess; stopped with stop()."""

    def __init__(self, db: Path, *args: str, env: dict | None = None, cwd: Path | None = None):
        cmd = [sys.executable, "-m", "catalog.cli", "serve", "--db", str(db), "--port", "0"]
        if env is None:  # the user's own settings stay out
            env = {k: v for k, v in os.environ.items() if k not in ("ROOT_DATA_PATH", "EMM1_DB")}
        self.proc = subprocess.Popen(
            [*cmd, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.log: list[str] = []
        first = self.proc.stderr.readline()
        self.log.append(first)
        found = re.search(r"http://[^ ]+/", first)
        if not found:
            self.proc.kill()
            raise AssertionError(f"emm1 serve did not print its URL: {first}")
        self.url = found[0]
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        for _ in range(600):  # the overview is computed once at start
            if self.get("/")[0] == 200:
                break
            time.sleep(0.1)

    def request(self, method: str, path: str, headers: dict | None = None):
        """(status, headers, body) of one request."""
        con = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            con.request(method, path, headers=headers or {})
            response = con.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            con.close()

    def get(self, path: str, **headers):
        status, _, body = self.request("GET", path, headers)
        return status, body.decode("utf-8", "replace")

    def json(self, path: str):
        sep = "&" if "?" in path else "?"
        status, body = self.get(f"{path}{sep}format=json")
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    hostile = hostile_sample(root / "data")
    db = root / "emm1.duckdb"
    build_catalog(root / "data", db, asset_root=str(root / "data"))
    server = Server(db, "--time-limit", str(TIME_LIMIT))
    yield {"server": server, "db": db, "root": root, "hostile": hostile}
    server.stop()


@pytest.fixture(scope="module")
def server(site) -> Server:
    return site["server"]


def scalar(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def pages(db: Path) -> list[str]:
    """One URL of every page, with ids that exist in the catalog."""
    text_100m = scalar(db, "SELECT min(encord_text_id) FROM nn_groups")
    text_1m = scalar(db, "SELECT min(encord_text_id) FROM triplets")
    image = scalar(db, "SELECT min(encord_image_id) FROM infos_100m_image")
    category = scalar(db, "SELECT min(category) FROM eshot_categories")
    return [
        "/",
        "/search?q=dog",
        "/search?q=DOG&part=e-mm1_1m&page=1",
        f"/caption/e-mm1_100m/{text_100m}",
        f"/caption/e-mm1_1m/{text_1m}",
        "/triplets",
        "/triplets?pair=audio,points&label=Good+Match",
        f"/asset/e-mm1_100m/image/{image}",
        "/eshot",
        f"/eshot/{quote(category)}",
        "/templates",
        "/templates/groups",
        "/templates/groups?k=1..2&modalities=image,audio",
        "/sql",
        "/sql?q=" + quote("SELECT caption, image_file_path FROM nn_groups_resolved LIMIT 5"),
    ]


def test_every_page_answers_with_html_and_its_json_twin(server, site):
    for path in pages(site["db"]):
        status, headers, body = server.request("GET", path)
        assert status == 200, (path, body[:300])
        assert headers["content-type"].startswith("text/html"), path
        text = body.decode()
        for link in ("/search", "/triplets", "/eshot", "/templates", "/sql"):
            assert f'href="{link}"' in text, (path, link)  # the top navigation
        twin = html.unescape(re.search(r'<a class="json" href="([^"]+)"', text)[1])
        assert parse_qs(urlsplit(twin).query)["format"] == ["json"]
        status, headers, body = server.request("GET", twin)
        assert status == 200, (twin, body[:300])
        assert headers["content-type"].startswith("application/json"), twin
        assert isinstance(json.loads(body), dict)


def test_page_data_is_what_the_catalog_holds(server, site):
    db = site["db"]
    text_id = scalar(db, "SELECT min(encord_text_id) FROM nn_groups")
    page = server.json(f"/caption/e-mm1_100m/{text_id}")
    assert [g["k"] for g in page["groups"]] == list(range(1, 17))
    with duckdb.connect(str(db), read_only=True) as con:
        expected = con.execute(
            "SELECT nn_index, encord_image_id, encord_audio_id, encord_video_id, encord_points_id "
            "FROM nn_groups WHERE encord_text_id = ? ORDER BY nn_index",
            [text_id],
        ).fetchall()
    got = [
        (g["k"], *(g["cells"][m]["asset_id"] for m in ("image", "audio", "video", "points")))
        for g in page["groups"]
    ]
    assert got == expected
    home = server.json("/")
    assert home["catalog"]["nn_shards"] == list(range(1, 17))
    assert sum(b["captions"] for b in home["caption_lengths"]["bins"]) == scalar(
        db, "SELECT count(*) FROM captions"
    )
    found = server.json("/search?q=DOG&part=e-mm1_100m")
    assert found["rows"] and all("dog" in r["caption"].lower() for r in found["rows"])
    assert [r["encord_text_id"] for r in found["rows"]] == sorted(
        r["encord_text_id"] for r in found["rows"]
    )


def test_search_pages_follow_the_template_order_across_parts(server, site):
    with duckdb.connect(str(site["db"]), read_only=True) as con:
        expected = con.execute(
            "SELECT part::VARCHAR, encord_text_id FROM caption_search('a', max_rows := 1000)"
        ).fetchall()
    got, page = [], 1
    while True:
        data = server.json(f"/search?q=a&page={page}")
        got += [(r["part"], r["encord_text_id"]) for r in data["rows"]]
        if not data["more"]:
            break
        page += 1
    assert got == expected and page > 1


def test_a_search_that_finds_nothing_says_so(server):
    words = "no caption says this"
    data = server.json("/search?q=" + quote(words))
    assert data["rows"] == [] and data["more"] is False
    status, _, body = server.request("GET", "/search?q=" + quote(words))
    assert status == 200
    assert f"No caption contains “{words}”." in html.unescape(body.decode())


def test_a_1m_caption_page_shows_every_triplet_of_the_caption(server, site):
    with duckdb.connect(str(site["db"]), read_only=True) as con:
        text_id, count = con.execute(
            "SELECT encord_text_id, count(*) FROM triplets GROUP BY ALL "
            "ORDER BY count(*) DESC, encord_text_id LIMIT 1"
        ).fetchone()
        expected = con.execute(
            "SELECT paired_modality::VARCHAR, encord_paired_id, annotated_modality::VARCHAR, "
            "encord_annotated_id, annotation_label FROM caption_triplets(?)",
            [text_id],
        ).fetchall()
    page = server.json(f"/caption/e-mm1_1m/{text_id}")
    got = [
        (
            t["paired"]["modality"],
            t["paired"]["asset_id"],
            t["annotated"]["modality"],
            t["annotated"]["asset_id"],
            t["label"],
        )
        for t in page["triplets"]
    ]
    assert got == expected and len(got) == count > 1 and page["truncated"] is False


def test_a_wrong_host_header_gets_no_data(server):
    for host in ("evil.example", f"evil.example:{server.port}", f"127.0.0.1:{server.port + 1}"):
        status, _, body = server.request("GET", "/?format=json", {"Host": host})
        assert status == 400, host
        assert b"catalog" not in body and b"nn_shards" not in body
    assert server.request("GET", "/", {"Host": f"localhost:{server.port}"})[0] == 200


def test_only_get_and_head(server):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, _ = server.request(method, "/sql?q=SELECT+1")
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"
    status, headers, body = server.request("HEAD", "/")
    assert status == 200 and body == b"" and headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/caption/eshot/1",
        "/caption/e-mm1_100m/abc",
        "/caption/e-mm1_100m/999999999",
        "/caption/e-mm1_100m/99999999999999",
        "/asset/nope/image/1",
        "/asset/e-mm1_100m/text/1",
        "/asset/e-mm1_100m/image/2147483647",
        "/eshot/no such category",
        "/templates/nope",
        "/static/nope.js",
    ],
)
def test_unknown_pages_are_404_with_a_message(server, path):
    status, headers, body = server.request("GET", quote(path))
    assert status == 404, body[:200]
    text = body.decode()
    assert "Traceback" not in text and 'File "' not in text
    if not path.startswith("/static/"):
        assert headers["content-type"].startswith("text/html")
        assert 'class="error"' in text
        status, body = server.get(quote(path) + "?format=json")
        assert status == 404 and json.loads(body)["error"]


def test_bad_parameters_are_a_message_not_a_traceback(server):
    for path in (
        "/search?q=x&page=0",
        "/search?q=x&part=eshot",
        "/triplets?pair=audio",
        "/triplets?pair=audio,smell",
        "/templates/groups?k=99",
        "/?format=xml",
    ):
        status, body = server.get(path)
        assert status == 400, path
        assert 'class="error"' in body and "Traceback" not in body


def test_hostile_captions_are_text_in_html_and_json(server, site):
    for text_id, caption in site["hostile"].items():
        status, body = server.get(f"/caption/e-mm1_100m/{text_id}")
        assert status == 200
        assert "<script>window" not in body and "<img src=x" not in body
        escaped = caption.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = escaped.replace('"', "&#34;").replace("'", "&#39;")
        assert escaped in body
        raw = server.request("GET", f"/caption/e-mm1_100m/{text_id}?format=json")[2]
        assert b"<" not in raw and b">" not in raw
        assert json.loads(raw)["caption"] == caption
    status, body = server.get("/search?q=" + quote("<script>"))
    assert status == 200 and "&lt;script&gt;window" in body and "<script>window" not in body
    found = server.json("/search?q=" + quote("onerror"))
    assert {r["caption"] for r in found["rows"]} >= set(HOSTILE[1:])


def test_security_headers_on_every_response(server):
    for path in ("/", "/static/app.css", "/nope", "/sql?q=SELECT+1&format=json"):
        _, headers, _ = server.request("GET", path)
        csp = headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = server.request("GET", "/", {"Host": "evil.example"})
    assert status == 400 and "content-security-policy" in headers


def test_pages_have_no_inline_script_or_style(server, site):
    """The Content-Security-Policy would block them: every script is a file of the app."""
    for path in pages(site["db"]):
        body = server.get(path)[1]
        for tag in re.findall(r"<script[^>]*>", body):
            assert re.fullmatch(r'<script src="/static/[a-z]+\.js" defer>', tag), tag
        assert "</script>" in body and body.count("<script") == body.count("</script>")
        for tag in re.findall(r"<[a-zA-Z][^<>]*>", body):  # escaped text holds no <
            assert not re.search(r"\s(on[a-z]+|style)=", tag), (path, tag)


def test_sql_console_refuses_files_and_statements_with_a_message(server):
    status, body = server.get("/sql?q=" + quote("SELECT * FROM read_csv('/etc/passwd')"))
    assert status == 400
    assert "cannot read or write files" in body and "root:" not in body
    data = json.loads(server.get("/sql?format=json&q=" + quote("SELECT * FROM glob('/*')"))[1])
    assert "cannot read or write files" in data["error"]
    for q in ("ATTACH ':memory:' AS x", "SET threads = 1", "COPY nn_groups TO '/tmp/x.csv'"):
        status, body = server.get("/sql?q=" + quote(q))
        assert status == 400 and 'class="error"' in body, q
    status, body = server.get("/sql?q=" + quote("SELECT 6 * 7 AS answer"))
    assert status == 200 and "<td>42</td>" in body


def test_a_query_past_the_time_limit_is_stopped_and_the_server_keeps_answering(server, site):
    slow = "SELECT count(*) FROM range(100000000000) AS a, range(100000) AS b"
    answers: list = []
    worker = threading.Thread(
        target=lambda: answers.append(server.get("/sql?format=json&q=" + quote(slow)))
    )
    worker.start()
    during = [server.get(path)[0] for path in pages(site["db"])[:6]]
    worker.join(timeout=60)
    status, body = answers[0]
    assert status == 400
    assert f"stopped at the time limit of {TIME_LIMIT} s" in json.loads(body)["error"]
    assert during == [200] * 6
    assert server.get("/")[0] == 200
    assert server.proc.poll() is None


def test_twenty_clients_at_once(server, site):
    urls = pages(site["db"])[:10]
    results: list[int] = []

    def browse(offset: int) -> None:
        for i in range(5):
            results.append(server.get(urls[(offset + i) % len(urls)])[0])

    threads = [threading.Thread(target=browse, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * 100


def run_cli(*args) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "catalog.cli", *map(str, args)], capture_output=True, check=True
    )
    return out.stdout


def test_template_form_and_downloads_match_emm1_query(server, site):
    params = {"modality_1": "audio", "modality_2": "points", "label": "Good Match"}
    cli_args = [a for k, v in params.items() for a in ("-p", k, v)]
    expected = json.loads(
        run_cli("query", "modality_pair", *cli_args, "--db", site["db"], "--format", "json")
    )
    page = server.json(f"/templates/modality_pair?{urlencode(params)}")
    assert page["command"] == (
        "emm1 export modality_pair -p modality_1 audio -p modality_2 points "
        "-p label 'Good Match' --out modality_pair/"
    )
    result = page["result"]
    got = [dict(zip(result["columns"], r, strict=True)) for r in result["rows"]]
    assert sorted(map(repr, got)) == sorted(map(repr, expected)) and expected

    status, headers, body = server.request(
        "GET", f"/templates/modality_pair?{urlencode(params)}&format=csv"
    )
    assert status == 200 and headers["content-type"].startswith("text/csv")
    cli_csv = run_cli("query", "modality_pair", *cli_args, "--db", site["db"], "--format", "csv")
    web_rows, cli_rows = (list(csv.reader(io.StringIO(b.decode()))) for b in (body, cli_csv))
    assert web_rows[0] == cli_rows[0] and sorted(web_rows) == sorted(cli_rows)
    status, _, body = server.request(
        "GET", f"/templates/modality_pair?{urlencode(params)}&format=parquet"
    )
    table = pyarrow.parquet.read_table(io.BytesIO(body))
    assert table.num_rows == len(expected)
    status, _, body = server.request("GET", "/sql?format=parquet&q=" + quote("SELECT 1 AS one"))
    assert pyarrow.parquet.read_table(io.BytesIO(body)).to_pylist() == [{"one": 1}]


def write_image(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), (200, 40, 90)).save(path, "JPEG")


def test_root_flag_then_environment_then_setting(site, tmp_path):
    """Previews look under --root, else $ROOT_DATA_PATH, else the catalog's asset_root."""
    from PIL import Image

    db, data = site["db"], site["root"] / "data"
    with duckdb.connect(str(db), read_only=True) as con:
        image, save_folder, name = con.execute(
            "SELECT asset_id, save_folder, file_name FROM assets WHERE part = 'e-mm1_100m' "
            "AND modality = 'image' ORDER BY asset_id LIMIT 1"
        ).fetchone()
    flag, env_root = tmp_path / "flag", tmp_path / "env"
    write_image(flag / save_folder / "image" / name)
    env = {**os.environ, "ROOT_DATA_PATH": str(env_root)}
    page = f"/asset/e-mm1_100m/image/{image}"
    for args, environment, expected in (
        (["--root", str(flag)], env, flag),
        ([], env, env_root),
        ([], {k: v for k, v in os.environ.items() if k != "ROOT_DATA_PATH"}, data),
    ):
        one = Server(db, *args, env=environment)
        try:
            asset = one.json(page)["asset"]
            assert asset["file_path"] == str(expected / save_folder / "image" / name)
            assert asset["on_disk"] == (expected == flag)
            status, headers, body = one.request("GET", f"/media/e-mm1_100m/image/{image}?thumb=1")
            if expected == flag:
                assert status == 200 and headers["content-type"] == "image/jpeg"
                assert Image.open(io.BytesIO(body)).size == (40, 30)
            else:
                assert status == 404 and b"not downloaded" in body
        finally:
            one.stop()


def test_serve_errors_are_one_line(tmp_path, site):
    out = subprocess.run(
        [sys.executable, "-m", "catalog.cli", "serve", "--db", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr.startswith("Error: ") and out.stderr.count("\n") == 1
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "catalog.cli",
            "serve",
            "--db",
            str(site["db"]),
            "--host",
            "example.org",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "is not an IP address" in out.stderr


def test_the_installed_package_serves_its_pages_and_files(site, tmp_path):
    """A non-editable install carries the templates, static files and SQL of the app."""
    target = tmp_path / "site"
    env = install_copy(REPO, target)
    one = Server(site["db"], env=env, cwd=tmp_path)
    try:
        status, body = one.get("/templates/asset")
        assert status == 200 and "One asset and where it appears" in body
        for path in ("/static/app.css", "/static/app.js", "/static/pointcloud.js"):
            assert one.get(path)[0] == 200, path
        assert one.json("/")["catalog"]["nn_shards"]
    finally:
        one.stop()
    assert (target / "catalog" / "web" / "templates" / "base.html").is_file()


def test_queries_of_a_browser_that_went_away_are_stopped(site):
    """Every query slot taken by a slow query whose client then left: the queries are stopped,
    so the next page gets a slot at once (without that, it would wait the whole time limit for
    one and be told the explorer is busy)."""
    one = Server(site["db"], "--time-limit", "120")
    try:
        slow = "/sql?q=" + quote(
            "SELECT count(*) FROM range(100000000000) AS a, range(100000) AS b"
        )
        for _ in range(SLOTS):  # every query slot of the explorer
            con = http.client.HTTPConnection(one.host, one.port, timeout=0.5)
            con.request("GET", slow)
            with pytest.raises(TimeoutError):
                con.getresponse()
            con.close()
        status, body = one.get("/search?q=dog")
        assert status == 200, body[:300]
    finally:
        one.stop()


def test_every_template_has_a_form_field_per_parameter(server):
    """Forms are built from the declared parameters: each is a field of the right kind."""
    from catalog.templates import templates

    for t in templates().values():
        status, body = server.get(f"/templates/{t.name}")
        assert status == 200, t.name
        for p in t.params:
            field = re.search(rf'<(input|select)[^>]*\sname="{p.name}"[^>]*>', body)
            assert field, (t.name, p.name)
            kind = "select" if p.type in ("choice", "flag") else "input"
            assert field[1] == kind, (t.name, p.name, field[0])
