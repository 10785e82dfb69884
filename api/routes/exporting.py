"""/v1/export/claims and /v1/claims/{id}/claimreview: claims out of claimdb."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api.database import Database
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.routes.claims import claim_filters
from api.routes.common import problems
from api.services import claims, exporting, geo_export
from api.settings import Settings

# One tag for claims in and out, as the OpenAPI document has always grouped them.
router = APIRouter(tags=["exchange"])


def _publisher(settings: Settings) -> exporting.Publisher:
    return exporting.Publisher(settings.publisher_name, settings.public_base_url)


@router.get(
    "/export/claims",
    response_class=StreamingResponse,
    responses={
        **problems(),
        200: {
            "description": "The claims, streamed: NDJSON lines, CSV rows, a JSON-LD array of ClaimReviews, a GeoJSON "
            "FeatureCollection or ACLED-style CSV rows.",
            "headers": {
                "X-Claimdb-Skipped-Places": {
                    "description": "Map formats: the places left out for want of coordinates.",
                    "schema": {"type": "integer"},
                }
            },
            "content": {media_type: {} for media_type in exporting.MEDIA_TYPES.values()},
        },
    },
)
def export_claims(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    query: Annotated[claims.ClaimQuery, Depends(claim_filters)],
    format: exporting.ExportFormat = exporting.ExportFormat.NDJSON,
) -> StreamingResponse:
    """Every claim matching the `GET /v1/claims` filters, streamed as NDJSON (re-importable), CSV, ClaimReview,
    GeoJSON (a Point feature per claim and place) or ACLED-style CSV; the map formats skip places without
    coordinates and count them in `X-Claimdb-Skipped-Places`."""
    exporting.check_export(session, query, settings.secret_key)
    headers = {"Content-Disposition": f'attachment; filename="claims.{exporting.FILE_EXTENSIONS[format]}"'}
    if format in exporting.MAP_FORMATS:
        headers["X-Claimdb-Skipped-Places"] = str(geo_export.count_skipped(session, query, settings.secret_key))
    database: Database = request.app.state.database
    publisher = _publisher(settings)

    # The request's session closes when this function returns; the stream reads through its own.
    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as stream_session:
            yield from exporting.export_chunks(stream_session, query, format, publisher, settings.secret_key)

    return StreamingResponse(chunks(), media_type=exporting.MEDIA_TYPES[format], headers=headers)


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
    review = exporting.claim_review(session, claim_id, _publisher(settings))
    return Response(exporting.embeddable_json(review), media_type="application/ld+json")
