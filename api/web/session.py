"""Who a page request acts as, and the guards on every form: the session's API key and its CSRF token.

The session cookie (signed, HttpOnly, SameSite=Strict; see `api/web/middleware.py`) holds the analyst's API
key and a CSRF token. The key is authenticated with `api.services.auth.authenticate` on every request, so a
revoked key stops working at once; the roles are then enforced by the services, exactly as for the API.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.deps import SessionDep, read_form
from api.errors import Forbidden, Unauthorized
from api.services.auth import Principal, authenticate

KEY_FIELD = "api_key"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No key in the session, or one that no longer authenticates: the page sends the reader to sign in."""


class CsrfRefused(Forbidden):
    """A form came without the session's CSRF token: refused before anything is read from it."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also before sign-in, for the sign-in form)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def sign_in(request: Request, api_key: str) -> None:
    """Start a fresh session for the key: a new cookie and a new CSRF token, so no earlier token carries over."""
    request.session.clear()
    request.session[KEY_FIELD] = api_key
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def page_principal(request: Request, session: SessionDep) -> Principal:
    """The actor behind the session's key, authenticated now; without one the page asks for a sign-in."""
    return principal_of(request, session)


def principal_of(request: Request, session: Session) -> Principal:
    """`page_principal` on a session of the caller's choosing (a read-only one, for pages that write nothing)."""
    api_key = request.session.get(KEY_FIELD)
    if not isinstance(api_key, str):
        raise SignInRequired
    try:
        principal = authenticate(session, api_key)
    except Unauthorized:
        # Revoked or deleted since sign-in: forget it rather than try it on every page.
        sign_out(request)
        raise SignInRequired from None
    request.state.principal = principal
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]


class PageForm:
    """A submitted form's fields; every value stripped, empty ones treated as absent."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def get(self, name: str) -> str | None:
        for key, value in self._pairs:
            if key == name:
                return value.strip() or None
        return None

    def text(self, name: str) -> str:
        return self.get(name) or ""

    def getlist(self, name: str) -> list[str]:
        return [value.strip() for key, value in self._pairs if key == name and value.strip()]


async def checked_form(request: Request) -> PageForm:
    """The form body, once its CSRF token matches the session's (403 otherwise)."""
    # Parsed by `read_form` (strict UTF-8, the app-wide text hygiene already applied to it) rather than with
    # python-multipart: the desk's forms are all URL-encoded and never upload files.
    form = PageForm(await read_form(request))
    expected = request.session.get(CSRF_FIELD)
    submitted = form.get(CSRF_FIELD) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfRefused("This form is stale or did not come from claimdb (its CSRF token does not match): reload it.")
    return form


FormDep = Annotated[PageForm, Depends(checked_form)]
