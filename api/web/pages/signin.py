"""Signing in and out of the desk: a pasted API key starts a session on the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.deps import SessionDep, SettingsDep, authenticate_counted
from api.errors import TooManyRequests, Unauthorized
from api.web.middleware import is_page_path
from api.web.pages.rendering import page_router, render
from api.web.session import FormDep, sign_in, sign_out

router = page_router()


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of this desk only, so the sign-in cannot redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/claims"
    return target if is_page_path(urlsplit(target).path) else "/claims"


@router.get("/")
def home(request: Request) -> Response:
    """The desk's front door: the claim list."""
    return RedirectResponse("/claims", status_code=303)


@router.get("/signin")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    """The sign-in page: the analyst pastes an API key."""
    return render(request, "signin.html", {"next": _safe_next(next), "error": None})


@router.post("/signin")
def sign_in_submit(request: Request, session: SessionDep, settings: SettingsDep, form: FormDep) -> Response:
    """Check the pasted key and start a session on the server; the cookie holds the session's random id only."""
    api_key = form.get("api_key")
    target = _safe_next(form.get("next"))
    try:
        # Refused keys count against the address as on the API: past the limit, a 429 with Retry-After.
        principal = authenticate_counted(request, session, api_key)
    except Unauthorized as error:
        return render(request, "signin.html", {"next": target, "error": error.detail}, 401)
    except TooManyRequests as error:
        page = render(request, "signin.html", {"next": target, "error": error.detail}, 429)
        page.headers.update(error.headers)
        return page
    sign_in(request, session, api_key or "", settings.session_max_age_seconds)
    request.state.principal = principal
    return RedirectResponse(target, status_code=303)


@router.post("/signout")
def sign_out_submit(request: Request, session: SessionDep, _form: FormDep) -> Response:
    """End the session: deleted on the server, so no copy of the cookie works again; the cookie is cleared."""
    sign_out(request, session)
    return RedirectResponse("/signin", status_code=303)
