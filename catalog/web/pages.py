"""The browsing pages: overview, caption search, one caption, triplets, one asset, EShot.

Each handler reads its parameters, runs a query template or one of the explorer's SQL files
(sql/ beside this module) in a worker thread, and renders the result (catalog.web.render):
HTML, or JSON with `?format=json`. No SQL here."""

from __future__ import annotations

import anyio
from starlette.requests import Request

from catalog.errors import CatalogError
from catalog.sqltext import resource_text
from catalog.web import overview as overview_page
from catalog.web.database import (
    Busy,
    NotFound,
    fetch,
    in_thread,
    records,
    template_relation,
    template_rows,
)
from catalog.web.overview import LABELS
from catalog.web.previews import item
from catalog.web.render import page_format, respond
from catalog.web.resolve import MODALITIES, PARTS

PAGE_ROWS = 50  # rows per page of search results, triplets and appearances
ESHOT_ROWS = 500  # samples shown for one EShot category
MAX_ID = 2**31 - 1


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise CatalogError(f"page={raw!r} is not a page number: give a whole number from 1.")
    return int(raw)


def _id(raw: int, what: str) -> int:
    if not 0 <= raw <= MAX_ID:
        raise NotFound(f"{what} {raw} does not exist: ids run from 0 to {MAX_ID}.")
    return raw


def _explorer(request: Request):
    return request.app.state.explorer


async def home(request: Request):
    page_format(request)
    ex = _explorer(request)
    data = await anyio.to_thread.run_sync(ex.overview.get, ex.db.time_limit)
    if data is None:
        raise Busy(
            "the overview is still being computed (it reads every caption once, when the "
            "explorer starts): reload in a few seconds."
        )
    return respond(request, "home.html", data, charts=overview_page.draw(data))


async def search(request: Request):
    page_format(request)
    ex = _explorer(request)
    q = request.query_params.get("q", "")
    part = request.query_params.get("part") or None
    case = "yes" if request.query_params.get("case") == "yes" else None
    page = page_number(request)
    data = {"q": q, "part": part, "case": case, "page": page, "rows": [], "more": False}
    if q.strip():
        data.update(await in_thread(request, _search, ex, q, part, case, page))
    return respond(request, "search.html", data)


def _search(ex, q: str, part: str | None, case: str | None, page: int) -> dict:
    """One page of caption_search, one part after the other (the template's order): within
    one part a search for a common word stops early, which both parts at once cannot."""
    wanted = page * PAGE_ROWS + 1  # the rows up to this page, and one to know more follow
    rows: list[dict] = []
    for one in [part] if part else ["e-mm1_100m", "e-mm1_1m"]:
        if len(rows) >= wanted:
            break
        raw = {"text": q, "part": one, "match_case": case, "max_rows": str(wanted - len(rows))}
        with ex.db.cursor() as cur:
            rows += records(template_rows(cur, "caption_search", raw, wanted))
    start = (page - 1) * PAGE_ROWS
    return {"rows": rows[start : start + PAGE_ROWS], "more": len(rows) > start + PAGE_ROWS}


def _table(ex, name: str, raw: dict, page: int, rows: int = PAGE_ROWS) -> dict:
    with ex.db.cursor() as cur:
        return fetch(template_relation(cur, name, raw), rows, (page - 1) * rows)


async def caption(request: Request):
    page_format(request)
    ex = _explorer(request)
    part = request.path_params["part"]
    text_id = _id(request.path_params["text_id"], "caption")
    if part == "e-mm1_100m":
        data = await in_thread(request, _caption_groups, ex, text_id)
        return respond(request, "caption_groups.html", data)
    if part == "e-mm1_1m":
        data = await in_thread(request, _caption_triplets, ex, text_id)
        return respond(request, "caption_triplets.html", data)
    raise NotFound(f"captions belong to e-mm1_100m or e-mm1_1m, not {part!r}.")


def _caption_groups(ex, text_id: int) -> dict:
    with ex.db.cursor() as cur:
        result = template_rows(cur, "caption_groups", {"text_id": text_id}, 16 * 4)
    rows = records(result)
    if not rows:
        raise NotFound(f"no E-MM1:100M caption with encord_text_id {text_id}.")
    groups: dict[int, dict] = {}
    for r in rows:
        if r["nn_index"] is None:
            continue
        cell = item(ex.resolver, "e-mm1_100m", str(r["modality"]), r["asset_id"], r)
        groups.setdefault(r["nn_index"], {"k": r["nn_index"], "cells": {}})["cells"][
            str(r["modality"])
        ] = cell
    first = rows[0]
    return {
        "part": "e-mm1_100m",
        "encord_text_id": text_id,
        "caption": first["caption"],
        "source_dataset": first["caption_source_dataset"],
        "dataset_license": first["caption_dataset_license"],
        "modalities": list(MODALITIES),
        "groups": [groups[k] for k in sorted(groups)],
    }


def _caption_triplets(ex, text_id: int) -> dict:
    with ex.db.cursor() as cur:
        result = template_rows(cur, "caption_triplets", {"text_id": text_id}, 1000)
    rows = records(result)
    if not rows:
        raise NotFound(f"no E-MM1:1M caption with encord_text_id {text_id}.")
    triplets = []
    for r in rows:
        if r["paired_modality"] is None:
            continue
        sides = {}
        for side in ("paired", "annotated"):
            facts = {k.removeprefix(side + "_"): v for k, v in r.items() if k.startswith(side)}
            facts["file_path"] = r[f"{side}_modality_file_path"]
            modality = str(r[f"{side}_modality"])
            sides[side] = item(ex.resolver, "e-mm1_1m", modality, r[f"encord_{side}_id"], facts)
        triplets.append({"annotation": r["annotation"], "label": r["annotation_label"], **sides})
    return {
        "part": "e-mm1_1m",
        "encord_text_id": text_id,
        "caption": rows[0]["caption"],
        "triplets": triplets,
        "truncated": result["more"],
    }


