"""The desk's claim pages: the list, the post form, one claim with its review, evidence and link forms.

The pages hold no rules: the list parses the API's own filter model, documents are found or created by their
service, the moves offered are the workflow's (`workflow.moves_for`), and a refused form is raised as
`FormRefused`, so that its transaction is rolled back before the form is drawn again.

One module, a little over 400 lines: the claim page's forms (review, evidence, links) post back to the claim
page and share its loading and drawing, so splitting them would scatter one page over several files.
"""

from __future__ import annotations

import uuid
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.errors import DomainError, InvalidInput, NotFound, PreconditionFailed
from api.schemas.claims import (
    ClaimFilters,
    ClaimIn,
    ClaimPage,
    ClaimPatch,
    ClaimSort,
    EvidenceIn,
    LinkIn,
    StatusChangeIn,
)
from api.schemas.common import MAX_LIMIT, ascii_integer
from api.schemas.documents import DocumentIn
from api.services import claims, documents, sources, times, workflow
from api.services.auth import Principal
from api.services.matching import matcher
from api.services.matching import related as matching_related
from api.services.matching.matcher import CandidateDict
from api.services.matching.scoring import SUGGESTION_THRESHOLD
from api.web import views
from api.web.forms import FormErrors, present, split_lines, split_list, utc_time, values_of, version_of
from api.web.pages.rendering import (
    LIST_LIMIT,
    FormRefused,
    PageAnalystDep,
    page_link,
    page_router,
    render,
    source_choices,
)
from api.web.session import FormDep, PageForm, PagePrincipalDep
from models.vocabulary import Channel, EventPrecision, EvidenceKind, LinkKind, Precision, Stance, Status

router = page_router()

CLAIM_FORM_FIELDS = [
    "statement",
    "quote",
    "source",
    "speaker",
    "channel",
    "channel_detail",
    "via",
    "document_title",
    "url",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "event_precision",
    "places",
    "tags",
    "language",
    "idempotency_key",
]
EVIDENCE_FORM_FIELDS = ["stance", "kind", "url", "note", "provided_by", "related_claim_id"]
# The filters the list page shows back in its form.
_SHOWN_FILTERS = (
    "source", "place", "tag", "q", "stated_from", "stated_to", "recorded_from", "recorded_to", "as_of", "cursor",
    "channel", "sort", "limit",
)  # fmt: skip


def _whole_history(session: Session, claim_id: uuid.UUID, secret: str) -> list[dict[str, Any]]:
    """Every event of the claim, oldest first, read page by page as the API serves them (for the timeline)."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        page, cursor = claims.history(session, claim_id, limit=MAX_LIMIT, cursor=cursor, secret=secret)
        events.extend(page)
        if cursor is None:
            return events


def _claim_query(request: Request, errors: FormErrors) -> claims.ClaimQuery | None:
    """The `GET /v1/claims` filters from the page's query string, by the API's own filter model (names, limits
    and messages); None when one is malformed."""
    params = request.query_params
    raw: dict[str, Any] = {name: params.get(name) or None for name in _SINGLE_FILTERS}
    raw["source"] = [value for value in params.getlist("source") if value.strip()]
    raw["status"] = params.getlist("status")
    raw["include_children"] = params.get("include_children") in ("true", "on", "1")
    raw["sort"] = params.get("sort") or "-stated_at"
    limit_text = params.get("limit") or str(LIST_LIMIT)
    try:
        filters = ClaimFilters.model_validate(raw)
        page = ClaimPage.model_validate(
            {"limit": ascii_integer(limit_text) or limit_text, "cursor": params.get("cursor") or None}
        )
        return claims.query_of(filters, limit=page.limit, cursor=page.cursor)
    except ValidationError as error:
        errors.add_validation(error)
    except InvalidInput as error:
        errors.add_domain(error)
    return None


# The filters the claim list form sends as single values (the rest are lists or flags).
_SINGLE_FILTERS = (
    "channel", "place", "tag", "stated_from", "stated_to", "recorded_from", "recorded_to", "as_of", "q", "basis_holds",
    "near", "radius_km", "bbox", "region", "event_from", "event_to",
)  # fmt: skip


@router.get("/claims")
def claim_list(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """Claims with the API's filters (source by name or alias, status, place, tag, dates, text), keyset-paged."""
    errors = FormErrors()
    query = _claim_query(request, errors)
    items: list[claims.ClaimDict] = []
    next_cursor = None
    if query is not None:
        try:
            items, next_cursor = claims.list_claims(session, query, settings.secret_key)
        except InvalidInput as error:
            errors.add_domain(error)
    params = request.query_params
    context = {
        "items": items,
        "next_link": page_link(request, next_cursor),
        "first_link": f"{request.url.path}?{urlencode([(k, v) for k, v in params.multi_items() if k != 'cursor'])}"
        if params.get("cursor")
        else None,
        "errors": errors,
        "filters": {name: params.get(name, "") for name in _SHOWN_FILTERS},
        "chosen_statuses": params.getlist("status"),
        "include_children": params.get("include_children") in ("true", "on", "1"),
        "channels": [channel.value for channel in Channel],
        "sorts": get_args(ClaimSort),
        "source_choices": source_choices(session, settings.secret_key),
    }
    status_code = 422 if errors else 200
    # htmx asks for the results alone when a filter changes; everything else gets the whole page.
    if request.headers.get("HX-Target") == "claim-results" and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "_claim_results.html", context, status_code)
    return render(request, "claims.html", context, status_code)


