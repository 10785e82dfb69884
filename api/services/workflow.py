"""The verification workflow (DESIGN §3): which moves exist, who may make them, and on what evidence."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, Forbidden, InvalidInput
from api.services import ledger, parties, verdicts
from api.services.auth import Principal, require_role
from api.services.claims import assertion_state, bump_version, require_version
from api.services.verdicts import REQUIRED_STANCE
from models import Evidence, Source
from models.vocabulary import REVIEWED_STATUSES, Role, Status

# Judgements the claim's own recorder may not make (four eyes).
FOUR_EYES_STATUSES = frozenset({Status.CONFIRMED, Status.REFUTED})


def allowed_targets(current: Status) -> frozenset[Status]:
    """Statuses reachable from `current` in one move (`claimed` is never a target)."""
    if current == Status.CLAIMED:
        return frozenset({Status.UNDER_REVIEW, Status.RETRACTED})
    if current == Status.UNDER_REVIEW:
        return REVIEWED_STATUSES | {Status.RETRACTED}
    if current in REVIEWED_STATUSES:
        return (REVIEWED_STATUSES - {current}) | {Status.UNDER_REVIEW, Status.RETRACTED}
    return frozenset({Status.UNDER_REVIEW})  # retracted


@dataclass(frozen=True)
class Moves:
    """The statuses an actor may move a claim to (in the workflow's order), and those four eyes keeps from them."""

    targets: list[Status]
    four_eyes: list[Status]


def moves_for(actor: Principal, current: Status, recorded_by: Mapping[str, Any] | None) -> Moves:
    """What `actor` may do with a claim in `current` recorded by `recorded_by` (a `{"id","name"}` or None)."""
    order = list(Status)
    targets = sorted(
        (target for target in allowed_targets(current) if actor.has_role(required_role(current, target))),
        key=order.index,
    )
    own = recorded_by is not None and recorded_by["id"] == actor.id
    return Moves(targets, sorted(FOUR_EYES_STATUSES, key=order.index) if own else [])


def required_role(current: Status, target: Status) -> Role:
    """Analysts may open a review of a fresh claim; every other move is a reviewer's."""
    if current == Status.CLAIMED and target == Status.UNDER_REVIEW:
        return Role.ANALYST
    return Role.REVIEWER


def _evidence_items(session: Session, claim_id: uuid.UUID, evidence_ids: list[uuid.UUID] | None) -> list[Any]:
    """The claim's evidence, or only the named items (422 if any is not this claim's)."""
    statement = select(Evidence.id, Evidence.stance, Evidence.provided_by_source_id).where(
        Evidence.claim_id == claim_id
    )
    if evidence_ids is not None:
        statement = statement.where(Evidence.id.in_(evidence_ids))
    items = list(session.execute(statement).all())
    if evidence_ids is not None:
        missing = set(evidence_ids) - {item.id for item in items}
        if missing:
            raise InvalidInput(
                f"evidence_ids: {', '.join(sorted(map(str, missing)))} are not evidence of this claim.",
                parameter="evidence_ids",
            )
    return items


def _require_independent_evidence(
    session: Session, claim_source_id: uuid.UUID, target: Status, counted: list[verdicts.CountedEvidence], named: bool
) -> None:
    if verdicts.rule_met(target, counted):
        return
    stance = REQUIRED_STANCE[target]
    party_of = parties.parties(session, [claim_source_id])
    party_name = session.scalar(select(Source.name).where(Source.id == party_of[claim_source_id]))
    scope = "among the named evidence_ids" if named else "on this claim"
    raise Conflict(
        f"Moving to {target.value} needs a '{stance.value}' evidence item from a source outside the party of "
        f"{party_name!r} (the claim's own source); there is none {scope}.",
        rule="independent_evidence",
        required_stance=stance.value,
    )


def change_status(
    session: Session,
    actor: Principal,
    claim_id: uuid.UUID,
    target: Status,
    rationale: str,
    evidence_ids: list[uuid.UUID] | None,
    expected_version: int | None,
) -> int:
    """Move a claim through the workflow; returns its new version. One event, same transaction."""
    require_role(actor, Role.ANALYST, "Changing a claim's status")
    now = ledger.clock(session)
    claim = require_version(session, claim_id, expected_version)
    current = Status(claim.status)
    if target == Status.CLAIMED:
        raise Conflict(
            "No claim can move back to 'claimed': that status only records how it was first said.",
            rule="transition",
        )
    if target not in allowed_targets(current):
        raise Conflict(
            f"A claim cannot move from {current.value} to {target.value}; from {current.value} it may move to "
            f"{', '.join(sorted(status.value for status in allowed_targets(current)))}.",
            rule="transition",
        )
    needed = required_role(current, target)
    if not actor.has_role(needed):
        raise Forbidden(f"Moving a claim from {current.value} to {target.value} needs the {needed.value} role.")
    if target in FOUR_EYES_STATUSES and claim.created_by_id == actor.id:
        raise Forbidden(
            f"Four eyes: you recorded this claim, so another reviewer must move it to {target.value}.",
            rule="four_eyes",
        )
    judged_version = claim.version
    claim_source_id = claim.source_id
    counted: list[verdicts.CountedEvidence] = []
    if target in REVIEWED_STATUSES or evidence_ids is not None:
        items = _evidence_items(session, claim_id, evidence_ids)
        party_of = parties.parties(
            session, [claim_source_id, *(item.provided_by_source_id for item in items if item.provided_by_source_id)]
        )
        counted = verdicts.count_evidence(items, claim_source_id, party_of)
        if target in REQUIRED_STANCE:
            _require_independent_evidence(session, claim_source_id, target, counted, named=evidence_ids is not None)
    payload: dict[str, Any] = {"evidence_ids": [str(item) for item in evidence_ids or []]}
    digest = ""
    if target in REVIEWED_STATUSES:
        digest = verdicts.assertion_sha256(assertion_state(session, claim_id))
        payload["basis"] = verdicts.basis_payload(judged_version, digest, counted)
    projection: dict[str, Any] = {"status": target.value, "status_changed_at": now}
    if target in REVIEWED_STATUSES and claim.seconds_to_first_review is None:
        projection["seconds_to_first_review"] = (now - claim.created_at).total_seconds()
    version = bump_version(session, claim_id, expected_version, **projection)
    seq = ledger.append(
        session,
        "claim.status_changed",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim_source_id,
        from_status=current.value,
        to_status=target.value,
        rationale=rationale,
        at=now,
        payload={**payload, "version": version},
    )
    if target in REVIEWED_STATUSES:
        verdicts.record(session, claim_id, seq, digest, (item.id for item in counted))
    else:
        verdicts.clear(session, claim_id)
    return version
