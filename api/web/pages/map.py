"""The desk's map page: the claim list's filters, the matching claims' places drawn as SVG, and a timeline of
claims per day by party — all on the server, so it works with JavaScript off and no tile server."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.errors import InvalidInput
from api.services import claims, geo_export, parties, sources
from api.web.forms import FormErrors
from api.web.map import drawing
from api.web.pages.claims import _claim_query
from api.web.pages.rendering import page_router, render
from api.web.session import PagePrincipalDep

router = page_router()
# At most this many claims are drawn; the page says when there are more (narrow the filters).
MAP_LIMIT = 500
_SHOWN = ("q", "source", "place", "tag", "stated_from", "stated_to", "near", "radius_km", "bbox", "region",
          "event_from", "event_to")  # fmt: skip


@router.get("/map")
def claim_map(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """The claims matching the list's filters on a map (shape by status, halo by precision) and per day by party."""
    errors = FormErrors()
    query = _claim_query(request, errors)
    items: list[claims.ClaimDict] = []
    more = False
    if query is not None:
        try:
            items, cursor = claims.list_claims(
                session, replace(query, limit=MAP_LIMIT, cursor=None), settings.secret_key
            )
            more = cursor is not None
        except InvalidInput as error:
            errors.add_domain(error)
    points = geo_export.points_of(session, items)
    drawn: list[drawing.MapPoint] = []
    unplaced = 0
    for item in items:
        for index, place in enumerate(item["places"]):
            lat, lon = points.get((item["id"], index), (None, None, None, None, None))[:2]
            if lat is None or lon is None:
                unplaced += 1
                continue
            drawn.append(
                drawing.MapPoint(
                    str(item["id"]), place["name"], item["status"], place["precision"] or "region", lat, lon
                )
            )
    party_of = parties.parties(session, {item["source"]["id"] for item in items})
    party_names = sources.names_of(session, set(party_of.values()))
    days = drawing.per_day_by_party(
        [(item["stated_at"].date(), party_names[party_of[item["source"]["id"]]]) for item in items]
    )
    table: list[dict[str, Any]] = [
        {"day": day, "counts": sorted(counts.items()), "total": sum(counts.values())}
        for day, counts in sorted(days.items())
    ]
    params = request.query_params
    context = {
        "errors": errors,
        "filters": {name: params.get(name, "") for name in _SHOWN},
        "map_svg": drawing.map_svg(drawn),
        "legend_svg": drawing.legend_svg(),
        "timeline_svg": drawing.timeline_svg(days),
        "days": table,
        "claims_count": len(items),
        "drawn": len(drawn),
        "unplaced": unplaced,
        "more": more,
        "party_totals": sorted(Counter(name for _day, counts in days.items() for name in counts.elements()).items()),
    }
    return render(request, "map.html", context, 422 if errors else 200)