def _claim_form_context(
    session: Session, settings: Any, values: dict[str, Any], errors: FormErrors | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or FormErrors(),
        "channels": [channel.value for channel in Channel],
        "precisions": [precision.value for precision in Precision],
        "event_precisions": [precision.value for precision in EventPrecision],
        "source_choices": source_choices(session, settings.secret_key),
    }


@router.get("/claims/new")
def new_claim_page(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageAnalystDep
) -> HTMLResponse:
    """The form to post a claim with its attribution."""
    values = {name: "" for name in CLAIM_FORM_FIELDS}
    # The form's own Idempotency-Key: submitting it twice (a double click, a resend) records one claim.
    values.update(
        channel=Channel.STATEMENT.value, stated_at_precision=Precision.DAY.value, idempotency_key=str(uuid.uuid4())
    )
    return render(request, "claim_new.html", _claim_form_context(session, settings, values))


def _resolve(session: Session, value: str | None, parameter: str, field: str, errors: FormErrors) -> uuid.UUID | None:
    """A source typed by name or alias (or id), resolved as the claim list's `source` filter resolves it."""
    if value is None:
        return None
    try:
        return sources.resolve_reference(session, value, parameter)
    except InvalidInput as error:
        errors.add(field, error.detail)
        return None


# What a form's submit button asks for after "already recorded?": post it as it is, or post it linked.
_POST_ANYWAY = "post"
_LINK_INTENTS = (LinkKind.DUPLICATES.value, LinkKind.CORROBORATES.value)


