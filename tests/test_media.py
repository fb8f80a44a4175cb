"""`emm1 sample --media` and the /media routes of `emm1 serve`, through real processes: the
sample and the catalog are made by the `emm1` command, and the routes answer HTTP from a real
uvicorn server."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import duckdb
import numpy as np
import pytest
from PIL import Image

from catalog.sample_media import CLIP_LENGTH

MEDIA_SUFFIXES = {".jpg", ".wav", ".npy", ".mp4"}
# Every file `emm1 sample OUT --captions 40 --seed 5 --layout L` wrote before --media existed:
# sha256 of the sorted "relative/path sha256" lines, and the number of files.
PLAIN_SAMPLE = {
    "upstream": ("3620bf4a3d79a795475f2af6906c0f9c3df083772743ff7c2f7d63ff6cec76fd", 32),
    "legacy": ("4ba9ff3649a49996628380b9868b158cf1f30682a87baa37fce1a2388774e872", 32),
}
FFPROBE = ["ffprobe", "-v", "error", "-of", "json", "-show_entries", "format=duration"]
FFPROBE += ["-show_entries", "stream=codec_type,codec_name"]
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg/ffprobe not on PATH (Debian package ffmpeg; `make ffmpeg` installs it as root)",
)


def emm1(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "catalog.cli", *args], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    return result


def tree_digest(root: Path) -> tuple[str, int]:
    """A digest of every file but the media files, and their number."""
    lines = sorted(
        f"{p.relative_to(root).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}"
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in MEDIA_SUFFIXES
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), len(lines)


def media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in MEDIA_SUFFIXES)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict:
    """A --media sample, its catalog (asset root = the sample) and a files scan of it."""
    root = tmp_path_factory.mktemp("media")
    data, db = root / "data", root / "emm1.duckdb"
    sample = emm1("sample", str(data), "--captions", "40", "--seed", "5", "--media")
    emm1("build", str(data), "--db", str(db), "--asset-root", str(data), "-q")
    emm1("files", "scan", "--db", str(db), "-q")
    return {"data": data, "db": db, "stderr": sample.stderr, "files": media_files(data)}


def test_plain_sample_is_unchanged(tmp_path, media):
    for layout, expected in PLAIN_SAMPLE.items():
        out = tmp_path / layout
        emm1("sample", str(out), "--captions", "40", "--seed", "5", "--layout", layout, "-q")
        assert tree_digest(out) == expected, f"{layout} sample changed"
        assert media_files(out) == []
    assert tree_digest(media["data"]) == PLAIN_SAMPLE["upstream"]  # --media adds files only


def test_media_files_are_counted(media):
    """The command says how many files it wrote per modality: the files in those folders."""
    counts = {m: 0 for m in ("image", "audio", "video", "points")}
    for path in media["files"]:
        counts[path.parent.name] += 1  # <save_folder>/<modality>/<file_name>
    said = ", ".join(f"{n} {m}" for m, n in counts.items())
    assert (
        f"wrote media files for about one asset in three under {media['data']}: {said}"
        in (media["stderr"])
    )


def test_media_files_decode(media):
    by_suffix = {s: [p for p in media["files"] if p.suffix == s] for s in MEDIA_SUFFIXES}
    assert len(by_suffix[".jpg"]) >= 10 and len(by_suffix[".npy"]) >= 10
    assert len(by_suffix[".wav"]) >= 5  # EShot audio
    sizes = set()
    for path in by_suffix[".jpg"]:
        with Image.open(path) as image:
            image.load()
            assert image.format == "JPEG" and 64 <= min(image.size) <= max(image.size) <= 160
            sizes.add(image.size)
            assert (
                len(np.unique(np.asarray(image).reshape(-1, 3), axis=0)) > 50
            )  # a gradient and a shape, not a flat colour
    assert len(sizes) > 3  # sizes vary by id
    for path in by_suffix[".wav"]:
        with wave.open(str(path)) as f:
            assert f.getnchannels() == 1 and f.getsampwidth() == 2
            assert 0.2 < f.getnframes() / f.getframerate() < 2
    shapes = set()
    for path in by_suffix[".npy"]:
        points = np.load(path, allow_pickle=False)
        assert points.dtype == np.float32 and points.shape[1] in (3, 6)
        assert 1000 <= points.shape[0] <= 5000 and np.isfinite(points).all()
        shapes.add(points.shape[1])
    assert shapes == {3, 6}


def assert_found_where_written(data: Path, db: Path) -> None:
    """Every media file under `data` is the file_path of an asset, and a scan found exactly
    those: presence counts per part and modality equal the files written."""
    written = [str(p) for p in media_files(data)]
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(
            "CREATE TEMP TABLE written AS SELECT unnest($w::VARCHAR[]) AS path", {"w": written}
        )
        resolved = con.execute(
            "SELECT count(DISTINCT file_path) FROM assets WHERE file_path IN (FROM written)"
        ).fetchone()[0]
        present = con.execute(
            "SELECT part, modality, count(*) FROM assets_present GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        expected = con.execute(
            "SELECT part, modality, count(*) FROM assets "
            "WHERE file_path IN (FROM written) GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        present_paths = {
            p for (p,) in con.execute("SELECT file_path FROM assets_present").fetchall()
        }
    assert resolved == len(written)  # no file outside the catalog's paths
    assert present == expected
    assert present_paths == set(written)
    assert {p for p, _, _ in present} == {"e-mm1_100m", "e-mm1_1m", "eshot"}
    assert {m for _, m, _ in present} >= {"image", "audio", "points"}


def test_media_files_are_where_the_catalog_looks(media):
    assert_found_where_written(media["data"], media["db"])


def test_legacy_layout_media_is_where_the_catalog_looks(tmp_path):
    data, db = tmp_path / "data", tmp_path / "emm1.duckdb"
    emm1("sample", str(data), "--captions", "20", "--layout", "legacy", "--media", "-q")
    emm1("build", str(data), "--db", str(db), "-q")  # the asset root defaults to the data folder
    emm1("files", "scan", "--db", str(db), "-q")
    assert (data / "encord_phase_1_dataset").is_dir()
    assert_found_where_written(data, db)


@needs_ffmpeg
def test_mp4_files_decode(media):
    mp4 = [p for p in media["files"] if p.suffix == ".mp4"]
    kinds = {"audio": 0, "video": 0}
    for path in mp4:
        probe = subprocess.run([*FFPROBE, str(path)], capture_output=True, text=True, check=True)
        info = json.loads(probe.stdout)
        streams = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
        modality = path.parent.name  # <save_folder>/<modality>/<file_name>
        assert streams == ({"video": "h264"} if modality == "video" else {"audio": "aac"}), path
        clip = float(info["format"]["duration"])  # media length, from the file's header
        assert round(clip) == CLIP_LENGTH[modality], path
        kinds[modality] += 1
    assert kinds["audio"] >= 5 and 5 <= kinds["video"] <= 40


def test_without_ffmpeg_mp4_is_skipped_and_said(media, tmp_path):
    """The same arguments without ffmpeg: the same files, less the MP4 ones, and a message."""
    out = tmp_path / "data"
    env = {**os.environ, "PATH": str(tmp_path / "empty")}  # no ffmpeg on PATH
    result = emm1("sample", str(out), "--captions", "40", "--seed", "5", "--media", env=env)
    assert "ffmpeg is missing" in result.stderr and "video previews are skipped" in result.stderr
    files = {p.relative_to(out): p.read_bytes() for p in media_files(out)}
    expected = {
        p.relative_to(media["data"]): p.read_bytes() for p in media["files"] if p.suffix != ".mp4"
    }
    assert {p.suffix for p in files} == {".jpg", ".wav", ".npy"}
    assert files == expected  # the same bytes for the same arguments


# --- the /media routes ---------------------------------------------------------------------

SERVER = """
import json, sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from catalog.web.media import media_routes


