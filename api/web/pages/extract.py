"""The extraction page: paste a report, review the claims `api.services.extraction` proposes, accept each one.

Extraction stores nothing and runs on a read-only session, as `POST /v1/extract` does. Accepting a candidate
records it through the same path as the post form (`record_claim`), so the same rules and messages apply.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import ReadSessionDep, SessionDep, SettingsDep
from api.schemas.extract import ExtractIn
from api.services import extraction, sources
from api.services.auth import Principal
from api.web.forms import FormErrors, present, values_of
from api.web.pages.claims import CLAIM_FORM_FIELDS, claim_form_page, record_claim
from api.web.pages.rendering import FormRefused, PageAnalystDep, page_router, render, source_choices
from api.web.session import FormDep, principal_of

router = page_router()

EXTRACT_FORM_FIELDS = ["text", "outlet", "published_at", "document_title", "url"]
# Carried by each candidate's forms so that its card can be drawn again after an accept; ignored when recording.
CARD_FIELDS = ["card", "source_matched", "speaker_role", "hedged"]


def _reader(request: Request, session: ReadSessionDep) -> Principal:
    # Authenticated on the read-only session too: on SQLite, a long extraction must not hold the writer's lock.
    return principal_of(request, session)


ReaderDep = Annotated[Principal, Depends(_reader)]


def _minute(value: Any) -> str:
    """A candidate's time as a `datetime-local` input value (UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M") if value is not None else ""


def _candidate_values(
    index: int, candidate: dict[str, Any], names: dict[uuid.UUID, str], extract_values: dict[str, str]
) -> dict[str, str]:
    """A candidate as the post form's fields: recorded sources by their recorded name, the rest as written."""

    def named(ref: dict[str, Any] | None) -> str:
        if ref is None:
            return ""
        return names.get(ref["source_id"], ref["name"]) if ref["source_id"] else str(ref["name"])

    speaker = candidate["speaker"]
    return {
        "statement": candidate["statement"],
        "quote": candidate["quote"] or "",
        "source": named(candidate["source"]),
        "speaker": named(speaker),
        "channel": str(candidate["channel"]),
        "channel_detail": candidate["channel_detail"] or "",
        "via": "\n".join(named(ref) for ref in candidate["via"]),
        "document_title": extract_values["document_title"],
        "url": extract_values["url"],
        "stated_at": _minute(candidate["stated_at"]),
        "stated_at_precision": str(candidate["stated_at_precision"] or "day"),
        # The event's window when the statement dates it; the form's times are to the minute.
        "event_start": _minute(candidate["event_start"]),
        "event_end": _minute(candidate["event_end"]),
        "event_precision": str(candidate["event_precision"] or ""),
        "places": ", ".join(candidate["places"]),
        "tags": "",
        "language": "",
        "idempotency_key": str(uuid.uuid4()),
        "card": f"candidate-{index}",
        "source_matched": "yes" if candidate["source"]["source_id"] else "",
        "speaker_role": (speaker or {}).get("role") or "",
        "hedged": "yes" if candidate["hedged"] else "",
    }


def _page(
    request: Request,
    session: Session,
    settings: Any,
    values: dict[str, str],
    errors: FormErrors,
    candidates: list[dict[str, str]] | None,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "candidates": candidates,
        "source_choices": source_choices(session, settings.secret_key),
        "card_fields": [*CLAIM_FORM_FIELDS, *CARD_FIELDS],
    }
    return render(request, "extract.html", context, errors.status if errors else 200)


@router.get("/extract")
def extract_page(request: Request, session: ReadSessionDep, settings: SettingsDep, _principal: ReaderDep) -> Response:
    """The page to paste a report's text and have its attributed claims proposed."""
    return _page(request, session, settings, {name: "" for name in EXTRACT_FORM_FIELDS}, FormErrors(), None)


@router.post("/extract")
def extract_submit(
    request: Request, session: ReadSessionDep, settings: SettingsDep, _principal: ReaderDep, form: FormDep
) -> Response:
    """Propose the report's claims (nothing is stored); each can then be accepted with one click."""
    values = values_of(form, EXTRACT_FORM_FIELDS)
    errors = FormErrors()
    try:
        # The form's `text` goes in as typed: candidates' spans index it exactly.
        body = ExtractIn.model_validate(
            present(
                {
                    "text": form.text("text").replace("\r\n", "\n") or None,
                    "published_at": form.get("published_at"),
                    "outlet": form.get("outlet"),
                    "url": form.get("url"),
                }
            )
        )
    except ValidationError as error:
        errors.add_validation(error)
        return _page(request, session, settings, values, errors, None)
    found = extraction.extract(session, body.text, published_at=body.published_at, outlet=body.outlet)
    matched = {
        ref["source_id"]
        for candidate in found
        for ref in [candidate["source"], candidate["speaker"], *candidate["via"]]
        if ref is not None and ref["source_id"] is not None
    }
    names = sources.names_of(session, matched)
    candidates = [_candidate_values(index, candidate, names, values) for index, candidate in enumerate(found)]
    return _page(request, session, settings, values, errors, candidates)


@router.post("/extract/accept")
def extract_accept(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageAnalystDep, form: FormDep
) -> Response:
    """Record one proposed claim as it stands; if something is missing, say what and offer the full form."""
    claim_id, errors, similar = record_claim(session, principal, form)
    swapped = bool(request.headers.get("HX-Request"))
    if claim_id is not None and not swapped:
        return RedirectResponse(f"/claims/{claim_id}", status_code=303)

    def card() -> Response:
        # htmx swaps this one card: recorded, or with the reasons it was not.
        context = {
            "candidate": values_of(form, [*CLAIM_FORM_FIELDS, *CARD_FIELDS]),
            "accepted": claim_id,
            "errors": errors,
            "card_fields": [*CLAIM_FORM_FIELDS, *CARD_FIELDS],
            "similar": similar,
            "resubmit": values_of(form, [*CLAIM_FORM_FIELDS, *CARD_FIELDS]),
            "resubmit_action": "/extract/accept",
        }
        return render(request, "_candidate.html", context, errors.status if errors else 200)

    if claim_id is not None or similar:
        return card()
    raise FormRefused(lambda fresh: card() if swapped else claim_form_page(request, fresh, settings, form, errors))
