"""The desk's source pages: the list, the type-ahead suggestions, and one source with its tree and scorecard."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.errors import InvalidInput
from api.services import claims, parties, sources
from api.web import views
from api.web.forms import FormErrors
from api.web.pages.rendering import LIST_LIMIT, SUGGESTION_LIMIT, page_link, page_router, render
from api.web.session import PagePrincipalDep
from models.vocabulary import SourceKind

router = page_router()


@router.get("/sources")
def source_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    q: str | None = None,
    kind: str | None = None,
    sort: str = "name",
    cursor: str | None = None,
) -> HTMLResponse:
    """Sources by name or by claim count, searchable by name and alias."""
    errors = FormErrors()
    if q is not None and len(q) > 300:
        errors.add("q", "String should have at most 300 characters")
    if kind and kind not in {item.value for item in SourceKind}:
        errors.add("kind", f"{kind!r} is not a kind of source.")
    if sort not in ("name", "-claims"):
        errors.add("sort", f"{sort!r} is not a sort order.")
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not errors:
        try:
            items, next_cursor = sources.list_sources(
                session, secret=settings.secret_key, kind=kind or None, q=q or None, sort=sort, limit=50, cursor=cursor
            )
        except InvalidInput as error:
            errors.add_domain(error)
    context = {
        "items": items,
        "next_link": page_link(request, next_cursor),
        "errors": errors,
        "filters": {"q": q or "", "kind": kind or "", "sort": sort},
        "kinds": [item.value for item in SourceKind],
    }
    return render(request, "sources.html", context, 422 if errors else 200)


@router.get("/sources/suggest")
def source_suggestions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    field: str = "q",
) -> HTMLResponse:
    """Type-ahead: `<option>`s for the sources whose name or alias contains what was typed in `field`."""
    typed = (request.query_params.get(field) or "")[:300]
    items, _next = sources.list_sources(
        session,
        secret=settings.secret_key,
        kind=None,
        q=typed or None,
        sort="-claims",
        limit=SUGGESTION_LIMIT,
        cursor=None,
    )
    return render(request, "_source_options.html", {"source_choices": items, "typed": typed})


@router.get("/sources/{source_id}")
def source_page(
    source_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    include_children: bool = False,
    cursor: str | None = None,
) -> HTMLResponse:
    """A source: its party's tree, its reliability grade, its claims and its scorecard with a chart."""
    source = sources.get_source(session, source_id)
    party_id = source["party"]["id"]
    tree = views.source_tree(sources.describe(session, sorted(parties.descendants(session, [party_id]))), party_id)
    scorecard = sources.scorecard(session, source_id, include_children)
    errors = FormErrors()
    items: list[claims.ClaimDict] = []
    next_cursor = None
    try:
        items, next_cursor = claims.list_source_claims(
            session,
            source_id,
            include_children=include_children,
            limit=LIST_LIMIT,
            cursor=cursor,
            secret=settings.secret_key,
        )
    except InvalidInput as error:
        errors.add_domain(error)
    context = {
        "source": source,
        "tree": tree,
        "scorecard": scorecard,
        "bars": views.status_bars(scorecard["by_status"]),
        "items": items,
        "next_link": page_link(request, next_cursor),
        "include_children": include_children,
        "errors": errors,
    }
    return render(request, "source.html", context, 422 if errors else 200)