def record_claim(
    session: Session, principal: Principal, form: PageForm
) -> tuple[uuid.UUID | None, FormErrors, list[CandidateDict]]:
    """Record the claim a form describes (the post form, or an accepted extraction), or say what is wrong, or
    what it may repeat.

    A first submission whose statement matches recorded claims at the suggestion threshold records nothing and
    answers them (third item): the analyst then links the new claim to one (`intent` duplicates or corroborates,
    `link_to`), or posts it anyway (`intent` post). A caller that shows the form again raises `FormRefused`, so
    that the request's transaction is rolled back and nothing of a refused form is kept, not even the report it
    would have recorded.
    """
    errors = FormErrors()
    source_id = _resolve(session, form.get("source"), "source_id", "source", errors)
    speaker_id = _resolve(session, form.get("speaker"), "speaker_id", "speaker", errors)
    via = [
        _resolve(session, name, f"via.{index}", "via", errors)
        for index, name in enumerate(split_lines(form.get("via")))
    ]
    payload = {
        "statement": form.get("statement"),
        "quote": form.get("quote"),
        "source_id": source_id,
        "speaker_id": speaker_id,
        "channel": form.get("channel"),
        "channel_detail": form.get("channel_detail"),
        "via": [item for item in via if item is not None],
        "stated_at": utc_time(form.get("stated_at")),
        "stated_at_precision": form.get("stated_at_precision") or Precision.DAY.value,
        "event_start": utc_time(form.get("event_start")),
        "event_end": utc_time(form.get("event_end")),
        "event_precision": form.get("event_precision"),
        "places": split_list(form.get("places")),
        "tags": split_list(form.get("tags")),
        "language": form.get("language"),
    }
    body: ClaimIn | None = None
    try:
        body = ClaimIn.model_validate(present(payload))
    except ValidationError as error:
        errors.add_validation(error)
    # A reference already reported as unknown would otherwise be reported again as missing.
    for field in ("source", "speaker"):
        if len(errors.fields.get(field, [])) > 1:
            errors.fields[field] = errors.fields[field][:1]
    document: DocumentIn | None = None
    if form.get("document_title") or form.get("url"):
        try:
            document = DocumentIn.model_validate(present({"title": form.get("document_title"), "url": form.get("url")}))
        except ValidationError as error:
            errors.add_validation(error)
    intent = form.get("intent")
    # A resent form (a double click) answers the claim it recorded, as the API does, not "already recorded?".
    repeated = claims.is_repeated_post(session, principal, form.get("idempotency_key"))
    if body is not None and not errors and not repeated and intent not in (_POST_ANYWAY, *_LINK_INTENTS):
        similar = matcher.match(session, matcher.request_of(body, matcher.SIMILAR_LIMIT), minimum=SUGGESTION_THRESHOLD)
        if similar:
            return None, errors, similar
    if body is not None and not errors:
        try:
            if document is not None:
                body = body.model_copy(
                    update={"document_id": documents.find_or_create_document(session, principal, document)}
                )
            claim_id, _created = claims.create_claim(session, principal, body, form.get("idempotency_key"))
            if intent in _LINK_INTENTS:
                link = LinkIn.model_validate({"kind": intent, "to_claim": form.get("link_to")})
                claims.add_link(session, principal, claim_id, link)
        except DomainError as error:
            errors.add_domain(error)
        except ValidationError as error:
            errors.add_validation(error)
        else:
            return claim_id, errors, []
    return None, errors, []


def claim_form_page(
    request: Request,
    session: Session,
    settings: Any,
    form: PageForm,
    errors: FormErrors | None = None,
    similar: list[CandidateDict] | None = None,
) -> HTMLResponse:
    """The post form again, filled in as submitted, with the errors (if any) beside the fields, and the claims it
    may repeat ("already recorded?") above it."""
    values = values_of(form, CLAIM_FORM_FIELDS)
    if not values["idempotency_key"]:
        values["idempotency_key"] = str(uuid.uuid4())
    status_code = errors.status if errors else 200
    context = _claim_form_context(session, settings, values, errors)
    context.update(similar=similar or [], resubmit=values, resubmit_action="/claims/new")
    return render(request, "claim_new.html", context, status_code)


@router.post("/claims/new")
def new_claim_submit(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageAnalystDep, form: FormDep
) -> Response:
    """Record a claim from the form, with the API's validation messages beside the fields."""
    if form.get("intent") == "edit":
        # "Edit first" from the extraction page: show the candidate in the form; record nothing yet.
        return claim_form_page(request, session, settings, form)
    claim_id, errors, similar = record_claim(session, principal, form)
    if claim_id is not None:
        return RedirectResponse(f"/claims/{claim_id}", status_code=303)
    if similar:
        return claim_form_page(request, session, settings, form, errors, similar)
    raise FormRefused(lambda fresh: claim_form_page(request, fresh, settings, form, errors))


