"""Who a page request acts as, and the guards on every form: the server-side session, CSRF token and origin.

The session cookie (signed, HttpOnly, SameSite=Strict; see `api/web/middleware.py`) holds a random session id
and a CSRF token, never the API key: the key is checked once at sign-in, and the session it starts is a row
on the server (`api/services/desk_sessions.py`) that sign-out deletes, a revoked key ends and time expires.
The roles are then enforced by the services, exactly as for the API. With read replicas the cookie also keeps
the commit position of the session's last write (`api.deps.DESK_COMMIT_LSN`), so the pages after a write are
read where it is visible (docs/scaling.md).

Every form POST must carry the session's CSRF token and come from the desk's own origin (`Origin`, or
`Referer` when a browser sends no `Origin`), so a page elsewhere cannot submit one, not even the sign-in form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.database import Database
from api.deps import SessionDep, read_form
from api.errors import Forbidden
from api.services import desk_sessions
from api.services.auth import Principal
from api.settings import Settings

SESSION_FIELD = "desk_session"
CSRF_FIELD = "csrf_token"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SignInRequired(Exception):
    """No session, or one that has ended or expired: the page sends the reader to sign in."""


class CsrfRefused(Forbidden):
    """A form came without the session's CSRF token, or from another origin: refused before it is read."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also before sign-in, for the sign-in form)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def sign_in(request: Request, session: Session, api_key: str, lifetime_seconds: int) -> None:
    """Start a fresh server-side session for a key that has just authenticated: a new id and a new CSRF token,
    so nothing of an earlier session (a planted cookie included) carries over."""
    sign_out(request, session)
    request.session[SESSION_FIELD] = desk_sessions.start(session, api_key, lifetime_seconds)
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out(request: Request, session: Session) -> None:
    """End the server-side session, if any, and clear the cookie."""
    session_id = request.session.get(SESSION_FIELD)
    if isinstance(session_id, str):
        desk_sessions.end(session, session_id)
    request.session.clear()


def page_principal(request: Request, session: SessionDep) -> Principal:
    """The actor the session acts as, checked now; without a live session the page asks for a sign-in."""
    return principal_of(request, session)


def principal_of(request: Request, session: Session) -> Principal:
    """`page_principal` on a session of the caller's choosing (a read-only one, for pages that write nothing).

    A page served by a read replica still looks its sign-in up on the primary, as the API looks up its keys:
    a session ended or a key revoked a moment ago is refused at once, whatever the replica has replayed.
    """
    session_id = request.session.get(SESSION_FIELD)
    if not isinstance(session_id, str):
        raise SignInRequired
    if getattr(request.state, "served_by_replica", False):
        database: Database = request.app.state.database
        with database.read_engine.connect() as connection:
            principal = desk_sessions.principal_of(connection, session_id)
    else:
        principal = desk_sessions.principal_of(session, session_id)
    if principal is None:
        # Ended, expired or its key revoked: forget the cookie rather than look it up on every page.
        request.session.clear()
        raise SignInRequired
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


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a URL with the scheme's default port filled in; None when it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS.get(scheme)


def _from_own_origin(request: Request) -> bool:
    """Whether a form POST's `Origin` (else its `Referer`) is this desk: as the request reached it, or as
    `CLAIMDB_PUBLIC_BASE_URL` says it is reached (behind a proxy). With neither header it is refused, as
    OWASP advises: every browser sends `Origin` with a form POST."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return False
    origin = _origin(claimed)
    settings: Settings = request.app.state.settings
    own = {_origin(f"{request.url.scheme}://{request.headers.get('host', '')}"), _origin(settings.public_base_url)}
    return origin is not None and origin in own


async def checked_form(request: Request) -> PageForm:
    """The form body, once it is known to come from the desk's own origin with the session's CSRF token (403
    otherwise)."""
    if not _from_own_origin(request):
        raise CsrfRefused(
            "This form did not come from claimdb's own pages (its Origin or Referer names another site, or "
            "neither was sent): open the page again and submit it from there."
        )
    # Parsed by `read_form` (strict UTF-8, the app-wide text hygiene already applied to it) rather than with
    # python-multipart: the desk's forms are all URL-encoded and never upload files.
    form = PageForm(await read_form(request))
    expected = request.session.get(CSRF_FIELD)
    submitted = form.get(CSRF_FIELD) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfRefused("This form is stale or did not come from claimdb (its CSRF token does not match): reload it.")
    return form


FormDep = Annotated[PageForm, Depends(checked_form)]
