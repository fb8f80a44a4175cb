"""`emm1 sample --media`: small real media files for part of a sample's assets.

About one asset in three of each part and modality (chosen by id and seed) gets a file, at the
path the catalog resolves with the default layout: <out>/<save_folder>/<modality>/<file_name>.
So previews and "not downloaded" states sit side by side. Each file's extension is the one the
sample's infos name: JPEG images (Pillow), WAV audio (EShot), NPY point clouds (numpy arrays of
shape (N, 3) xyz or (N, 6) xyzrgb), and MP4 video and MP4 audio (E-MM1 stores audio as .mp4)
when ffmpeg is on PATH. What a file holds depends only on its modality and id, so an asset two
parts share gets the same bytes, and the same arguments always write the same files.
"""

from __future__ import annotations

import colorsys
import shutil
import subprocess
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
from PIL import Image, ImageDraw

from catalog.config import LAYOUT_DEFAULTS
from catalog.discover import ASSET_MODALITIES
from catalog.errors import CatalogError
from catalog.progress import Progress
from catalog.sample import LAYOUTS
from catalog.sqltext import resource_text

MAX_FILES = 400  # per part and modality, so that large samples stay quick
MAX_MP4_FILES = 20  # per part and modality: at most 40 MP4 videos and 40 MP4 audio clips
FFMPEG_BATCH = 20  # files per ffmpeg run (one run writes many small files)
CLIP_LENGTH = {"video": 2, "audio": 1}  # seconds of media in an MP4 file of each modality
AUDIO_RATE = 16_000  # WAV sample rate (Hz)
VIDEO_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "6", "-pix_fmt", "yuv420p"]
AUDIO_CODEC = ["-c:a", "aac", "-b:a", "32k"]
MP4_OUTPUT = ["-movflags", "+faststart", "-fflags", "+bitexact", "-map_metadata", "-1"]


@dataclass
class MediaReport:
    written: Counter[str] = field(default_factory=Counter)  # files per modality
    skipped_mp4: int = 0  # MP4 files not written because ffmpeg is missing

    def describe(self, out: Path) -> str:
        counts = ", ".join(f"{self.written[m]:,} {m}" for m in ASSET_MODALITIES)
        text = f"wrote media files for about one asset in three under {out}: {counts}"
        if self.skipped_mp4:
            text += (
                f"\nffmpeg is missing, so video previews are skipped: {self.skipped_mp4:,} MP4 "
                "files (video, and audio stored as .mp4) were not written; install ffmpeg "
                "(Debian: apt-get install ffmpeg) and write the sample again"
            )
        return text


def write_media(
    out: str | Path, layout: str = "upstream", seed: int = 0, progress: Progress | None = None
) -> MediaReport:
    """Write media files for the sample `emm1 sample` wrote into `out` with `layout` and `seed`."""
    out = Path(out)
    progress = progress or Progress(enabled=False)
    ffmpeg = shutil.which("ffmpeg")
    report, done = MediaReport(), set()
    with duckdb.connect() as con:
        con.execute(resource_text("catalog", "sample/macros.sql"))
        for modality, infos in _infos_files(out, layout):
            progress.start(f"writing {modality} files for {infos}")
            targets = [t for t in _targets(con, out, modality, infos, seed) if t[1] not in done]
            files = [t for t in targets if t[1].suffix in WRITERS]
            mp4 = [t for t in targets if t[1].suffix == ".mp4"][:MAX_MP4_FILES]
            for asset_id, path in files:
                path.parent.mkdir(parents=True, exist_ok=True)
                WRITERS[path.suffix](path, asset_id)
            if ffmpeg and mp4:
                _write_mp4(ffmpeg, modality, mp4)
                files += mp4
            else:
                report.skipped_mp4 += len(mp4)
            done.update(path for _, path in files)  # a file two parts share is written once
            report.written[modality] += len(files)
            progress.done(f"{len(files):,} files")
    return report