# The catalog's resolver: (part, modality, id) -> absolute path, or None when unknown. Asked
# what a checked request cannot hold, it answers /etc/passwd, as a resolver that trusted its
# input might.
class StandIn:

    def __init__(self, table):
        self.table = table

    def path(self, part, modality, asset_id):
        if (
            part not in ("e-mm1_100m", "e-mm1_1m", "eshot")
            or modality not in ("image", "audio", "video", "points")
            or type(asset_id) is not int
            or not 0 <= asset_id < 2**31
        ):
            return Path("/etc/passwd")
        found = self.table.get(f"{part}/{modality}/{asset_id}")
        return None if found is None else Path(found)


table = json.loads(Path(sys.argv[1]).read_text())
app = Starlette(routes=media_routes(StandIn(table)))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
CRAFTED = 990_000  # ids of the files below, beyond the sample's


def crafted_files(folder: Path) -> dict[str, Path]:
    """Files a user's folder may hold, good and bad, keyed by 'modality/name'."""
    folder.mkdir()
    files = {}

    def add(key: str, name: str) -> Path:
        files[key] = folder / name
        return files[key]

    big = np.linspace(0, 255, 1200 * 700 * 3).reshape(700, 1200, 3).astype(np.uint8)
    Image.fromarray(big).save(add("image/big", "big.jpg"))
    add("image/page", "evil.html").write_text("<script>alert(1)</script>")
    add("image/broken", "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    rng = np.random.default_rng(1)
    np.save(add("points/many", "many.npy"), rng.random((50_000, 6)).astype(np.float32))
    np.save(
        add("points/pickled", "pickled.npy"),
        np.array([{"xyz": 1}], dtype=object),
        allow_pickle=True,
    )
    np.save(add("points/wide", "wide.npy"), rng.random((100, 4)))
    add("points/garbage", "garbage.npy").write_bytes(b"\x93NUMPY garbage" * 20)
    truncated = add("points/truncated", "truncated.npy")
    np.save(truncated, rng.random((1000, 3)))
    truncated.write_bytes(truncated.read_bytes()[:2000])
    with open(add("points/huge", "huge.npy"), "wb") as f:
        f.truncate(300 * 2**20)  # sparse: a 300 MiB file that takes no room
    header = (
        "ply\nformat {}\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
    )
    header += "property uchar red\nproperty uchar green\nproperty uchar blue\n"
    header += "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
    xyz = [(0, 0, 0), (2, 0, 0), (0, 2, 0), (0, 0, 2)]
    ascii_rows = "".join(f"{x} {y} {z} 255 0 0\n" for x, y, z in xyz) + "3 0 1 2\n"
    add("points/ascii", "ascii.ply").write_text(header.format("ascii 1.0") + ascii_rows)
    rows = np.array(
        [(*p, 0, 255, 0) for p in xyz],
        dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("r", "u1"), ("g", "u1"), ("b", "u1")],
    )
    add("points/binary", "binary.ply").write_bytes(
        header.format("binary_little_endian 1.0").encode() + rows.tobytes() + b"\x03" + bytes(12)
    )
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(media, tmp_path_factory):
    """The media routes in a minimal app, served by uvicorn in a subprocess."""
    root = tmp_path_factory.mktemp("server")
    with duckdb.connect(str(media["db"]), read_only=True) as con:
        rows = con.execute("SELECT part, modality, asset_id, file_path FROM assets").fetchall()
    table = {f"{p}/{m}/{i}": path for p, m, i, path in rows if path is not None}
    crafted = crafted_files(root / "crafted")
    ids = {}
    for n, (key, path) in enumerate(crafted.items()):
        ids[key] = CRAFTED + n
        table[f"e-mm1_100m/{key.split('/')[0]}/{CRAFTED + n}"] = str(path)
    (root / "table.json").write_text(json.dumps(table))
    (root / "server.py").write_text(SERVER)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(root / "server.py"), str(root / "table.json"), str(port)]
    )
    wait_for_port(port, process)
    yield {"port": port, "ids": ids, "files": crafted}
    process.terminate()
    process.wait(timeout=30)


