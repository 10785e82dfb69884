"""Security headers on every response: the API's, the desk's, the docs', static files and errors alike.

Each is set only when the response has none of its own, so the desk's pages keep their stricter policy
(`api/web/middleware.py`) and the docs pages theirs (`api/docs.py`). What everything else gets:

- `X-Content-Type-Options: nosniff`: a JSON answer holding HTML is never sniffed into a page;
- `Referrer-Policy: no-referrer` (the desk's pages say `same-origin`, which their Referer check can use);
- framing refused twice, `X-Frame-Options: DENY` for old browsers and CSP `frame-ancestors 'none'`;
- `Content-Security-Policy: default-src 'none'`: an API answer opened in a browser runs and loads nothing;
- `Cache-Control: private, no-cache` on the answer to a request that carried a key (`Authorization`): a
  shared cache never keeps it, and a browser's or client's own cache asks again each time, with
  `If-None-Match`, so a 304 saves the body but never serves what the key may no longer read;
- `Strict-Transport-Security`, only when the request came over HTTPS (directly, or from a trusted proxy
  whose `X-Forwarded-Proto` uvicorn honours): sent over plain HTTP it would be ignored, and on loopback wrong.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}
AUTHENTICATED_CACHE_CONTROL = "private, no-cache"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add the headers above to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_https = scope.get("scheme") == "https"
        authenticated = any(name == b"authorization" for name, _value in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
                if authenticated and "cache-control" not in headers:
                    headers["cache-control"] = AUTHENTICATED_CACHE_CONTROL
                if over_https and "strict-transport-security" not in headers:
                    headers["strict-transport-security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