def _infos_files(out: Path, layout: str) -> list[tuple[str, Path]]:
    """(modality, infos CSV) of every part, as `emm1 sample` writes them."""
    folders = {part: out / name for part, name in LAYOUTS[layout].items()}
    files = [
        (m, folders[part] / "infos" / f"{m}.csv")
        for part in ("e-mm1_100m", "e-mm1_1m")
        for m in ASSET_MODALITIES
    ]
    files += [
        ("audio", folders["eshot"] / "eshot_audio_info.csv"),
        ("points", folders["eshot"] / "eshot_points_info.csv"),
    ]
    missing = [str(f) for _, f in files if not f.is_file()]
    if missing:
        raise CatalogError(f"{missing[0]} is missing: write the sample before its media files.")
    return files


def _targets(
    con: duckdb.DuckDBPyConnection, out: Path, modality: str, infos: Path, seed: int
) -> list[tuple[int, Path]]:
    """(asset id, file path) of the assets of one infos file that get a file."""
    query = resource_text("catalog", "sample/media_items.sql")
    rows = con.execute(query, {"path": str(infos), "seed": seed, "limit": MAX_FILES}).fetchall()
    folder = LAYOUT_DEFAULTS[f"layout.{modality}"]
    return [(asset_id, out / save / folder / name) for asset_id, save, name in rows]


def _rgb(asset_id: int, turn: float = 0.0) -> np.ndarray:
    """A saturated colour whose hue follows the id (turn: a shift of the hue, in turns)."""
    return np.array(colorsys.hsv_to_rgb((asset_id * 0.137 + turn) % 1.0, 0.75, 0.95)) * 255


