"""The one error vocabulary of claimdb, rendered as RFC 9457 problem+json in one place.

    DomainError                  (any rule a request broke; never a stack trace)
    ├── InvalidInput        422  well-formed but names nothing real (an unknown source id, a bad cursor)
    ├── Unauthorized        401  no key, an unknown key or a revoked key
    ├── Forbidden           403  the actor's role may not, or four eyes refuses
    ├── NotFound            404
    ├── Conflict            409  a uniqueness clash or a move the workflow forbids
    ├── PreconditionFailed  412  If-Match names a version that is no longer current
    ├── PreconditionRequired 428 If-Match is missing where it is required
    ├── TooManyRequests     429  too many refused keys from one address (with Retry-After)
    ├── PayloadTooLarge     413
    └── ServiceUnavailable  503  a part of the service is not set up, or refuses to answer (the log's signing key)

Services raise these; `install_error_handlers` maps them, request validation errors and stray HTTP
exceptions to `application/problem+json`. Anything unexpected becomes a bare 500 problem, logged.
`NotModified` is no error: a conditional GET whose `If-None-Match` names the current answer, answered 304.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("claimdb.errors")


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, parameter: str | None = None, **extra: Any) -> None:
        if parameter is not None:
            extra["errors"] = [{"loc": [parameter], "msg": detail}]
        super().__init__(detail, **extra)


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(retry_after)


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


def problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's error list without the raw input, which may be large or hold what was just refused."""
    cleaned = []
    for error in errors:
        cleaned.append({"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": error.get("type")})
    return cleaned


def _unreadable_body(cause: BaseException) -> JSONResponse:
    reason = "is not valid UTF-8" if isinstance(cause, UnicodeDecodeError) else "could not be parsed"
    message = f"The request body {reason}."
    return problem_response(
        422, "Invalid input", message, errors=[{"loc": ["body"], "msg": message, "type": "body_unreadable"}]
    )


class NotModified(Exception):
    """What the client holds is current: 304 with the answer's `ETag` and no body (RFC 9110, 15.4.5)."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotModified)
    async def on_not_modified(_request: Request, unchanged: NotModified) -> Response:
        return Response(status_code=304, headers={"ETag": unchanged.tag})

    @app.exception_handler(DomainError)
    async def on_domain_error(_request: Request, error: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer", **error.headers} if error.status == 401 else error.headers
        return problem_response(error.status, error.title, error.detail, headers=headers or None, **error.extra)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(error.errors())
        where = ", ".join(".".join(str(part) for part in item["loc"]) for item in errors[:5])
        return problem_response(422, "Invalid input", f"The request is not valid: {where}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and error.__cause__ is not None:
            # FastAPI answers 400 when a body cannot be parsed at all (JSON that is not UTF-8 above all), a
            # status no operation documents: it is malformed input, the 422 every operation documents.
            return _unreadable_body(error.__cause__)
        title = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}.get(error.status_code, "Error")
        return problem_response(error.status_code, title, str(error.detail), headers=dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal server error", "The server failed; the error has been logged.")
