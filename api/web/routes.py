"""The analyst's desk: server-rendered pages over the same services as `/v1`.

Routes here parse a query or a form, call the services in `api/services` (which hold every rule, roles
included), and render a template. Every page reads without JavaScript; htmx, when present, swaps the claim
list and the source suggestions in place. None of these routes is part of the OpenAPI document.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep, authenticate_counted
from api.errors import DomainError, InvalidInput, NotFound, PreconditionFailed, TooManyRequests, Unauthorized
from api.schemas.claims import ClaimIn, EvidenceIn, LinkIn, StatusChangeIn
from api.schemas.common import ascii_integer
from api.schemas.documents import DocumentIn
from api.services import claims, documents, parties, sources, workflow
from api.services.auth import Principal, require_role
from api.services.pagination import MAX_LIMIT
from api.web import views
from api.web.forms import FormErrors, present, split_lines, split_list, utc_time, values_of, version_of
from api.web.middleware import is_page_path
from api.web.session import (
    FormDep,
    PageForm,
    PagePrincipalDep,
    SignInRequired,
    csrf_token,
    sign_in,
    sign_out,
)
from models.vocabulary import Channel, EvidenceKind, LinkKind, Precision, Role, SourceKind, Stance, Status

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    # A misspelt name in a template fails the test that renders it, instead of printing nothing.
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals.update(
    status_info=views.STATUS_INFO,
    status_order=views.STATUS_ORDER,
    reliability_words=views.RELIABILITY_WORDS,
    credibility_words=views.CREDIBILITY_WORDS,
    precision_words=views.PRECISION_WORDS,
    channel_words=views.CHANNEL_WORDS,
    chart=views,
)
TEMPLATES.filters.update(words=views.words, when=views.format_time, duration=views.duration, share=views.share)

LIST_LIMIT = 25
SUGGESTION_LIMIT = 15
CLAIM_SORTS = ("-stated_at", "stated_at", "-recorded_at", "relevance")
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
    "places",
    "tags",
    "language",
    "idempotency_key",
]
EVIDENCE_FORM_FIELDS = ["stance", "kind", "url", "note", "provided_by", "related_claim_id"]
# Query parameters of the claim list, with the longest value each accepts (as `GET /v1/claims`).
CLAIM_FILTER_LIMITS = {
    "source": 300,
    "place": 300,
    "tag": 100,
    "q": 500,
    "stated_from": 40,
    "stated_to": 40,
    "recorded_from": 40,
    "recorded_to": 40,
    "as_of": 40,
    "cursor": 1000,
}


# ---- rendering and errors --------------------------------------------------------------------------


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page, with what every page needs: who is signed in, what they may do, and the form token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    common = {
        "request": request,
        "principal": principal,
        "can_write": principal is not None and principal.has_role(Role.ANALYST),
        "csrf_token": csrf_token(request),
    }
    body = TEMPLATES.get_template(template).render({**common, **context})
    return HTMLResponse(body, status_code=status_code)


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/signin?" + urlencode({"next": target if request.method == "GET" else "/claims"})
    if request.headers.get("HX-Request"):
        # An htmx request would follow a 303 and swap the sign-in page into a fragment: send the whole page there.
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """A page route: a refusal or a missing sign-in becomes a page, never problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return _sign_in_redirect(request)
            except DomainError as error:
                return render(request, "error.html", {"title": error.title, "detail": error.detail}, error.status)
            except RequestValidationError:
                detail = "This address names nothing claimdb holds."
                return render(request, "error.html", {"title": "Not found", "detail": detail}, 404)

        return handle


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _require_analyst(principal: PagePrincipalDep) -> Principal:
    # The same early gate as the API's AnalystDep: a viewer's forged form is refused before its fields are read.
    require_role(principal, Role.ANALYST, "This operation")
    return principal


PageAnalystDep = Annotated[Principal, Depends(_require_analyst)]


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of this desk only, so the sign-in cannot redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/claims"
    return target if is_page_path(urlsplit(target).path) else "/claims"


