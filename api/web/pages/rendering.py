"""What every desk page shares: the templates, `render`, the route class that turns refusals into pages, the
analyst's gate, and the sources offered before anything is typed.

Pages parse a query or a form, call the services in `api/services` (which hold every rule, roles included), and
render a template. Every page reads without JavaScript; htmx, when present, swaps parts in place. None of these
routes is part of the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from api.database import Database
from api.errors import DomainError
from api.services import sources
from api.services.auth import Principal, require_role
from api.web import views
from api.web.session import PagePrincipalDep, SignInRequired, csrf_token
from models.vocabulary import Role

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=True,
    # A misspelt name in a template fails the test that renders it, instead of printing nothing.
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals.update(
    status_info=views.STATUS_INFO,
    status_order=views.STATUS_ORDER,
    reliability_words=views.RELIABILITY_WORDS,
    credibility_words=views.CREDIBILITY_WORDS,
    precision_words=views.PRECISION_WORDS,
    channel_words=views.CHANNEL_WORDS,
    chart=views,
)
TEMPLATES.filters.update(words=views.words, when=views.format_time, duration=views.duration, share=views.share)

LIST_LIMIT = 25
SUGGESTION_LIMIT = 15


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page, with what every page needs: who is signed in, what they may do, and the form token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    common = {
        "request": request,
        "principal": principal,
        "can_write": principal is not None and principal.has_role(Role.ANALYST),
        "csrf_token": csrf_token(request),
    }
    body = TEMPLATES.get_template(template).render({**common, **context})
    return HTMLResponse(body, status_code=status_code)


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/signin?" + urlencode({"next": target if request.method == "GET" else "/claims"})
    if request.headers.get("HX-Request"):
        # An htmx request would follow a 303 and swap the sign-in page into a fragment: send the whole page there.
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class FormRefused(Exception):
    """A form the services refused: raised by a page handler with the page that shows it again, with its errors.

    Raising (rather than drawing the page in the handler) lets the request's session roll back whatever the
    refused write had done, so nothing of a refused form is kept; `PageRoute` then draws `page` on a fresh read.
    """

    def __init__(self, page: Callable[[Session], Response]) -> None:
        super().__init__("form refused")
        self.page = page


class PageRoute(APIRoute):
    """A page route: a refusal or a missing sign-in becomes a page, never problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return _sign_in_redirect(request)
            except FormRefused as refused:
                # The request's own transaction has been rolled back by now, with whatever the refused form
                # wrote: the form is drawn again from a snapshot of its own.
                database: Database = request.app.state.database
                with database.transaction(write=False) as session:
                    return refused.page(session)
            except DomainError as error:
                return render(request, "error.html", {"title": error.title, "detail": error.detail}, error.status)
            except RequestValidationError:
                detail = "This address names nothing claimdb holds."
                return render(request, "error.html", {"title": "Not found", "detail": detail}, 404)

        return handle


def page_router() -> APIRouter:
    """A router of desk pages: `PageRoute`s, none of them in the OpenAPI document."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def _require_analyst(principal: PagePrincipalDep) -> Principal:
    # The same early gate as the API's AnalystDep: a viewer's forged form is refused before its fields are read.
    require_role(principal, Role.ANALYST, "This operation")
    return principal


PageAnalystDep = Annotated[Principal, Depends(_require_analyst)]


def source_choices(session: Session, secret: str) -> list[dict[str, Any]]:
    """The sources offered before anything is typed (most claims first): type-ahead works without JavaScript."""
    items, _next = sources.list_sources(
        session, secret=secret, kind=None, q=None, sort="-claims", limit=50, cursor=None
    )
    return items


def page_link(request: Request, cursor: str | None) -> str | None:
    """This list's address for the page after `cursor`, with every filter kept."""
    if cursor is None:
        return None
    pairs = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor" and value]
    return f"{request.url.path}?{urlencode([*pairs, ('cursor', cursor)])}"
