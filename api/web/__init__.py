"""The analyst's desk: server-rendered pages (Jinja2, htmx) over the same services as the `/v1` API.

`install_web` adds the three pieces to the app: the static files, the page routes and the page middleware
(session cookie and security headers for page paths only; see `api/web/middleware.py`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.settings import Settings
from api.web.middleware import PageMiddleware
from api.web.pages import PAGE_ROUTERS

STATIC_DIRECTORY = Path(__file__).parent / "static"


def install_web(app: FastAPI, settings: Settings) -> None:
    """Serve the desk beside the API: `/static`, the pages, and their session."""
    app.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.add_middleware(PageMiddleware, secret_key=settings.secret_key, max_age=settings.session_max_age_seconds)