async def triplets(request: Request):
    page_format(request)
    ex = _explorer(request)
    pair = request.query_params.get("pair", "")
    label = request.query_params.get("label") or None
    direction = request.query_params.get("direction") or "both"
    page = page_number(request)
    data = {
        "pair": pair,
        "label": label,
        "direction": direction,
        "page": page,
        "rows": [],
        "more": False,
        "pairs": await anyio.to_thread.run_sync(_pairs, ex),
    }
    if pair:
        modalities = pair.split(",")
        if len(modalities) != 2:
            raise CatalogError(
                f"pair={pair!r} is not two modalities: write it as m1,m2, e.g. audio,points."
            )
        raw = {
            "modality_1": modalities[0],
            "modality_2": modalities[1],
            "direction": direction,
            "label": label,
        }
        data.update(await in_thread(request, _triplet_page, ex, raw, page))
    return respond(request, "triplets.html", data, labels=LABELS)


def _pairs(ex) -> list[dict]:
    """Triplets per pair (either direction) and label, from the overview."""
    overview = ex.overview.get(ex.db.time_limit)
    if overview is None:
        raise Busy("the overview is still being computed: reload in a few seconds.")
    pairs: dict[tuple[str, ...], dict] = {}
    for r in overview["triplets_by_label"]:
        key = tuple(
            sorted((str(r["paired_modality"]), str(r["annotated_modality"])), key=MODALITIES.index)
        )
        entry = pairs.setdefault(key, {"pair": ",".join(key), "triplets": 0, "labels": {}})
        entry["triplets"] += r["triplets"]
        label = r["annotation_label"] or "(no label)"
        entry["labels"][label] = entry["labels"].get(label, 0) + r["triplets"]
    return list(pairs.values())


def _triplet_page(ex, raw: dict, page: int) -> dict:
    result = _table(ex, "modality_pair", raw, page)
    out = []
    for r in records(result):
        sides = {
            side: item(
                ex.resolver,
                "e-mm1_1m",
                str(r[f"{side}_modality"]),
                r[f"encord_{side}_id"],
                {"file_path": r[f"{side}_modality_file_path"]},
            )
            for side in ("paired", "annotated")
        }
        out.append(
            {
                "encord_text_id": r["encord_text_id"],
                "caption": r["caption"],
                "label": r["annotation_label"],
                **sides,
            }
        )
    return {"rows": out, "more": result["more"]}


async def asset(request: Request):
    page_format(request)
    ex = _explorer(request)
    part, modality = request.path_params["part"], request.path_params["modality"]
    asset_id = _id(request.path_params["asset_id"], "asset")
    if part not in PARTS or modality not in MODALITIES:
        raise NotFound(
            f"no asset {part}/{modality}/{asset_id}: parts are {', '.join(PARTS)}; modalities "
            f"{', '.join(MODALITIES)}."
        )
    data = await in_thread(request, _asset, ex, part, modality, asset_id, page_number(request))
    return respond(request, "asset.html", data)


def _asset(ex, part: str, modality: str, asset_id: int, page: int) -> dict:
    row = ex.resolver.lookup(part, modality, asset_id)
    raw = {"part": part, "modality": modality, "id": asset_id}
    result = _table(ex, "asset", raw, page)
    if row is None and not result["rows"]:
        raise NotFound(f"the catalog knows no asset {part}/{modality}/{asset_id}.")
    facts = dict(row or {})
    for key in ("part", "modality", "asset_id"):
        facts.pop(key, None)
    appearances = [r for r in records(result) if r["appears_in"] is not None]
    keep = (
        "appears_in",
        "encord_text_id",
        "caption",
        "nn_index",
        "paired_modality",
        "annotated_modality",
        "encord_paired_id",
        "encord_annotated_id",
        "annotation_label",
        "category",
    )
    return {
        "asset": item(ex.resolver, part, modality, asset_id, facts),
        "file_name": facts.get("file_name"),
        "save_folder": facts.get("save_folder"),
        "file_id": facts.get("file_id"),
        "youtube_id": facts.get("youtube_id"),
        "start_time": facts.get("start_time"),
        "end_time": facts.get("end_time"),
        "known": row is not None,
        "appearances": [{k: a[k] for k in keep} for a in appearances],
        "page": page,
        "more": result["more"],
    }


async def eshot(request: Request):
    page_format(request)
    ex = _explorer(request)
    rows = await in_thread(request, ex.db.rows, _sql("eshot_categories"))
    return respond(request, "eshot.html", {"categories": rows})


async def eshot_category(request: Request):
    page_format(request)
    ex = _explorer(request)
    category = request.path_params["category"]
    data = await in_thread(request, _eshot_category, ex, category)
    return respond(request, "eshot_category.html", data)


def _eshot_category(ex, category: str) -> dict:
    rows = ex.db.rows(_sql("eshot_category"), {"category": category, "max_rows": ESHOT_ROWS + 1})
    if not rows:
        raise NotFound(f"no EShot category {category!r}: /eshot lists them.")
    samples = [item(ex.resolver, "eshot", str(r["modality"]), r["asset_id"], r) for r in rows]
    return {
        "category": category,
        "audio": [s for s in samples[:ESHOT_ROWS] if s["modality"] == "audio"],
        "points": [s for s in samples[:ESHOT_ROWS] if s["modality"] == "points"],
        "truncated": len(rows) > ESHOT_ROWS,
    }


def _sql(name: str) -> str:
    return resource_text("catalog.web", f"sql/{name}.sql")