def _jpeg(path: Path, asset_id: int) -> None:
    """A 64-160 px gradient with a white shape and the id, all varying by id."""
    w, h = 64 + asset_id * 37 % 97, 64 + asset_id * 53 % 97
    y, x = np.mgrid[0:h, 0:w]
    t = ((x / (w - 1) + y / (h - 1)) / 2)[..., None]
    pixels = _rgb(asset_id) * (1 - t) + _rgb(asset_id, 0.5) * t
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    box = (w // 4, h // 4, 3 * w // 4, 3 * h // 4)
    if asset_id % 3 == 0:
        draw.ellipse(box, fill="white")
    elif asset_id % 3 == 1:
        draw.rectangle(box, fill="white")
    else:
        draw.polygon([(w // 2, h // 4), (3 * w // 4, 3 * h // 4), (w // 4, 3 * h // 4)], "white")
    draw.text((3, 2), str(asset_id), fill="black")
    image.save(path, "JPEG", quality=85)


def _tone(asset_id: int) -> int:
    """The frequency (Hz) of an asset's tone: 220-879 Hz."""
    return 220 + asset_id * 67 % 660


def _wav(path: Path, asset_id: int) -> None:
    """A 0.4 s mono 16-bit tone with 20 ms fades."""
    t = np.arange(int(AUDIO_RATE * 0.4)) / AUDIO_RATE
    envelope = np.clip(np.minimum(t, t[-1] - t) / 0.02, 0, 1)
    samples = 0.5 * 32767 * envelope * np.sin(2 * np.pi * _tone(asset_id) * t)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(AUDIO_RATE)
        f.writeframes(samples.astype("<i2").tobytes())


def _sphere(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    theta, phi = 2 * np.pi * u, np.arccos(2 * v - 1)
    return np.stack([np.sin(phi) * np.cos(theta), np.sin(phi) * np.sin(theta), np.cos(phi)], 1)


def _torus(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    theta, phi = 2 * np.pi * u, 2 * np.pi * v
    ring = 1 + 0.35 * np.cos(phi)
    return np.stack([ring * np.cos(theta), ring * np.sin(theta), 0.35 * np.sin(phi)], 1)


def _cube(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The surface of a cube: u picks one of 6 faces, (u * 6 % 1, v) a point on it."""
    face = (u * 6).astype(int)
    points = np.stack([(u * 6) % 1 * 2 - 1, v * 2 - 1, np.where(face < 3, 1.0, -1.0)], 1)
    columns = (np.arange(3)[None, :] - (face % 3)[:, None]) % 3  # each face on its own axis
    return np.take_along_axis(points, columns, axis=1)


def _helix(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    t = 6 * np.pi * u
    radius = 0.8 + 0.1 * np.cos(2 * np.pi * v)
    return np.stack(
        [radius * np.cos(t), radius * np.sin(t), u * 2 - 1 + 0.1 * np.sin(2 * np.pi * v)], 1
    )


def _cone(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    theta, radius = 2 * np.pi * u, 1 - v
    return np.stack([radius * np.cos(theta), radius * np.sin(theta), v * 2 - 1], 1)


SHAPES = [_sphere, _torus, _cube, _helix, _cone]


def _npy(path: Path, asset_id: int) -> None:
    """2,048-4,095 points of a shape chosen by id; even ids carry rgb (0-1) by position."""
    rng = np.random.default_rng(asset_id)
    u, v = rng.random((2, 2048 + asset_id * 131 % 2048))
    xyz = SHAPES[asset_id % len(SHAPES)](u, v)
    if asset_id % 2 == 0:
        rgb = (xyz - xyz.min(0)) / np.maximum(np.ptp(xyz, 0), 1e-9)
        xyz = np.hstack([xyz, rgb])
    np.save(path, xyz.astype(np.float32))


WRITERS: dict[str, Callable[[Path, int], None]] = {".jpg": _jpeg, ".wav": _wav, ".npy": _npy}


def _write_mp4(ffmpeg: str, modality: str, targets: list[tuple[int, Path]]) -> None:
    """MP4 files through ffmpeg, many per run: a test pattern tinted by id (video), or an AAC
    tone (audio), CLIP_LENGTH long."""
    for start in range(0, len(targets), FFMPEG_BATCH):
        batch = targets[start : start + FFMPEG_BATCH]
        for _, path in batch:
            path.parent.mkdir(parents=True, exist_ok=True)
        args = _video_args(batch) if modality == "video" else _audio_args(batch)
        command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise CatalogError(
                f"ffmpeg could not write {batch[0][1]}: {reason}. Check that Debian's ffmpeg "
                "(with libx264 and aac) is installed, or uninstall ffmpeg to skip MP4 files."
            )


def _video_args(batch: list[tuple[int, Path]]) -> list[str]:
    graph = f"[0:v]split={len(batch)}" + "".join(f"[s{i}]" for i in range(len(batch)))
    for i, (asset_id, _) in enumerate(batch):
        x, y = asset_id * 7 % 80, asset_id * 11 % 48
        graph += (
            f";[s{i}]hue=h={asset_id * 47 % 360},"
            f"drawbox=x={x}:y={y}:w=16:h=16:color=white:t=fill[o{i}]"
        )
    args = ["-f", "lavfi", "-i", f"testsrc2=size=96x64:rate=12:duration={CLIP_LENGTH['video']}"]
    args += ["-filter_complex", graph]
    for i, (_, path) in enumerate(batch):
        args += ["-map", f"[o{i}]", *VIDEO_CODEC, *MP4_OUTPUT, f"file:{path.absolute()}"]
    return args


def _audio_args(batch: list[tuple[int, Path]]) -> list[str]:
    args: list[str] = []
    for asset_id, _ in batch:
        tone = f"sine=frequency={_tone(asset_id)}:duration={CLIP_LENGTH['audio']}:sample_rate=22050"
        args += ["-f", "lavfi", "-i", tone]
    for i, (_, path) in enumerate(batch):
        args += ["-map", f"{i}:a", *AUDIO_CODEC, *MP4_OUTPUT, f"file:{path.absolute()}"]
    return args