def source_choices(session: Session, secret: str) -> list[dict[str, Any]]:
    """The sources offered before anything is typed (most claims first): type-ahead works without JavaScript."""
    items, _next = sources.list_sources(
        session, secret=secret, kind=None, q=None, sort="-claims", limit=50, cursor=None
    )
    return items


# ---- signing in and out ----------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    """The desk's front door: the claim list."""
    return RedirectResponse("/claims", status_code=303)


@router.get("/signin")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    """The sign-in page: the analyst pastes an API key."""
    return render(request, "signin.html", {"next": _safe_next(next), "error": None})


@router.post("/signin")
def sign_in_submit(request: Request, session: SessionDep, settings: SettingsDep, form: FormDep) -> Response:
    """Check the pasted key and start a session on the server; the cookie holds the session's random id only."""
    api_key = form.get("api_key")
    target = _safe_next(form.get("next"))
    try:
        # Refused keys count against the address as on the API: past the limit, a 429 with Retry-After.
        principal = authenticate_counted(request, session, api_key)
    except Unauthorized as error:
        return render(request, "signin.html", {"next": target, "error": error.detail}, 401)
    except TooManyRequests as error:
        page = render(request, "signin.html", {"next": target, "error": error.detail}, 429)
        page.headers.update(error.headers)
        return page
    sign_in(request, session, api_key or "", settings.session_max_age_seconds)
    request.state.principal = principal
    return RedirectResponse(target, status_code=303)


@router.post("/signout")
def sign_out_submit(request: Request, session: SessionDep, _form: FormDep) -> Response:
    """End the session: deleted on the server, so no copy of the cookie works again; the cookie is cleared."""
    sign_out(request, session)
    return RedirectResponse("/signin", status_code=303)


# ---- claims ----------------------------------------------------------------------------------------


