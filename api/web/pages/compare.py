"""The desk's "Compare sides" page: what each side says about a place in a window (`GET /v1/compare`'s answer)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.errors import InvalidInput
from api.services import times
from api.services.matching import related
from api.web.forms import FormErrors
from api.web.pages.rendering import page_router, render
from api.web.session import PagePrincipalDep

router = page_router()


@router.get("/compare")
def compare_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    place: str | None = None,
    stated_from: str | None = None,
    stated_to: str | None = None,
) -> HTMLResponse:
    """Claims about a place in a window, side by side: by affiliation, then party, assertions clustered."""
    errors = FormErrors()
    if place is not None and len(place) > 300:
        errors.add("place", "String should have at most 300 characters")
    result: dict[str, Any] | None = None
    if place and not errors:
        try:
            low = times.parse_time_bound(stated_from or None, "stated_from")
            high = times.parse_time_bound(stated_to or None, "stated_to", end_of_day=True)
            result = dict(related.compare(session, place, low, high, [], stated_from, stated_to))
        except InvalidInput as error:
            errors.add_domain(error)
    context = {
        "filters": {"place": place or "", "stated_from": stated_from or "", "stated_to": stated_to or ""},
        "errors": errors,
        "result": result,
    }
    return render(request, "compare.html", context, errors.status if errors else 200)
