"""Writing claims: record one as said, amend its record (reopening a judged claim), attach evidence and links.

Every change is one ledger event (or two, for an amendment that reopens a verdict) in the caller's transaction,
with the claim's version bumped in the same UPDATE that checks the version the client saw.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from api.schemas.claims import ClaimIn, ClaimPatch, EvidenceIn, LinkIn
from api.services import ledger, places, sources, verdicts
from api.services.auth import Principal, require_role
from api.services.claims import records
from api.services.claims.reading import current_states
from api.services.common import insert_unique
from api.services.documents import require_document
from api.services.matching import index as match_index
from models import Claim, ClaimLink, ClaimPlace, ClaimTag, ClaimVia, Evidence, IdempotencyKey, Source
from models.vocabulary import Role, Status

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# The fields the match index derives a claim's terms from: amending one rewrites them.
MATCHED_FIELDS = frozenset({"statement", "language", "places", "stated_at"})


def _check_references(session: Session, values: dict[str, Any]) -> None:
    """422 naming the first field whose id names no source or document (one query for all the sources)."""
    named = [(field, values.get(field)) for field in ("source_id", "speaker_id")]
    named += [(f"via.{index}", via_id) for index, via_id in enumerate(values.get("via") or [])]
    wanted = {source_id for _field, source_id in named if source_id is not None}
    if wanted:
        found = set(session.scalars(select(Source.id).where(Source.id.in_(wanted))))
        for field, source_id in named:
            if source_id is not None and source_id not in found:
                raise InvalidInput(f"{field}: no source has the id {source_id}.", parameter=field)
    if values.get("document_id") is not None:
        require_document(session, values["document_id"], "document_id")


def resolve_places(session: Session, values: dict[str, Any], claim_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """The claim's places resolved against the gazetteer, in the context of its words, document and source."""
    context = places.Context(
        text=" ".join(part for part in (values.get("statement"), values.get("quote")) if part),
        document_id=values.get("document_id"),
        source_id=values.get("source_id"),
        exclude_claim_id=claim_id,
    )
    return [item.recorded() for item in places.resolve(session, values.get("places") or [], context)]