def get(server, target: str, method: str = "GET", headers: dict | None = None):
    """One request with `target` sent exactly as given (no client-side normalisation)."""
    con = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    con.putrequest(method, target, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        con.putheader(name, value)
    con.endheaders()
    response = con.getresponse()
    body = response.read()
    con.close()
    return response, body


def one_present(db: Path, modality: str, suffix: str) -> tuple[str, int, Path]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT part, asset_id, file_path FROM assets_present "
            "WHERE modality = $m AND file_path LIKE '%' || $s ORDER BY ALL LIMIT 1",
            {"m": modality, "s": suffix},
        ).fetchone()


@pytest.mark.parametrize(
    "modality, suffix, content_type",
    [
        ("image", ".jpg", "image/jpeg"),
        ("audio", ".wav", "audio/wav"),
        ("points", ".npy", "application/octet-stream"),
        pytest.param("audio", ".mp4", "audio/mp4", marks=needs_ffmpeg),
        pytest.param("video", ".mp4", "video/mp4", marks=needs_ffmpeg),
    ],
)
def test_full_get(server, media, modality, suffix, content_type):
    part, asset_id, path = one_present(media["db"], modality, suffix)
    data = Path(path).read_bytes()
    response, body = get(server, f"/media/{part}/{modality}/{asset_id}")
    assert response.status == 200 and body == data
    assert response.getheader("Content-Type").split(";")[0] == content_type
    assert response.getheader("Content-Length") == str(len(data))
    assert response.getheader("Accept-Ranges") == "bytes"
    head, head_body = get(server, f"/media/{part}/{modality}/{asset_id}", method="HEAD")
    assert (
        head.status == 200
        and head_body == b""
        and head.getheader("Content-Length") == str(len(data))
    )


