"""`emm1 serve` in a real browser: headless Chromium (Debian's, driven by Playwright) against the
real server on a sample with real media files (`emm1 sample --media`).

Screenshots of the main pages are written to .screenshots/ (git-ignored) during the run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from test_web_http import HOSTILE, Server, hostile_sample

from catalog.build import build_catalog

CHROMIUM = os.environ.get("EMM1_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / ".screenshots"
MODALITIES = ("image", "audio", "video", "points")

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no browser at {CHROMIUM}: `make browser` installs Debian's chromium (as root)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    hostile = hostile_sample(root / "data", captions=200, media=True)
    db = root / "emm1.duckdb"
    build_catalog(root / "data", db, asset_root=str(root / "data"))
    server = Server(db)
    yield {"server": server, "db": db, "hostile": hostile}
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records dialogs (alert, confirm) and script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)  # a busy machine: media and point clouds load slowly
    tab = context.new_page()
    tab.dialogs = []
    tab.errors = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def wait_for_each(locator, complete: bool | None = None, state: str | None = None) -> None:
    """Wait until every element has loaded (`complete`, for images) or its data-state matches
    `state`, through Playwright's own polling: a string of JavaScript evaluated in the page, as
    wait_for_function does once it polls, is refused by the page's CSP (no 'unsafe-eval')."""
    for i in range(locator.count()):
        if complete is not None:
            playwright.expect(locator.nth(i)).to_have_js_property("complete", complete)
        if state is not None:
            playwright.expect(locator.nth(i)).to_have_attribute(
                "data-state", re.compile(f"^({state})$")
            )


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def best_caption(server: Server, db: Path, need_video: bool) -> tuple[int, dict]:
    """A caption whose grid shows a file of every modality on disk and one not downloaded."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT encord_text_id FROM nn_groups ORDER BY 1").fetchall()
        ids = [r[0] for r in rows]
    wanted = set(MODALITIES) if need_video else {"image", "audio", "points"}
    for text_id in ids:
        data = server.json(f"/caption/e-mm1_100m/{text_id}")
        cells = [c for g in data["groups"] for c in g["cells"].values()]
        on_disk = {c["modality"] for c in cells if c["on_disk"]}
        if wanted <= on_disk and any(not c["on_disk"] for c in cells):
            return text_id, data
    raise AssertionError("no caption of the sample has every modality on disk")


def has_video(server: Server, db: Path) -> bool:
    with duckdb.connect(str(db), read_only=True) as con:
        folder, root = con.execute("SELECT video_folder, asset_root FROM path_settings").fetchone()
    return any(Path(root).glob(f"*/{folder}/*.mp4"))


def test_caption_page_previews_every_modality(site, page):
    server, db = site["server"], site["db"]
    video = has_video(server, db)
    text_id, data = best_caption(server, db, need_video=video)
    page.goto(f"{server.url}caption/e-mm1_100m/{text_id}")
    assert page.locator("table.grid tr.group").count() == 16
    wait_for_each(page.locator("img"), complete=True)
    widths = page.eval_on_selector_all("table.grid img", "els => els.map(e => e.naturalWidth)")
    assert widths and all(w > 0 for w in widths)

    players = "audio, video" if video else "audio"
    count = page.locator(f"table.grid :is({players})").count()
    assert count > 0
    for i in range(count):
        element = page.locator(f"table.grid :is({players})").nth(i)
        state = element.evaluate(
            """async el => {
                el.muted = true;
                el.preload = 'auto';
                el.load();
                await new Promise((ok, fail) => {
                    if (el.readyState >= 2) return ok();
                    el.addEventListener('loadeddata', ok, {once: true});
                    el.addEventListener('error', () => fail(new Error('media error ' +
                        (el.error && el.error.code))), {once: true});
                });
                const ready = el.readyState;
                const target = Math.min(0.25, el.duration / 2);
                await new Promise(ok => { el.addEventListener('seeked', ok, {once: true});
                                          el.currentTime = target; });
                return {ready, position: el.currentTime, asked: target, duration: el.duration};
            }"""
        )
        assert state["ready"] >= 2, state
        assert state["duration"] > 0, state
        assert state["position"] == pytest.approx(state["asked"], abs=0.05), state  # it seeked

    canvases = page.locator("table.grid canvas.pointcloud")
    assert canvases.count() > 0
    wait_for_each(canvases, state="ready|error")
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        assert canvas.get_attribute("data-state") == "ready"
        colours = canvas.evaluate(
            """c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const seen = new Set();
                for (let i = 0; i < d.length; i += 4) seen.add(d[i] << 16 | d[i+1] << 8 | d[i+2]);
                return seen.size;
            }"""
        )
        assert colours > 10  # points drawn in several colours, not a blank background

    missing = page.locator("table.grid .item.missing")
    assert missing.count() > 0
    first = missing.first
    assert first.locator(".state").inner_text() == "not downloaded"
    assert first.locator("dl.needs dt").count() > 0
    assert not page.errors and not page.dialogs
    shot(page, "caption")


def test_hostile_captions_do_not_run(site, page):
    server = site["server"]
    for text_id in site["hostile"]:
        page.goto(f"{server.url}caption/e-mm1_100m/{text_id}")
        page.wait_for_load_state("load")
        assert page.locator("blockquote.caption").inner_text() in HOSTILE
    page.goto(f"{server.url}search?q=dog+barks")
    page.wait_for_load_state("load")
    texts = page.locator("ol.captions .caption").all_inner_texts()
    assert set(HOSTILE) <= set(texts)
    page.goto(f"{server.url}search?q=%3Cscript%3E")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    shot(page, "search")


def test_sql_console_runs_a_query_and_refuses_files(site, page):
    server = site["server"]
    page.goto(f"{server.url}sql")
    page.fill(
        "form.sql textarea",
        "SELECT caption, image_file_path FROM nn_groups_resolved "
        "WHERE image_file_path IS NOT NULL ORDER BY 1 LIMIT 8",
    )
    page.click("form.sql button")
    page.wait_for_load_state("load")
    assert page.locator("table.result tbody tr").count() == 8
    assert "q=SELECT" in page.url  # the URL holds the query: it can be shared
    wait_for_each(page.locator("img"), complete=True)
    shot(page, "sql")
    page.fill("form.sql textarea", "SELECT * FROM read_csv('/etc/passwd')")
    page.keyboard.press("Control+Enter")  # app.js: Ctrl+Enter runs the query
    page.wait_for_load_state("load")
    message = page.locator("p.error").inner_text()
    assert "cannot read or write files" in message
    assert page.locator("table.result").count() == 0


def table_rows(page) -> tuple[list[str], list[list[str]]]:
    """The result table: column names and cell texts (a file cell: its path)."""
    columns = page.locator("table.result thead th").all_inner_texts()
    rows = page.eval_on_selector_all(
        "table.result tbody tr",
        """trs => trs.map(tr => Array.from(tr.children).map(td =>
            td.querySelector('.path') ? td.querySelector('.path').textContent : td.textContent))""",
    )
    return columns, rows


def test_modality_pair_form_returns_what_emm1_query_returns(site, page):
    server, db = site["server"], site["db"]
    page.goto(f"{server.url}templates/modality_pair")
    page.select_option("#p-modality_1", "audio")
    page.select_option("#p-modality_2", "points")
    page.select_option("#p-label", "Good Match")
    page.click("form.params button")
    page.wait_for_load_state("load")
    columns, rows = table_rows(page)
    shot(page, "template")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "catalog.cli",
            "query",
            "modality_pair",
            "-p",
            "modality_1",
            "audio",
            "-p",
            "modality_2",
            "points",
            "-p",
            "label",
            "Good Match",
            "--db",
            str(db),
            "--format",
            "json",
        ],
        capture_output=True,
        check=True,
    )
    expected = json.loads(out.stdout)
    assert expected and columns == list(expected[0])
    as_text = [["" if v is None else str(v) for v in r.values()] for r in expected]
    assert sorted(rows) == sorted(as_text)


def test_eshot_category_previews_audio_and_point_clouds(site, page):
    server = site["server"]
    for category in server.json("/eshot")["categories"]:
        data = server.json(f"/eshot/{quote(category['category'])}")
        samples = data["audio"] + data["points"]
        if {s["modality"] for s in samples if s["on_disk"]} == {"audio", "points"}:
            break
    else:
        raise AssertionError("no EShot category of the sample has audio and points on disk")
    page.goto(f"{server.url}eshot/{quote(category['category'])}")
    wait_for_each(page.locator("canvas.pointcloud"), state="ready")
    on_disk = [s for s in samples if s["on_disk"]]
    assert page.locator(".cards audio").count() == sum(s["modality"] == "audio" for s in on_disk)
    assert page.locator(".cards canvas").count() == sum(s["modality"] == "points" for s in on_disk)
    assert page.locator(".cards .item.missing").count() == len(samples) - len(on_disk)
    shot(page, "eshot")


def test_screenshots_of_the_main_pages(site, page):
    """The other pages, drawn for people to look at: each loads without a script error."""
    server, db = site["server"], site["db"]
    with duckdb.connect(str(db), read_only=True) as con:
        text_1m = con.execute("SELECT min(encord_text_id) FROM triplets").fetchone()[0]
    for name, path in (
        ("overview", ""),
        ("triplets", "triplets?pair=audio,points"),
        ("caption-1m", f"caption/e-mm1_1m/{text_1m}"),
        ("asset", "asset/e-mm1_100m/points/3"),
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("header.top nav a").count() == 6
        shot(page, name)
    page.goto(server.url)
    assert page.locator("svg.chart").count() >= 4  # sources per modality, labels, lengths
    assert page.locator("svg.chart rect").count() > 20
    assert not page.errors and not page.dialogs