def _claim_context(
    session: Session,
    settings: Any,
    principal: Principal,
    claim_id: uuid.UUID,
    as_of_text: str | None = None,
) -> dict[str, Any]:
    """Everything the claim page shows: the record (as of a time, if asked), its chain, evidence, links, ledger."""
    as_of_error = None
    as_of = None
    try:
        as_of = times.parse_time_bound(as_of_text, "as_of", end_of_day=True)
    except InvalidInput as error:
        as_of_error = error.detail
    current = claims.get_claim(session, claim_id)
    claim = current
    if as_of is not None:
        try:
            claim = claims.get_claim(session, claim_id, as_of)
        except NotFound:
            as_of_error = f"The claim was not yet recorded on {views.format_time(as_of)}; shown as it is now."
            as_of = None
    outlet = None
    if claim["document"] is not None:
        outlet = documents.get_document(session, claim["document"]["id"])["outlet"]
    speaker_role = sources.get_source(session, claim["speaker"]["id"])["role"] if claim["speaker"] else None
    source = sources.get_source(session, claim["source"]["id"])
    events = _whole_history(session, claim_id, settings.secret_key)
    shown_events = [event for event in events if as_of is None or event["at"] <= as_of]
    linked = {item["id"]: item for item in claims.describe(session, [link["claim_id"] for link in claim["links"]])}
    related = matching_related.related(session, claim_id)
    moves = workflow.moves_for(principal, Status(current["status"]), current["created_by"])
    return {
        "claim": claim,
        "current": current,
        "as_of": as_of,
        "as_of_text": as_of_text or "",
        "as_of_error": as_of_error,
        "attribution": views.attribution(claim, outlet, speaker_role),
        "verdict": views.verdict_words(claim["verdict"]),
        "speaker_role": speaker_role,
        "source": source,
        "timeline": views.timeline(shown_events),
        "later_events": len(events) - len(shown_events),
        "linked": linked,
        "related": related,
        "targets": [target.value for target in moves.targets],
        "four_eyes": [target.value for target in moves.four_eyes],
        "stances": [stance.value for stance in Stance],
        "evidence_kinds": [kind.value for kind in EvidenceKind],
        "link_kinds": [kind.value for kind in LinkKind],
        "source_choices": source_choices(session, settings.secret_key),
        "status_form": {"values": {"status": "", "rationale": ""}, "errors": FormErrors(), "stale": None},
        "evidence_form": {"values": {name: "" for name in EVIDENCE_FORM_FIELDS}, "errors": FormErrors()},
        "link_form": {"values": {"kind": "", "to_claim": ""}, "errors": FormErrors()},
    }


@router.get("/claims/{claim_id}")
def claim_page(
    claim_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    as_of: str | None = None,
) -> HTMLResponse:
    """One claim: statement, quote, attribution in words, evidence, links, its ledger; `as_of` shows it then."""
    return render(request, "claim.html", _claim_context(session, settings, principal, claim_id, as_of or None))


@router.post("/claims/{claim_id}/places/{position}")
def claim_place_submit(
    claim_id: uuid.UUID,
    position: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageAnalystDep,
    form: FormDep,
) -> Response:
    """Choose which place an ambiguous name means: an amendment of the claim's places (the names stay as written,
    so a judged claim is not reopened), with the form's version as the If-Match."""
    errors = FormErrors()
    try:
        current = claims.get_claim(session, claim_id)
        if not 0 <= position < len(current["places"]):
            raise NotFound(f"The claim has no place at position {position}.")
        chosen = uuid.UUID(str(form.get("place_id") or ""))
        places: list[Any] = [
            {"name": place["name"], "place_id": place["place_id"], "precision": place["precision"]}
            if place["place_id"]
            else place["name"]
            for place in current["places"]
        ]
        places[position] = {"name": current["places"][position]["name"], "place_id": chosen}
        claims.amend_claim(session, principal, claim_id, ClaimPatch(places=places), version_of(form))
    except ValueError:
        errors.add_domain(InvalidInput("Choose one of the places offered.", parameter="place_id"))
    except DomainError as error:
        errors.add_domain(error)
    else:
        return RedirectResponse(f"/claims/{claim_id}", status_code=303)

    def page(fresh: Session) -> Response:
        context = _claim_context(fresh, settings, principal, claim_id)
        context["place_errors"] = errors
        return render(request, "claim.html", context, errors.status)

    raise FormRefused(page)


