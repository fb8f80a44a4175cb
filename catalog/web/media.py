"""Media for `emm1 serve`: the files themselves (with HTTP Range), image thumbnails, and point
clouds as JSON. Every media file the app reads is read here.

No path from a request reaches the file system: a request names a part and a modality from
fixed lists and a numeric id; the file is the one the catalog resolves for that asset
(`resolver.path(part, modality, asset_id)`, an absolute path or None for an unknown asset).

    GET /media/<part>/<modality>/<asset_id>            the file, with Range (seeking)
    GET /media/<part>/<modality>/<asset_id>?thumb=1    a JPEG of at most 256 px (images)
    GET /media/<part>/<modality>/<asset_id>?points=1   {"points": [[x, y, z], ...],
        "colors": [[r, g, b], ...] (0-255) or null, "total": N} (point clouds), at most 5,000
        points chosen the same way every time, centred and scaled into the unit sphere

Errors are JSON `{"error": "..."}`: 404 for an unknown part, modality or asset and for a file
that is not on disk ("not downloaded"), 400 for a preview the modality has none of, 422 for a
file that is too large or cannot be read as what it should be.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from catalog import discover

PARTS = tuple(p.name for p in discover.PARTS)  # e-mm1_100m, e-mm1_1m, eshot
MODALITIES = discover.ASSET_MODALITIES  # image, audio, video, points
ID_PATTERN = re.compile(r"[0-9]{1,10}")
MAX_ID = 2**31 - 1  # ids are INTEGER in the catalog
# Content types by modality and extension; any other file goes out as application/octet-stream,
# so a browser never runs a file from the asset folder as a page or a script.
CONTENT_TYPES = {
    "image": {
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".png": "image/png",
        ".webp": "image/webp",
    },
    "audio": {
        ".wav": "audio/wav",
        ".mp3": "audio/mpeg",
        ".m4a": "audio/mp4",
        ".mp4": "audio/mp4",  # E-MM1 stores audio clips as .mp4
        ".flac": "audio/flac",
    },
    "video": {".mp4": "video/mp4", ".webm": "video/webm"},
    "points": {},
}
THUMB_SIZE = 256  # px, the longer side of a thumbnail
MAX_IMAGE_BYTES = 64 * 2**20  # larger images get no thumbnail
MAX_IMAGE_PIXELS = 80_000_000
MAX_POINTS = 5000  # points sent to the browser
MAX_CLOUD_BYTES = 256 * 2**20  # larger point cloud files are refused
# Thumbnails and point clouds decoded at once: a page of 64 previews cannot fill the memory.
DECODING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
PLY_TYPES = {
    **dict.fromkeys(("char", "int8"), "i1"),
    **dict.fromkeys(("uchar", "uint8"), "u1"),
    **dict.fromkeys(("short", "int16"), "i2"),
    **dict.fromkeys(("ushort", "uint16"), "u2"),
    **dict.fromkeys(("int", "int32"), "i4"),
    **dict.fromkeys(("uint", "uint32"), "u4"),
    **dict.fromkeys(("float", "float32"), "f4"),
    **dict.fromkeys(("double", "float64"), "f8"),
}
PLY_FORMATS = {"ascii": None, "binary_little_endian": "<", "binary_big_endian": ">"}
PLY_COLORS = (
    ("red", "green", "blue"),
    ("r", "g", "b"),
    ("diffuse_red", "diffuse_green", "diffuse_blue"),
)


class Resolver(Protocol):
    def path(self, part: str, modality: str, asset_id: int) -> Path | None: ...


class MediaError(Exception):
    """A request the media routes refuse: an HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def media_routes(resolver: Resolver) -> list[Route]:
    """The /media routes, reading files where `resolver` says the catalog puts them."""

    def media(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
        try:
            return _media(resolver, request)
        except MediaError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)

    return [Route("/media/{part}/{modality}/{asset_id}", media, methods=["GET", "HEAD"])]


def _media(resolver: Resolver, request: Request) -> Response:
    part, modality, asset_id = _checked(**request.path_params)
    name = f"{part} {modality} {asset_id}"
    path = resolver.path(part, modality, asset_id)
    if path is None:
        raise MediaError(404, f"{name} is not in the catalog.")
    info = _file_stat(Path(path), name)
    want_thumb = request.query_params.get("thumb") == "1"
    want_points = request.query_params.get("points") == "1"
    if want_thumb:
        if modality != "image":
            raise MediaError(400, f"thumb=1 is for images; {name} is {modality}.")
        with DECODING:
            body = _thumbnail(str(path), info.st_mtime_ns, info.st_size)
        return Response(body, media_type="image/jpeg")
    if want_points:
        if modality != "points":
            raise MediaError(400, f"points=1 is for point clouds; {name} is {modality}.")
        with DECODING:
            body = _cloud_json(str(path), info.st_mtime_ns, info.st_size)
        return Response(body, media_type="application/json")
    media_type = CONTENT_TYPES[modality].get(Path(path).suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type, stat_result=info)