@pytest.mark.parametrize("modality, suffix", [("audio", ".wav"), ("image", ".jpg")])
def test_range_requests(server, media, modality, suffix):
    part, asset_id, path = one_present(media["db"], modality, suffix)
    data, url = Path(path).read_bytes(), f"/media/{part}/{modality}/{asset_id}"
    n = len(data)
    for spec, start, end in [
        ("0-9", 0, 10),
        ("10-", 10, n),
        ("-5", n - 5, n),
        (f"{n - 1}-", n - 1, n),
    ]:
        response, body = get(server, url, headers={"Range": f"bytes={spec}"})
        assert response.status == 206, spec
        assert body == data[start:end], spec
        assert response.getheader("Content-Range") == f"bytes {start}-{end - 1}/{n}", spec
        assert response.getheader("Content-Length") == str(end - start)
    for spec in (f"{n}-", f"{n + 100}-{n + 200}"):
        response, body = get(server, url, headers={"Range": f"bytes={spec}"})
        assert response.status == 416, spec
        assert response.getheader("Content-Range") == f"bytes */{n}"


@pytest.mark.parametrize(
    "target",
    [
        "/media/e-mm1_100m/image/..%2f..%2f..%2fetc%2fpasswd",
        "/media/e-mm1_100m/image/..%2F..%2Fetc%2Fpasswd",
        "/media/e-mm1_100m/image/%2e%2e",
        "/media/e-mm1_100m/image/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media/e-mm1_100m/image/../../../etc/passwd",
        "/media/../../../etc/passwd",
        "/media/e-mm1_100m/image//etc/passwd",
        "/media/e-mm1_100m/image/%2fetc%2fpasswd",
        "/media/e-mm1_100m/%2e%2e/1",
        "/media/%2e%2e/image/1",
        "/media/%2Fetc/image/1",
        "/media/e-mm1_100m/image/abc",
        "/media/e-mm1_100m/image/-1",
        "/media/e-mm1_100m/image/+1",
        "/media/e-mm1_100m/image/%201",
        "/media/e-mm1_100m/image/1%20",
        "/media/e-mm1_100m/image/1.0",
        "/media/e-mm1_100m/image/1e3",
        "/media/e-mm1_100m/image/0x10",
        "/media/e-mm1_100m/image/%D9%A1",  # an Arabic-Indic digit one
        "/media/e-mm1_100m/image/99999999999999999999999",
        "/media/e-mm1_100m/image/2147483648",
        "/media/e-mm1_100m/image/1%00",
        "/media/E-MM1_100M/image/1",
        "/media/e-mm1_100m/text/1",
        "/media/e-mm1_100m/IMAGE/1",
        "/media/nn_1/image/1",
        "/media/e-mm1_100m%00/image/1",
    ],
)
def test_refused_requests(server, target):
    response, body = get(server, target)
    assert response.status in (400, 404), target
    assert b"root:" not in body and b"<script" not in body


def test_unknown_and_not_downloaded(server, media):
    with duckdb.connect(str(media["db"]), read_only=True) as con:
        part, modality, asset_id = con.execute(
            "SELECT part, modality, asset_id FROM assets_missing ORDER BY ALL LIMIT 1"
        ).fetchone()
    response, body = get(server, f"/media/{part}/{modality}/{asset_id}")
    assert response.status == 404
    assert json.loads(body)["error"].startswith("not downloaded")
    response, body = get(server, "/media/e-mm1_100m/image/123456789")
    assert response.status == 404 and "not in the catalog" in json.loads(body)["error"]


def test_other_files_are_never_served_as_pages(server):
    response, body = get(server, f"/media/e-mm1_100m/image/{server['ids']['image/page']}")
    assert response.status == 200 and body.startswith(b"<script>")
    assert response.getheader("Content-Type") == "application/octet-stream"


