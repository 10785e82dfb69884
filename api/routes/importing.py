"""/v1/import: claims into claimdb, from NDJSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import AdminDep, SessionDep, SettingsDep
from api.routes.common import problems
from api.schemas.importing import ImportSummaryOut
from api.services import importing

# One tag for claims in and out, as the OpenAPI document has always grouped them.
router = APIRouter(tags=["exchange"])


@router.post("/import", response_model=ImportSummaryOut, responses=problems(403, 413))
async def import_claims(
    request: Request, session: SessionDep, actor: AdminDep, settings: SettingsDep
) -> dict[str, Any]:
    """Import claims from NDJSON (admin), all or nothing; lines whose external_id is known are left unchanged.

    The body is one JSON object a line: the lines `GET /v1/export/claims?format=ndjson` writes, or the minimal
    `{"statement", "source": {"name", "kind"}, "channel", "stated_at"}` (`stated_at_precision` defaults to
    `day`; a bare date is midnight UTC). Sources — `source`, `speaker` and each of `via` — are
    `{"name", "kind"?, "aliases"?, "reliability"?}`, found by name or alias, and created with their kind
    when new. `document` is `{"url", "title"?}`, found by URL, created with its title when new (without a URL,
    always new). `status` (default `claimed`) and `status_changed_at` are kept; `id`, `credibility` and
    `created_at` are ignored. A line without `external_id` uses its `id`, else one derived from its
    statement, source, channel and time, so importing a file twice creates nothing the second time.
    Any bad line rejects the whole batch with a 422 listing up to 100 bad lines (`errors[].line`, 1-based,
    and `errors[].reason`); nothing is written. Bodies over `CLAIMDB_MAX_IMPORT_BYTES` are a 413.
    """
    upload = await importing.spool_upload(request.stream(), settings.max_import_bytes)
    with upload:
        # The import is long, blocking database work: run it off the event loop.
        summary = await run_in_threadpool(importing.import_claims, session, actor, upload)
    return asdict(summary)
