"""What every route shares: the documented problem responses."""

from __future__ import annotations

from typing import Any

from api.errors import PROBLEM_MEDIA_TYPE
from api.schemas.common import Problem

_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role may not do this.",
    404: "Nothing has that id.",
    409: "A conflict with existing data or with the workflow.",
    412: "If-Match names a version that is no longer current.",
    413: "The request body is larger than allowed.",
    422: "The input is malformed or names nothing that exists.",
    428: "If-Match is required.",
    503: "The database is unreachable or not migrated.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these problem status codes (401 and 422 are always possible)."""
    documented = sorted({401, 422, *codes})
    return {
        code: {"model": Problem, "description": _DESCRIPTIONS[code], "content": {PROBLEM_MEDIA_TYPE: {}}}
        for code in documented
    }