def test_thumbnails(server, media):
    response, body = get(server, f"/media/e-mm1_100m/image/{server['ids']['image/big']}?thumb=1")
    assert response.status == 200 and response.getheader("Content-Type") == "image/jpeg"
    with Image.open(io.BytesIO(body)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (256, 149)
    part, asset_id, path = one_present(media["db"], "image", ".jpg")
    response, body = get(server, f"/media/{part}/image/{asset_id}?thumb=1")
    with Image.open(io.BytesIO(body)) as thumb, Image.open(path) as original:
        assert thumb.format == "JPEG" and thumb.size == original.size  # never enlarged
    response, body = get(server, f"/media/e-mm1_100m/image/{server['ids']['image/broken']}?thumb=1")
    assert response.status == 422 and "not an image" in json.loads(body)["error"]
    part, asset_id, _ = one_present(media["db"], "audio", ".wav")
    response, body = get(server, f"/media/{part}/audio/{asset_id}?thumb=1")
    assert response.status == 400 and "for images" in json.loads(body)["error"]


def cloud(server, target: str) -> tuple[int, dict]:
    response, body = get(server, target)
    assert response.getheader("Content-Type") == "application/json"
    return response.status, json.loads(body)


def test_point_clouds(server, media):
    part, asset_id, path = one_present(media["db"], "points", ".npy")
    original = np.load(path)
    status, data = cloud(server, f"/media/{part}/points/{asset_id}?points=1")
    assert status == 200 and len(data["points"]) == len(original) == data["total"]
    assert (data["colors"] is None) == (original.shape[1] == 3)
    radii = np.linalg.norm(np.array(data["points"]), axis=1)
    assert radii.max() == pytest.approx(1, abs=1e-3)  # centred, scaled into the unit sphere

    status, data = cloud(
        server, f"/media/e-mm1_100m/points/{server['ids']['points/many']}?points=1"
    )
    assert status == 200 and len(data["points"]) == len(data["colors"]) == 5000
    assert data["total"] == 50_000
    assert all(0 <= c <= 255 for rgb in data["colors"][:100] for c in rgb)

    for kind, color in (("ascii", [255, 0, 0]), ("binary", [0, 255, 0])):
        status, data = cloud(
            server, f"/media/e-mm1_100m/points/{server['ids']['points/' + kind]}?points=1"
        )
        assert status == 200 and len(data["points"]) == 4, kind
        assert data["colors"] == [color] * 4
        assert max(np.linalg.norm(np.array(data["points"]), axis=1)) == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("pickled", "pickle"),
        ("wide", "shape (100, 4)"),
        ("garbage", "not a .npy file"),
        ("truncated", "truncated"),
        ("huge", "up to 256 MiB"),
    ],
)
def test_bad_point_clouds_are_refused(server, kind, message):
    status, data = cloud(
        server, f"/media/e-mm1_100m/points/{server['ids']['points/' + kind]}?points=1"
    )
    assert status == 422 and message in data["error"]
    assert "Traceback" not in data["error"]


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):  # up to 30 s for the server to listen
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, "the server exited"
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def test_through_emm1_serve(media):
    """The routes as `emm1 serve` mounts them, with the catalog's own resolver."""
    port = free_port()
    command = ["serve", "--db", str(media["db"]), "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "catalog.cli", *command], stderr=subprocess.DEVNULL
    )
    served = {"port": port}
    try:
        wait_for_port(port, process)
        part, asset_id, path = one_present(media["db"], "audio", ".wav")
        data = Path(path).read_bytes()
        response, body = get(served, f"/media/{part}/audio/{asset_id}")
        assert response.status == 200 and body == data
        assert response.getheader("Content-Type") == "audio/wav"
        response, body = get(
            served, f"/media/{part}/audio/{asset_id}", headers={"Range": "bytes=-5"}
        )
        assert response.status == 206 and body == data[-5:]
        part, asset_id, _ = one_present(media["db"], "image", ".jpg")
        response, body = get(served, f"/media/{part}/image/{asset_id}?thumb=1")
        assert response.status == 200 and Image.open(io.BytesIO(body)).format == "JPEG"
        part, asset_id, _ = one_present(media["db"], "points", ".npy")
        response, body = get(served, f"/media/{part}/points/{asset_id}?points=1")
        assert response.status == 200 and len(json.loads(body)["points"]) > 1000
        with duckdb.connect(str(media["db"]), read_only=True) as con:
            missing = con.execute(
                "SELECT part, modality, asset_id FROM assets_missing ORDER BY ALL LIMIT 1"
            ).fetchone()
        response, body = get(served, "/media/{}/{}/{}".format(*missing))
        assert response.status == 404 and b"not downloaded" in body
        response, body = get(served, "/media/e-mm1_100m/image/..%2f..%2fetc%2fpasswd")
        assert response.status == 404 and b"root:" not in body
    finally:
        process.terminate()
        process.wait(timeout=30)
