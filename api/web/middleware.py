"""The pages' session cookie and security headers, applied to page paths only so that `/v1` is untouched.

The API authenticates every request by its `Authorization` header and never reads a cookie; a cookie
there would only open it to cross-site request forgery. So the session middleware runs for page paths
alone. The cookie holds the server-side session's random id and the CSRF token (`api/web/session.py`).
The pages' own Content-Security-Policy, `Referrer-Policy` and `Cache-Control` are set here; what every
response gets besides (the API's stricter policy, HSTS over HTTPS) is `api/security_headers.py`'s.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "claimdb_desk"
# Everything the desk serves lives under these paths (and `/` itself); nothing of the API does.
PAGE_PREFIXES = ("/claims", "/sources", "/signin", "/signout", "/extract", "/compare", "/map")

# No inline script and no inline style anywhere: htmx and the stylesheet are files served by claimdb itself.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    # Pages show what one key may read: keep them out of shared caches and the back-button cache after sign-out.
    "cache-control": "no-store",
}


def is_page_path(path: str) -> bool:
    return path == "/" or any(path == prefix or path.startswith(prefix + "/") for prefix in PAGE_PREFIXES)


class PageMiddleware:
    """Give page requests a signed session cookie and security headers; pass every other request through."""

    def __init__(self, app: ASGIApp, *, secret_key: str, max_age: int) -> None:
        self.app = app
        # The cookie is Secure when the request came over HTTPS (uvicorn honours X-Forwarded-Proto from a
        # trusted proxy); over plain HTTP on loopback a Secure cookie would never come back.
        self.plain, self.secure = (
            SessionMiddleware(
                app,
                secret_key=secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=max_age,
                path="/",
                same_site="strict",
                https_only=https_only,
            )
            for https_only in (False, True)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        session_app = self.secure if scope.get("scheme") == "https" else self.plain
        await session_app(scope, receive, send_with_headers)
