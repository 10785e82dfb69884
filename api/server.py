"""How `claimdb serve` runs uvicorn: the app of each worker process, and its httptools protocol with a bound on
the size of a request's head.

With `--workers N`, uvicorn starts N processes that each import the app and the protocol by name
(`served_app`, `SettingsBoundedHttpToolsProtocol`), so both are built from the environment's settings
in the worker itself.

uvicorn bounds a request's head only on its pure-Python h11 protocol (`h11_max_incomplete_event_size`);
on httptools, which claimdb runs for speed, the request line and headers are collected without limit, so a
client could send one endless header and grow the process's memory. `BoundedHttpToolsProtocol` counts the
bytes of a request's head as they arrive and answers `431 Request Header Fields Too Large` (a problem, with
the security headers every answer carries) and closes the connection once they pass the limit.
"""

from __future__ import annotations

import gc
from typing import Any

import orjson
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.security_headers import ALWAYS

# Each header line also holds ": " and a line break.
_PER_HEADER = 4


class HeadTooLarge(Exception):
    """Raised in the parser's callback: httptools then stops parsing, and uvicorn calls `send_400_response`."""


def head_too_large_response(limit: int) -> bytes:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Request header fields too large",
            "status": 431,
            "detail": f"The request line and headers are larger than the {limit:,} bytes accepted.",
        }
    )
    lines = [
        b"HTTP/1.1 431 Request Header Fields Too Large",
        b"content-type: application/problem+json",
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
        *(name.encode() + b": " + value.encode() for name, value in ALWAYS.items()),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over `max_head_bytes` with a 431."""

    max_head_bytes = 16 * 1024

    def connection_made(self, transport: object) -> None:
        self._head_bytes = 0
        self._in_head = True
        self._head_too_large = False
        super().connection_made(transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        # Bytes received while a request's head is incomplete are all head bytes, except those of a chunk that
        # also completes it (it may carry the start of a body): those are measured in `on_headers_complete`.
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
            self._refuse()

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(name) + len(value) + _PER_HEADER for name, value in self.headers)
        if size > self.max_head_bytes:
            self._head_too_large = True
            raise HeadTooLarge
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            self._refuse()
            return
        super().send_400_response(msg)

    def _refuse(self) -> None:
        self.logger.warning("Request head over %d bytes refused (431).", self.max_head_bytes)
        self.transport.write(head_too_large_response(self.max_head_bytes))
        self.transport.close()


def bounded_protocol(max_head_bytes: int) -> type[BoundedHttpToolsProtocol]:
    """The protocol class for uvicorn's `http=` option, with this bound."""
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), {"max_head_bytes": max_head_bytes})


class SettingsBoundedHttpToolsProtocol(BoundedHttpToolsProtocol):
    """The bounded protocol with the bound from the settings (`CLAIMDB_MAX_HEADER_BYTES`), importable by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from api.settings import get_settings

        super().__init__(*args, **kwargs)
        self.max_head_bytes = get_settings().max_header_bytes


def served_app() -> FastAPI:
    """The app one server process serves, built from the environment's settings (uvicorn's app factory)."""
    from api.app import create_app
    from api.observability import configure_logging
    from api.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    # What is loaded now (modules, the app, prebuilt statements) lives as long as the process. Moved out of the
    # collector's sight, it is not traversed again by every full collection: those took about 50 ms here, a
    # pause for every request in flight (bench/README.md, load). Only the server does this: the test suite
    # builds many apps in one process, and frozen garbage is never collected.
    gc.freeze()
    return app