def _request_digest(data: ClaimIn) -> str:
    body = orjson.dumps(data.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _idempotent_replay(session: Session, actor: Principal, key: str, digest: str, now: datetime) -> uuid.UUID | None:
    """The claim a repeated request already created, or None when the key is new (or expired)."""
    stored = session.get(IdempotencyKey, (actor.id, key))
    if stored is None:
        return None
    if stored.created_at < now - IDEMPOTENCY_WINDOW:
        session.delete(stored)
        session.flush()
        return None
    if stored.request_sha256 != digest:
        raise InvalidInput("This Idempotency-Key was used with a different request body.", parameter="Idempotency-Key")
    return stored.claim_id


def is_repeated_post(session: Session, actor: Principal, idempotency_key: str | None) -> bool:
    """Whether this actor already posted with this Idempotency-Key: the post will answer that claim again."""
    return idempotency_key is not None and session.get(IdempotencyKey, (actor.id, idempotency_key)) is not None


def create_claim(
    session: Session, actor: Principal, data: ClaimIn, idempotency_key: str | None = None
) -> tuple[uuid.UUID, bool]:
    """Record a claim as said. Returns its id and whether it was created now (False on an idempotent replay)."""
    require_role(actor, Role.ANALYST, "Posting a claim")
    now = ledger.clock(session)
    digest = _request_digest(data) if idempotency_key else ""
    if idempotency_key:
        replayed = _idempotent_replay(session, actor, idempotency_key, digest, now)
        if replayed is not None:
            return replayed, False
    recorded = data.model_dump()
    _check_references(session, recorded)
    recorded["places"] = resolve_places(session, recorded)
    claim_id = uuid.uuid4()  # known now, so the ledger event can name the claim before anything is written
    rows = records.claim_rows(
        claim_id,
        recorded,
        created_by_id=actor.id,
        created_at=now,
        status=Status.CLAIMED.value,
        status_changed_at=now,
    )

    def write() -> None:
        # Core inserts, not the ORM's unit of work: this is the hottest write path (issue 6's load test).
        session.execute(insert(Claim), [rows.claim])
        for model, listed in ((ClaimPlace, rows.places), (ClaimTag, rows.tags), (ClaimVia, rows.via)):
            if listed:
                session.execute(insert(model), listed)
        match_index.write_terms(
            session,
            match_index.term_rows(
                claim_id, data.statement, data.language, records.place_names(data.places), data.stated_at
            ),
        )

    if data.external_id is None:
        write()  # no unique column but the new id: no savepoint needed
    else:
        insert_unique(session, write, lambda: _external_id_clash(session, data.external_id))
    ledger.append(
        session,
        "claim.created",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=data.source_id,
        to_status=Status.CLAIMED.value,
        at=now,
        payload=records.created_payload(recorded),
    )
    if idempotency_key:
        session.add(
            IdempotencyKey(
                actor_id=actor.id,
                key=idempotency_key,
                request_sha256=digest,
                claim_id=claim_id,
                created_at=now,
            )
        )
        session.flush()
    return claim_id, True


def _external_id_clash(session: Session, external_id: str | None) -> Conflict | None:
    existing = session.scalar(select(Claim.id).where(Claim.external_id == external_id)) if external_id else None
    if existing is None:
        return None
    return Conflict(f"A claim with external_id {external_id!r} exists already.", claim_id=str(existing))


def require_version(session: Session, claim_id: uuid.UUID, expected_version: int | None) -> Claim:
    if expected_version is None:
        raise PreconditionRequired("This change needs an If-Match header with the claim's current ETag.")
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if claim.version != expected_version:
        raise PreconditionFailed(
            f"The claim is at version {claim.version}, not {expected_version}: someone changed it. Reload and retry.",
            current_version=claim.version,
        )
    return claim


def bump_version(session: Session, claim_id: uuid.UUID, expected_version: int | None = None, **values: Any) -> int:
    """Increment the claim's version (and set `values`), checking `expected_version` in the WHERE clause.

    The check in the UPDATE itself, not only in the read before it, is what stops two concurrent
    writers that read the same version from both succeeding.
    """
    condition = Claim.id == claim_id
    if expected_version is not None:
        condition = and_(condition, Claim.version == expected_version)
    result = session.execute(
        update(Claim).where(condition).values(version=Claim.version + 1, **values).returning(Claim.version)
    ).first()
    if result is None:
        raise PreconditionFailed("The claim changed while this request was being handled. Reload and retry.")
    session.expire_all()
    return int(result[0])


def amend_claim(
    session: Session, actor: Principal, claim_id: uuid.UUID, patch: ClaimPatch, expected_version: int | None
) -> uuid.UUID:
    """Correct a claim's record; the ledger keeps the words it had before."""
    require_role(actor, Role.ANALYST, "Amending a claim")
    now = ledger.clock(session)
    require_version(session, claim_id, expected_version)
    changes = patch.model_dump(exclude_unset=True)
    for required in ("statement", "channel", "stated_at", "stated_at_precision"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be removed.", parameter=required)
    for listed in ("via", "places", "tags"):
        if listed in changes and changes[listed] is None:
            changes[listed] = []
    _check_references(session, changes)
    before_state = current_states(session, [claim_id])[claim_id]
    if "places" in changes:
        context = {
            name: changes.get(name, before_state[name]) for name in ("statement", "quote", "document_id", "source_id")
        }
        changes["places"] = resolve_places(session, {**context, "places": changes["places"]}, claim_id)
    before = records.to_payload({name: before_state[name] for name in changes})
    after = records.to_payload(changes)
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return claim_id
    columns = {name: changes[name] for name in changed if name in records.COLUMN_FIELDS}
    event_start = changes.get("event_start", before_state["event_start"])
    event_end = changes.get("event_end", before_state["event_end"])
    if event_start and event_end and event_end < event_start:
        raise InvalidInput("event_end must not be before event_start.", parameter="event_end")
    bump_version(
        session,
        claim_id,
        expected_version,
        **{name: value.value if hasattr(value, "value") else value for name, value in columns.items()},
    )
    claim = session.get(Claim, claim_id)
    assert claim is not None
    if "places" in changed:
        _replace_rows(session, ClaimPlace, claim_id, records.place_rows(claim_id, changes["places"]))
    if "tags" in changed:
        _replace_rows(session, ClaimTag, claim_id, records.tag_rows(claim_id, changes["tags"]))
    if "via" in changed:
        _replace_rows(session, ClaimVia, claim_id, records.via_rows(claim_id, changes["via"]))
    if MATCHED_FIELDS.intersection(changed):
        after_state = {**before_state, **changes}
        match_index.replace_terms(
            session,
            claim_id,
            match_index.term_rows(
                claim_id,
                after_state["statement"],
                after_state["language"],
                records.place_names(after_state["places"]),
                after_state["stated_at"],
            ),
        )
    ledger.append(
        session,
        "claim.amended",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={
            "before": {name: before[name] for name in changed},
            "after": {name: after[name] for name in changed},
        },
    )
    # A new reading of the same names (a candidate chosen, a place corrected) is not new words: no reopening.
    reworded = [
        name
        for name in changed
        if name != "places" or records.place_names(before["places"]) != records.place_names(after["places"])
    ]
    _reopen_if_judged(session, actor, claim, reworded, now)
    return claim_id


# A judged claim whose assertion is amended is judged again; a claim under review already is being judged.
_REOPENED_BY_AMENDMENT = frozenset(Status) - {Status.CLAIMED, Status.UNDER_REVIEW}


def _reopen_if_judged(session: Session, actor: Principal, claim: Claim, changed: list[str], now: datetime) -> None:
    """A verdict binds to the words it judged: amending the assertion of a reviewed (or retracted) claim moves
    it back to under_review, in the amendment's transaction, as its own status event by the amender."""
    amended = verdicts.changed_assertion_fields(changed)
    current = Status(claim.status)
    if not amended or current not in _REOPENED_BY_AMENDMENT:
        return
    version = bump_version(session, claim.id, claim.version, status=Status.UNDER_REVIEW.value, status_changed_at=now)
    ledger.append(
        session,
        "claim.status_changed",
        actor_id=actor.id,
        claim_id=claim.id,
        source_id=claim.source_id,
        from_status=current.value,
        to_status=Status.UNDER_REVIEW.value,
        rationale=(
            f"Reopened for review: the amendment changed {', '.join(amended)}, which the {current.value} "
            "status had judged."
        ),
        at=now,
        payload={"evidence_ids": [], "reopened_by_amendment": amended, "version": version},
    )
    verdicts.clear(session, claim.id)


def _replace_rows(session: Session, model: Any, claim_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(model).where(model.claim_id == claim_id).execution_options(synchronize_session=False))
    if rows:
        session.execute(insert(model), rows)


def add_evidence(session: Session, actor: Principal, claim_id: uuid.UUID, data: EvidenceIn) -> uuid.UUID:
    """Attach an evidence item (append-only) and record it in the ledger."""
    require_role(actor, Role.ANALYST, "Adding evidence")
    now = ledger.clock(session)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if data.url is None and data.document_id is None and data.related_claim_id is None and data.note is None:
        raise InvalidInput("Evidence needs at least one of url, document_id, related_claim_id or note.")
    if data.document_id is not None:
        require_document(session, data.document_id, "document_id")
    if data.related_claim_id is not None:
        if data.related_claim_id == claim_id:
            raise InvalidInput("A claim cannot be evidence for itself.", parameter="related_claim_id")
        if session.get(Claim, data.related_claim_id) is None:
            raise InvalidInput(
                f"related_claim_id: no claim has the id {data.related_claim_id}.",
                parameter="related_claim_id",
            )
    if data.provided_by_source_id is not None:
        sources.require_source(session, data.provided_by_source_id, "provided_by_source_id")
    item = Evidence(claim_id=claim_id, **data.model_dump(), added_by_id=actor.id, added_at=now)
    session.add(item)
    session.flush()
    bump_version(session, claim_id)
    ledger.append(
        session,
        "evidence.added",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={"evidence_id": str(item.id), **data.model_dump(mode="json")},
    )
    return item.id


def add_link(session: Session, actor: Principal, claim_id: uuid.UUID, data: LinkIn) -> uuid.UUID:
    """Link this claim to another (corroborates, contradicts, duplicates, supersedes)."""
    require_role(actor, Role.ANALYST, "Linking claims")
    now = ledger.clock(session)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if data.to_claim == claim_id:
        raise Conflict("A claim cannot be linked to itself.")
    if session.get(Claim, data.to_claim) is None:
        raise InvalidInput(f"to_claim: no claim has the id {data.to_claim}.", parameter="to_claim")
    link = ClaimLink(
        from_claim_id=claim_id,
        to_claim_id=data.to_claim,
        kind=data.kind.value,
        created_by_id=actor.id,
        created_at=now,
    )
    already = f"This claim already {data.kind.value} {data.to_claim}."
    insert_unique(session, lambda: session.add(link), lambda: Conflict(already))
    bump_version(session, claim_id)
    ledger.append(
        session,
        "link.added",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={"link_id": str(link.id), "kind": data.kind.value, "to_claim_id": str(data.to_claim)},
    )
    return link.id


def geocode_recorded(session: Session, batch: int = 500) -> int:
    """Resolve the places of claims recorded before the gazetteer held them (names with no place and no
    candidates), each claim as one `claim.amended` event by the command line; returns how many claims changed.

    The names stay as written, so no verdict is reopened; a name still unknown is left as it is.
    """
    now = ledger.clock(session)
    changed = 0
    after_id: uuid.UUID | None = None
    while True:
        statement = (
            select(ClaimPlace.claim_id)
            .where(ClaimPlace.place_id.is_(None), ClaimPlace.candidates.is_(None))
            .distinct()
            .order_by(ClaimPlace.claim_id)
            .limit(batch)
        )
        if after_id is not None:
            statement = statement.where(ClaimPlace.claim_id > after_id)
        claim_ids = list(session.scalars(statement))
        if not claim_ids:
            return changed
        after_id = claim_ids[-1]
        for claim_id, state in current_states(session, claim_ids).items():
            before = records.to_payload({"places": state["places"]})["places"]
            kept = [place if place["place_id"] or place["candidates"] else place["name"] for place in state["places"]]
            after = records.to_payload({"places": resolve_places(session, {**state, "places": kept}, claim_id)})[
                "places"
            ]
            if after == before:
                continue
            claim = session.get(Claim, claim_id)
            assert claim is not None
            bump_version(session, claim_id, claim.version)
            _replace_rows(session, ClaimPlace, claim_id, records.place_rows(claim_id, after))
            ledger.append(
                session,
                "claim.amended",
                actor_id=None,
                claim_id=claim_id,
                source_id=state["source_id"],
                at=now,
                rationale="Places resolved against the gazetteer.",
                payload={"before": {"places": before}, "after": {"places": after}},
            )
            changed += 1