def _claim_query(request: Request, errors: FormErrors) -> claims.ClaimQuery | None:
    """The `GET /v1/claims` filters from the page's query string; None when one is malformed."""
    params = request.query_params
    for name, limit in CLAIM_FILTER_LIMITS.items():
        for value in params.getlist(name):
            if len(value) > limit:
                errors.add(name, f"String should have at most {limit} characters")
    statuses = []
    for value in params.getlist("status"):
        if value not in views.STATUS_INFO:
            errors.add("status", f"{value!r} is not a status.")
        else:
            statuses.append(Status(value))
    channel = params.get("channel") or None
    if channel is not None and channel not in {item.value for item in Channel}:
        errors.add("channel", f"{channel!r} is not a channel.")
    sort = params.get("sort") or "-stated_at"
    if sort not in CLAIM_SORTS:
        errors.add("sort", f"{sort!r} is not a sort order.")
    limit = ascii_integer(params.get("limit") or str(LIST_LIMIT)) or 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.add("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    times = {}
    for name in ("stated_from", "stated_to", "recorded_from", "recorded_to", "as_of"):
        try:
            times[name] = claims.parse_time_bound(
                params.get(name) or None, name, end_of_day=name.endswith("_to") or name == "as_of"
            )
        except InvalidInput as error:
            errors.add_domain(error)
    if errors:
        return None
    return claims.ClaimQuery(
        sources=[value for value in params.getlist("source") if value.strip()],
        include_children=params.get("include_children") in ("true", "on", "1"),
        statuses=statuses,
        channel=channel,
        place=params.get("place") or None,
        tag=params.get("tag") or None,
        q=params.get("q") or None,
        sort=sort,
        limit=limit,
        cursor=params.get("cursor") or None,
        basis_holds=None,
        **times,
    )


def _page_link(request: Request, cursor: str | None) -> str | None:
    """This list's address for the page after `cursor`, with every filter kept."""
    if cursor is None:
        return None
    pairs = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor" and value]
    return f"{request.url.path}?{urlencode([*pairs, ('cursor', cursor)])}"


@router.get("/claims")
def claim_list(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """Claims with the API's filters (source by name or alias, status, place, tag, dates, text), keyset-paged."""
    errors = FormErrors()
    query = _claim_query(request, errors)
    items: list[dict[str, Any]] = []
    next_cursor = None
    if query is not None:
        try:
            items, next_cursor = claims.list_claims(session, query, settings.secret_key)
        except InvalidInput as error:
            errors.add_domain(error)
    params = request.query_params
    context = {
        "items": items,
        "next_link": _page_link(request, next_cursor),
        "first_link": f"{request.url.path}?{urlencode([(k, v) for k, v in params.multi_items() if k != 'cursor'])}"
        if params.get("cursor")
        else None,
        "errors": errors,
        "filters": {name: params.get(name, "") for name in (*CLAIM_FILTER_LIMITS, "channel", "sort", "limit")},
        "chosen_statuses": params.getlist("status"),
        "include_children": params.get("include_children") in ("true", "on", "1"),
        "channels": [channel.value for channel in Channel],
        "sorts": CLAIM_SORTS,
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


def record_claim(session: Session, principal: Principal, form: PageForm) -> tuple[uuid.UUID | None, FormErrors]:
    """Record the claim a form describes (the post form, or an accepted extraction), or say what is wrong.

    On any error the transaction is rolled back, so nothing of a refused form is kept, not even the report it
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
    if body is not None and not errors:
        try:
            if document is not None:
                body = body.model_copy(update={"document_id": _document_id(session, principal, document)})
            claim_id, _created = claims.create_claim(session, principal, body, form.get("idempotency_key"))
        except DomainError as error:
            errors.add_domain(error)
        else:
            return claim_id, errors
    session.rollback()
    return None, errors


def claim_form_page(
    request: Request, session: Session, settings: Any, form: PageForm, errors: FormErrors | None = None
) -> HTMLResponse:
    """The post form again, filled in as submitted, with the errors (if any) beside the fields."""
    values = values_of(form, CLAIM_FORM_FIELDS)
    if not values["idempotency_key"]:
        values["idempotency_key"] = str(uuid.uuid4())
    status_code = errors.status if errors else 200
    return render(request, "claim_new.html", _claim_form_context(session, settings, values, errors), status_code)


@router.post("/claims/new")
def new_claim_submit(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageAnalystDep, form: FormDep
) -> Response:
    """Record a claim from the form, with the API's validation messages beside the fields."""
    if form.get("intent") == "edit":
        # "Edit first" from the extraction page: show the candidate in the form; record nothing yet.
        return claim_form_page(request, session, settings, form)
    claim_id, errors = record_claim(session, principal, form)
    if claim_id is not None:
        return RedirectResponse(f"/claims/{claim_id}", status_code=303)
    return claim_form_page(request, session, settings, form, errors)


def _document_id(session: Session, principal: Principal, document: DocumentIn) -> uuid.UUID:
    """The report's id: recorded now, or the one already recorded with this URL (the API's 409 names it)."""
    try:
        return documents.create_document(session, principal, document)
    except DomainError as error:
        existing = error.extra.get("document_id")
        if error.status != 409 or existing is None:
            raise
        return uuid.UUID(existing)


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
        as_of = claims.parse_time_bound(as_of_text, "as_of", end_of_day=True)
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
    events = claims.history(session, claim_id)
    shown_events = [event for event in events if as_of is None or event["at"] <= as_of]
    linked = {item["id"]: item for item in claims.describe(session, [link["claim_id"] for link in claim["links"]])}
    status = Status(current["status"])
    targets = [
        target.value
        for target in sorted(workflow.allowed_targets(status), key=lambda item: views.STATUS_ORDER.index(item.value))
        if principal.has_role(workflow.required_role(status, target))
    ]
    created_by = current["created_by"]
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
        "targets": targets,
        "four_eyes": sorted(target.value for target in workflow.FOUR_EYES_STATUSES)
        if created_by is not None and created_by["id"] == principal.id
        else [],
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
    session.rollback()
    context = _claim_context(session, settings, principal, claim_id)
    if stale is not None:
        # Each event about a claim raises its version by one from 1 at creation, so the events the reader
        # has not seen are those after the first `stale` ones.
        context["status_form"]["stale"] = views.timeline(claims.history(session, claim_id)[stale:])
    context["status_form"]["values"] = values_of(form, ["status", "rationale"])
    context["status_form"]["errors"] = errors
    return render(request, "claim.html", context, errors.status)


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
    session.rollback()
    context = _claim_context(session, settings, principal, claim_id)
    context["evidence_form"] = {"values": values_of(form, EVIDENCE_FORM_FIELDS), "errors": errors}
    return render(request, "claim.html", context, errors.status)


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
    session.rollback()
    context = _claim_context(session, settings, principal, claim_id)
    context["link_form"] = {"values": values_of(form, ["kind", "to_claim"]), "errors": errors}
    return render(request, "claim.html", context, errors.status)


# ---- sources ---------------------------------------------------------------------------------------


@router.get("/sources")
def source_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    q: str | None = None,
    kind: str | None = None,
    sort: str = "name",
    cursor: str | None = None,
) -> HTMLResponse:
    """Sources by name or by claim count, searchable by name and alias."""
    errors = FormErrors()
    if q is not None and len(q) > 300:
        errors.add("q", "String should have at most 300 characters")
    if kind and kind not in {item.value for item in SourceKind}:
        errors.add("kind", f"{kind!r} is not a kind of source.")
    if sort not in ("name", "-claims"):
        errors.add("sort", f"{sort!r} is not a sort order.")
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not errors:
        try:
            items, next_cursor = sources.list_sources(
                session, secret=settings.secret_key, kind=kind or None, q=q or None, sort=sort, limit=50, cursor=cursor
            )
        except InvalidInput as error:
            errors.add_domain(error)
    context = {
        "items": items,
        "next_link": _page_link(request, next_cursor),
        "errors": errors,
        "filters": {"q": q or "", "kind": kind or "", "sort": sort},
        "kinds": [item.value for item in SourceKind],
    }
    return render(request, "sources.html", context, 422 if errors else 200)


@router.get("/sources/suggest")
def source_suggestions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    field: str = "q",
) -> HTMLResponse:
    """Type-ahead: `<option>`s for the sources whose name or alias contains what was typed in `field`."""
    typed = (request.query_params.get(field) or "")[:300]
    items, _next = sources.list_sources(
        session,
        secret=settings.secret_key,
        kind=None,
        q=typed or None,
        sort="-claims",
        limit=SUGGESTION_LIMIT,
        cursor=None,
    )
    return render(request, "_source_options.html", {"source_choices": items, "typed": typed})


@router.get("/sources/{source_id}")
def source_page(
    source_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    include_children: bool = False,
    cursor: str | None = None,
) -> HTMLResponse:
    """A source: its party's tree, its reliability grade, its claims and its scorecard with a chart."""
    source = sources.get_source(session, source_id)
    party_id = source["party"]["id"]
    tree = views.source_tree(sources.describe(session, sorted(parties.descendants(session, [party_id]))), party_id)
    scorecard = sources.scorecard(session, source_id, include_children)
    errors = FormErrors()
    items: list[dict[str, Any]] = []
    next_cursor = None
    try:
        items, next_cursor = claims.list_source_claims(
            session,
            source_id,
            include_children=include_children,
            limit=LIST_LIMIT,
            cursor=cursor,
            secret=settings.secret_key,
        )
    except InvalidInput as error:
        errors.add_domain(error)
    context = {
        "source": source,
        "tree": tree,
        "scorecard": scorecard,
        "bars": views.status_bars(scorecard["by_status"]),
        "items": items,
        "next_link": _page_link(request, next_cursor),
        "include_children": include_children,
        "errors": errors,
    }
    return render(request, "source.html", context, 422 if errors else 200)