@router.post("/claims/{claim_id}/status")
def claim_status_submit(
    claim_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageAnalystDep,
    form: FormDep,
) -> Response:
    """Move the claim through review; the form's version is the If-Match, so a stale form is caught and explained."""
    errors = FormErrors()
    expected_version = version_of(form)
    stale = None
    try:
        body = StatusChangeIn.model_validate(
            present(
                {
                    "status": form.get("status"),
                    "rationale": form.get("rationale"),
                    "evidence_ids": form.getlist("evidence_ids") or None,
                }
            )
        )
        workflow.change_status(
            session, principal, claim_id, body.status, body.rationale, body.evidence_ids, expected_version
        )
    except ValidationError as error:
        errors.add_validation(error)
    except PreconditionFailed as error:
        errors.add_domain(error)
        stale = expected_version
    except DomainError as error:
        errors.add_domain(error)
    else:
        return RedirectResponse(f"/claims/{claim_id}", status_code=303)

    def page(fresh: Session) -> Response:
        context = _claim_context(fresh, settings, principal, claim_id)
        if stale is not None:
            # Each event about a claim raises its version by one from 1 at creation, so the events the reader
            # has not seen are those after the first `stale` ones.
            unseen = _whole_history(fresh, claim_id, settings.secret_key)[stale:]
            context["status_form"]["stale"] = views.timeline(unseen)
        context["status_form"]["values"] = values_of(form, ["status", "rationale"])
        context["status_form"]["errors"] = errors
        return render(request, "claim.html", context, errors.status)

    raise FormRefused(page)


@router.post("/claims/{claim_id}/evidence")
def claim_evidence_submit(
    claim_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageAnalystDep,
    form: FormDep,
) -> Response:
    """Attach an evidence item; its provider, typed by name or alias, decides whether it is independent."""
    errors = FormErrors()
    provider_id = _resolve(session, form.get("provided_by"), "provided_by_source_id", "provided_by", errors)
    try:
        body = EvidenceIn.model_validate(
            present(
                {
                    "stance": form.get("stance"),
                    "kind": form.get("kind"),
                    "url": form.get("url"),
                    "note": form.get("note"),
                    "provided_by_source_id": provider_id,
                    "related_claim_id": form.get("related_claim_id"),
                }
            )
        )
        if not errors:
            claims.add_evidence(session, principal, claim_id, body)
    except ValidationError as error:
        errors.add_validation(error)
    except DomainError as error:
        errors.add_domain(error)
    if not errors:
        return RedirectResponse(f"/claims/{claim_id}#evidence", status_code=303)

    def page(fresh: Session) -> Response:
        context = _claim_context(fresh, settings, principal, claim_id)
        context["evidence_form"] = {"values": values_of(form, EVIDENCE_FORM_FIELDS), "errors": errors}
        return render(request, "claim.html", context, errors.status)

    raise FormRefused(page)


@router.post("/claims/{claim_id}/links")
def claim_link_submit(
    claim_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageAnalystDep,
    form: FormDep,
) -> Response:
    """Link the claim to another one: corroborates, contradicts, duplicates or supersedes."""
    errors = FormErrors()
    try:
        body = LinkIn.model_validate(present({"kind": form.get("kind"), "to_claim": form.get("to_claim")}))
        claims.add_link(session, principal, claim_id, body)
    except ValidationError as error:
        errors.add_validation(error)
    except DomainError as error:
        errors.add_domain(error)
    else:
        return RedirectResponse(f"/claims/{claim_id}#links", status_code=303)

    def page(fresh: Session) -> Response:
        context = _claim_context(fresh, settings, principal, claim_id)
        context["link_form"] = {"values": values_of(form, ["kind", "to_claim"]), "errors": errors}
        return render(request, "claim.html", context, errors.status)

    raise FormRefused(page)
