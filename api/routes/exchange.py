"""/v1/import, /v1/export/claims and /v1/claims/{id}/claimreview: claims in and out of claimdb."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from api.database import Database
from api.deps import AdminDep, PrincipalDep, SessionDep, SettingsDep
from api.routes.claims import claim_filters
from api.routes.common import problems
from api.schemas.exchange import ImportSummaryOut
from api.services import claims, exchange
from api.settings import Settings

router = APIRouter(tags=["exchange"])


def _publisher(settings: Settings) -> exchange.Publisher:
    return exchange.Publisher(settings.publisher_name, settings.public_base_url)


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
    upload = await exchange.spool_upload(request.stream(), settings.max_import_bytes)
    with upload:
        # The import is long, blocking database work: run it off the event loop.
        summary = await run_in_threadpool(exchange.import_claims, session, actor, upload)
    return asdict(summary)


@router.get(
    "/export/claims",
    response_class=StreamingResponse,
    responses={
        **problems(),
        200: {
            "description": "The claims, streamed: NDJSON lines, CSV rows or a JSON-LD array of ClaimReviews.",
            "content": {media_type: {} for media_type in exchange.MEDIA_TYPES.values()},
        },
    },
)
def export_claims(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    query: Annotated[claims.ClaimQuery, Depends(claim_filters)],
    format: exchange.ExportFormat = exchange.ExportFormat.NDJSON,
) -> StreamingResponse:
    """Every claim matching the `GET /v1/claims` filters, streamed as NDJSON (re-importable), CSV or ClaimReview."""
    exchange.check_export(session, query, settings.secret_key)
    database: Database = request.app.state.database
    publisher = _publisher(settings)

    # The request's session closes when this function returns; the stream reads through its own.
    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as stream_session:
            yield from exchange.export_chunks(stream_session, query, format, publisher, settings.secret_key)

    filename = f"claims.{exchange.FILE_EXTENSIONS[format]}"
    return StreamingResponse(
        chunks(),
        media_type=exchange.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/claims/{claim_id}/claimreview",
    response_class=JSONResponse,
    responses={**problems(404), 200: {"content": {"application/ld+json": {}}}},
)
def claim_review(claim_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _actor: PrincipalDep) -> Response:
    """The claim's schema.org ClaimReview (JSON-LD); 404 until it has a reviewed status or is retracted.

    `<`, `>` and `&` are written as `\\u003c`, `\\u003e` and `\\u0026`, so the answer can be pasted into a
    `<script type="application/ld+json">` block as it is.
    """
    review = exchange.claim_review(session, claim_id, _publisher(settings))
    return Response(exchange.embeddable_json(review), media_type="application/ld+json")
