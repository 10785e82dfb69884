"""`/docs` (Swagger UI) and `/redoc` (ReDoc), served from the app's own static files so they work offline.

FastAPI's default pages load their scripts from a CDN, and an analyst on a closed network sees a blank page.
Here they load the vendored, sha256-pinned copies in `api/web/static/` (see its README.md), with no web font
and no validator badge (Swagger UI would ask validator.swagger.io about the schema). Each page has a Content
Security Policy that allows its own origin only; Swagger UI's one inline script is allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

STATIC = "/static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> str:
    """CSP sources for the page's inline scripts: each one's sha256, as browsers compute it."""
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )


def _policy(script_sources: str) -> str:
    # Both UIs style their elements inline and draw icons as data: URIs; ReDoc searches in a blob: worker.
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' {script_sources}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def install_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Serve `/docs` and `/redoc` from local assets (the app is created with FastAPI's own docs turned off)."""
    swagger = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} — API docs",
        swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC}/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    ).body
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{app.title} — API reference",
        redoc_js_url=f"{STATIC}/redoc.standalone.js",
        redoc_favicon_url=f"{STATIC}/favicon.svg",
        with_google_fonts=False,
    ).body
    pages = {"/docs": bytes(swagger).decode(), "/redoc": bytes(redoc).decode()}

    for path, html in pages.items():
        app.add_api_route(path, _page(html, _policy(_script_hashes(html))), methods=["GET"], include_in_schema=False)


def _page(html: str, policy: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    return page
