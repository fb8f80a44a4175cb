"""What a page shows for one asset: a preview of the file when it is on disk, otherwise what a
download needs (the same downloaders as `emm1 files missing`: YouTube clip, URL, Hugging Face
id, source id). Plain dicts, so that a page's JSON twin carries the same facts."""

from __future__ import annotations

import re
from urllib.parse import quote

from catalog.files import HUGGING_FACE_SOURCES
from catalog.web.resolve import Resolver

# What the media endpoint adds to an asset's URL for a preview of each modality.
PREVIEW_QUERY = {"image": "?thumb=1", "points": "?points=1"}
_URL = re.compile(r"^https?://", re.IGNORECASE)


def media_url(part: str, modality: str, asset_id: int) -> str:
    return f"/media/{quote(part)}/{quote(modality)}/{int(asset_id)}"


def asset_url(part: str, modality: str, asset_id: int) -> str:
    return f"/asset/{quote(part)}/{quote(modality)}/{int(asset_id)}"


def item(resolver: Resolver, part: str, modality: str, asset_id: int | None, facts: dict) -> dict:
    """One asset as pages show it. `facts` are columns of the `assets` view (source_dataset,
    dataset_license, file_id, youtube_id, start_time, end_time, file_path as the catalog gives
    it); missing ones are unknown."""
    path = resolver.local(facts.get("file_path"))
    out = {
        "part": part,
        "modality": modality,
        "asset_id": asset_id,
        "source_dataset": facts.get("source_dataset"),
        "dataset_license": facts.get("dataset_license"),
        "file_path": path,
        "on_disk": resolver.on_disk(path),
        "url": None,
        "preview_url": None,
        "page": None,
        "needs": [],
    }
    if asset_id is None:
        return out
    out["page"] = asset_url(part, modality, asset_id)
    if out["on_disk"]:
        out["url"] = media_url(part, modality, asset_id)
        out["preview_url"] = out["url"] + PREVIEW_QUERY.get(modality, "")
    else:
        out["needs"] = download_needs(facts)
    return out


def download_needs(facts: dict) -> list[dict]:
    """What fetching the file takes: (what, value, link) rows, the link only to http(s)."""
    youtube_id, file_id = facts.get("youtube_id"), facts.get("file_id")
    source = facts.get("source_dataset")
    needs = []
    if youtube_id:
        start, end = facts.get("start_time"), facts.get("end_time")
        clip = f"{youtube_id}, {start:g} s to {end:g} s" if None not in (start, end) else youtube_id
        link = f"https://www.youtube.com/watch?v={quote(youtube_id)}"
        needs.append({"what": "YouTube", "value": clip, "link": link + _at(start)})
    if file_id and _URL.match(file_id):
        needs.append({"what": "URL", "value": file_id, "link": file_id})
    elif file_id and source in HUGGING_FACE_SOURCES:
        needs.append({"what": "Hugging Face id", "value": file_id, "link": None})
    elif file_id:
        needs.append({"what": f"{source or 'source'} id", "value": file_id, "link": None})
    if facts.get("file_path") is None:
        needs.append(
            {"what": "path", "value": "none (no infos row, or an unsafe name)", "link": None}
        )
    return needs


def _at(start: float | None) -> str:
    return f"&t={int(start)}s" if start else ""