def _checked(part: str, modality: str, asset_id: str) -> tuple[str, str, int]:
    """The request's part, modality and id, each from its fixed list or pattern, else a 404."""
    if part not in PARTS:
        raise MediaError(404, f"unknown part {part[:40]!r}: parts are {', '.join(PARTS)}.")
    if modality not in MODALITIES:
        raise MediaError(
            404, f"unknown modality {modality[:40]!r}: modalities are {', '.join(MODALITIES)}."
        )
    if not ID_PATTERN.fullmatch(asset_id) or int(asset_id) > MAX_ID:
        raise MediaError(404, f"{asset_id[:40]!r} is not an asset id: ids are whole numbers.")
    return part, modality, int(asset_id)


def _file_stat(path: Path, name: str) -> os.stat_result:
    """The file's stat; a 404 saying "not downloaded" when nothing is there."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as e:
        raise MediaError(422, f"{name}: cannot read {path}: {e.strerror}.") from None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise MediaError(
            404,
            f"not downloaded: {name} has no file at {path} "
            "(`emm1 files missing` lists what to download).",
        )
    return info


@lru_cache(maxsize=512)  # keyed by path, modification time and size: a changed file is re-read
def _thumbnail(path: str, mtime_ns: int, size: int) -> bytes:
    if size > MAX_IMAGE_BYTES:
        raise MediaError(422, f"{path} is {size:,} bytes: thumbnails are made up to 64 MiB.")
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise MediaError(
                    422, f"{path} is {image.width}x{image.height} px: too large for a thumbnail."
                )
            image.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # JPEG: decode at a reduced size
            thumb = ImageOps.exif_transpose(image).convert("RGB")
            thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise MediaError(422, f"{path} is not an image that can be read: {e}.") from None


@lru_cache(maxsize=64)  # keyed like _thumbnail
def _cloud_json(path: str, mtime_ns: int, size: int) -> bytes:
    if size > MAX_CLOUD_BYTES:
        raise MediaError(422, f"{path} is {size:,} bytes: point clouds are read up to 256 MiB.")
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        xyz, rgb, total = _read_npy(path, size)
    elif suffix == ".ply":
        xyz, rgb, total = _read_ply(path, size)
    else:
        raise MediaError(422, f"{path}: point clouds are read from .npy or .ply files.")
    preview = {**_preview(path, xyz, rgb), "total": total}
    return json.dumps(preview, separators=(",", ":")).encode()


Cloud = tuple[np.ndarray, np.ndarray | None, int]  # sampled xyz, rgb or None, points in the file


def _read_npy(path: str, size: int) -> Cloud:
    """An (N, 3) or (N, 6) numeric .npy (OpenShape's layout), memory-mapped: only the sampled
    rows are read. The header is checked first; pickled (object) arrays are refused."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as f:
            version = fmt.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unknown format version {version[0]}.{version[1]}")
            read_header = (
                fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            )
            shape, _, dtype = read_header(f)
            offset = f.tell()
    except ValueError as e:
        raise MediaError(422, f"{path} is not a .npy file that can be read: {e}.") from None
    if dtype.hasobject:
        raise MediaError(
            422,
            f"{path} holds Python objects (a pickle), which are never loaded: save the points "
            "as a plain numeric array, np.save(path, points.astype('float32')).",
        )
    if len(shape) != 2 or shape[1] not in (3, 6) or dtype.kind not in "fiu" or dtype.names:
        raise MediaError(
            422,
            f"{path} holds a {dtype} array of shape {shape}: a point cloud is a numeric array "
            "of shape (N, 3) (xyz) or (N, 6) (xyz and rgb).",
        )
    if offset + shape[0] * shape[1] * dtype.itemsize != size:
        raise MediaError(422, f"{path} is {size:,} bytes, not what its header says: truncated?")
    if shape[0] == 0:
        raise MediaError(422, f"{path} holds no points.")
    array = np.load(path, mmap_mode="r", allow_pickle=False)[_sample(shape[0])]
    return array[:, :3], (array[:, 3:6] if shape[1] == 6 else None), shape[0]


def _read_ply(path: str, size: int) -> Cloud:
    """The vertex element of a .ply file (ASCII or binary): x, y, z and colours if present."""
    with open(path, "rb") as f:
        head = f.read(65536)
        end = re.search(rb"end_header\r?\n", head)
        if not head.startswith(b"ply") or end is None:
            raise MediaError(422, f"{path} is not a .ply file (no 'ply' ... 'end_header' header).")
        fmt, count, props = _ply_header(path, head[: end.start()].decode("ascii", "replace"))
        f.seek(end.end())
        row_bytes = 6 if fmt is None else sum(int(PLY_TYPES[t][1]) for t in props.values())
        if count * row_bytes > size - end.end():
            raise MediaError(422, f"{path}: its header says {count:,} vertices: truncated?")
        if fmt is None:
            try:
                values = np.loadtxt(f, dtype=np.float64, max_rows=count, ndmin=2, comments=None)
            except ValueError as e:
                raise MediaError(422, f"{path}: a vertex line cannot be read: {e}.") from None
            if values.shape != (count, len(props)):
                raise MediaError(
                    422, f"{path}: expected {count:,} vertex lines of {len(props)} values."
                )
            table = {name: values[:, i] for i, name in enumerate(props)}
        else:
            dtype = np.dtype([(name, fmt + PLY_TYPES[t]) for name, t in props.items()])
            data = np.fromfile(f, dtype=dtype, count=count)
            if len(data) != count:
                raise MediaError(422, f"{path}: expected {count:,} vertices, found {len(data):,}.")
            table = {name: data[name] for name in props}
    keep = _sample(count)
    xyz = np.stack([table[c][keep] for c in ("x", "y", "z")], axis=1)
    names = next((c for c in PLY_COLORS if all(n in props for n in c)), None)
    if names is None:
        return xyz, None, count
    rgb = np.stack([table[c][keep] for c in names], axis=1).astype(np.float64)
    return xyz, (rgb / 255 if props[names[0]] in ("uchar", "uint8") else rgb), count


def _ply_header(path: str, header: str) -> tuple[str | None, int, dict[str, str]]:
    """(byte order or None for ASCII, vertex count, {property: type}) from a .ply header."""
    fmt, elements = "", []
    for line in header.splitlines()[1:]:
        words = line.split()
        if words[:1] == ["format"] and len(words) >= 2:
            fmt = words[1]
        elif words[:1] == ["element"] and len(words) == 3 and words[2].isdigit():
            elements.append((words[1], int(words[2]), {}))
        elif words[:1] == ["property"] and len(elements) == 1:  # only vertex properties count
            if len(words) != 3 or words[1] not in PLY_TYPES or words[2] in elements[0][2]:
                raise MediaError(422, f"{path}: property {' '.join(words[1:])!r} is not read.")
            elements[-1][2][words[2]] = words[1]
    if fmt not in PLY_FORMATS:
        raise MediaError(422, f"{path}: format {fmt!r} is not read (ascii or binary).")
    if not elements or elements[0][0] != "vertex" or not {"x", "y", "z"} <= set(elements[0][2]):
        raise MediaError(422, f"{path}: the first element must be 'vertex' with x, y and z.")
    if elements[0][1] == 0:
        raise MediaError(422, f"{path} holds no points.")
    return PLY_FORMATS[fmt], elements[0][1], elements[0][2]


def _sample(n: int) -> np.ndarray:
    """Sorted row numbers of at most MAX_POINTS of n points, the same every time."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=MAX_POINTS, replace=False))


def _preview(path: str, xyz: np.ndarray, rgb: np.ndarray | None) -> dict:
    """Finite points centred and scaled into the unit sphere; colours as 0-255 integers
    (rgb in 0-1, as OpenShape stores it, or in 0-255)."""
    xyz = np.asarray(xyz, dtype=np.float64)
    keep = np.isfinite(xyz).all(axis=1)
    if rgb is not None:
        rgb = np.asarray(rgb, dtype=np.float64)
        keep &= np.isfinite(rgb).all(axis=1)
    xyz = xyz[keep]
    if len(xyz) == 0:
        raise MediaError(422, f"{path} holds no finite points.")
    centred = xyz - (xyz.min(axis=0) + xyz.max(axis=0)) / 2
    radius = float(np.sqrt((centred**2).sum(axis=1)).max()) or 1.0
    colors = None
    if rgb is not None:
        rgb = rgb[keep]
        scale = 255 if rgb.max(initial=0) <= 1 else 1
        colors = np.clip(np.rint(rgb * scale), 0, 255).astype(int).tolist()
    return {"points": np.round(centred / radius, 4).tolist(), "colors": colors}
