"""Verdicts bound to what they judged (DESIGN §3): a claim's assertion, its digest, and the basis of a review.

A claim's *assertion* is what its source said, as recorded: statement, quote, source, speaker, intermediaries,
channel and its detail, when it was stated and how precisely, the event window and the places. Tags and
language are the analyst's classification, not the source's words.

Every move into a reviewed status records its basis in the event's payload (`basis`): the version judged, the
SHA-256 of the assertion's canonical form (`assertion_sha256`), and each evidence item counted with its
provider, the provider's party and whether it was independent of the claim's party then. The `verdicts` and
`verdict_evidence` rows mirror the current verdict so the database can answer "whose basis no longer holds"
under today's parties. An amendment of the assertion reopens the claim instead (api/services/claims/writing.py).

One module, just over 400 lines: the assertion's canonical form, the basis written and the basis checked must
change together, or a verdict recorded today would not be checkable tomorrow.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Select, and_, case, delete, exists, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from api.services import parties
from api.services.auth import actor_names
from models import Claim, Event, Evidence, Source, Verdict, VerdictEvidence
from models.vocabulary import REVIEWED_STATUSES, Stance, Status

# What the source said, as recorded: amending any of these reopens a reviewed claim.
ASSERTION_FIELDS = (
    "statement",
    "quote",
    "source_id",
    "speaker_id",
    "via",
    "channel",
    "channel_detail",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "event_precision",
    "places",
)
_ID_FIELDS = frozenset({"source_id", "speaker_id"})
_TIME_FIELDS = frozenset({"stated_at", "event_start", "event_end"})

# The evidence each judgement needs: an item of this stance from another party than the claim's source.
REQUIRED_STANCE = {
    Status.CONFIRMED: Stance.SUPPORTS,
    Status.CORROBORATED: Stance.SUPPORTS,
    Status.REFUTED: Stance.CONTRADICTS,
}


def _canonical_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        # Text from a payload (hyphenated) or from SQLite (32 hex digits), as a full verify reads millions.
        if len(value) == 36:
            return value.lower()
        if len(value) == 32:
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _canonical_time(value: Any) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_assertion(state: Mapping[str, Any]) -> bytes:
    """The assertion's canonical form: a JSON object of `ASSERTION_FIELDS` with sorted keys, compact, UTF-8.

    Ids are lower-case hyphenated UUIDs, times UTC ISO 8601 with microseconds and `+00:00`, `via` the
    intermediaries' ids in order, `places` the names as written, in order. `state` may hold ids and times as
    objects (a claim's row) or as text (an event's payload): both give the same bytes.

    Which gazetteer place a name was resolved to is the analyst's reading of the words, not the words: choosing
    among a name's candidates neither changes the digest nor reopens a verdict. `event_precision` is left out
    while it is unset, so that claims recorded before it existed keep the digests their verdicts judged.
    """
    document: dict[str, Any] = {}
    for name in ASSERTION_FIELDS:
        value: Any = state.get(name) if name == "event_precision" else state[name]
        if name == "event_precision" and value is None:
            continue
        if name in _ID_FIELDS:
            document[name] = _canonical_id(value)
        elif name in _TIME_FIELDS:
            document[name] = _canonical_time(value)
        elif name == "via":
            document[name] = [_canonical_id(item) for item in value]
        elif name == "places":
            document[name] = [item if isinstance(item, str) else item["name"] for item in value]
        else:
            document[name] = value.value if hasattr(value, "value") else value
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def assertion_sha256(state: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_assertion(state)).hexdigest()


def changed_assertion_fields(changed: Iterable[str]) -> list[str]:
    """The amended fields that belong to the assertion, in the order the assertion lists them."""
    names = set(changed)
    return [name for name in ASSERTION_FIELDS if name in names]


def state_of_shaped(claim: Mapping[str, Any]) -> dict[str, Any]:
    """The assertion fields of a claim as the API shapes it (`ClaimOut`: references as `{"id","name"}`)."""
    return {
        **{name: claim[name] for name in ASSERTION_FIELDS if name not in ("source_id", "speaker_id", "via")},
        "source_id": claim["source"]["id"],
        "speaker_id": claim["speaker"]["id"] if claim["speaker"] else None,
        "via": [ref["id"] for ref in claim["via"]],
    }


# ---- judging ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedEvidence:
    """An evidence item as a verdict counted it: its stance, provider, the provider's party, independence."""

    id: uuid.UUID
    stance: str
    provider_id: uuid.UUID | None
    party_id: uuid.UUID | None
    independent: bool

    def as_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "stance": self.stance,
            "provider_id": _canonical_id(self.provider_id),
            "party_id": _canonical_id(self.party_id),
            "independent": self.independent,
        }


def count_evidence(
    items: Sequence[Any], claim_source_id: uuid.UUID, party_of: Mapping[uuid.UUID, uuid.UUID]
) -> list[CountedEvidence]:
    """Each item (`id`, `stance`, `provided_by_source_id`) judged against the claim's party, by `party_of`."""
    claim_party = party_of[claim_source_id]
    counted = []
    for item in items:
        provider = item.provided_by_source_id
        party = party_of.get(provider) if provider is not None else None
        counted.append(
            CountedEvidence(item.id, item.stance, provider, party, party is not None and party != claim_party)
        )
    return counted


def rule_met(status: Status, counted: Iterable[CountedEvidence]) -> bool:
    """Whether the counted items satisfy the evidence rule of `status` (statuses without one always do)."""
    stance = REQUIRED_STANCE.get(status)
    return stance is None or any(item.stance == stance.value and item.independent for item in counted)


def basis_payload(judged_version: int, digest: str, counted: Iterable[CountedEvidence]) -> dict[str, Any]:
    """What a move into a reviewed status records of its basis, in its event's payload."""
    return {
        "version": judged_version,
        "assertion_sha256": digest,
        "evidence": [item.as_payload() for item in counted],
    }


def clear(session: Session, claim_id: uuid.UUID) -> None:
    """The claim has no current verdict any more (it left the reviewed statuses, or is judged anew)."""
    session.execute(delete(VerdictEvidence).where(VerdictEvidence.claim_id == claim_id))
    session.execute(delete(Verdict).where(Verdict.claim_id == claim_id))


def record(
    session: Session,
    claim_id: uuid.UUID,
    event_seq: int,
    digest: str,
    evidence_ids: Iterable[uuid.UUID],
    *,
    imported: bool = False,
) -> None:
    """Mirror the verdict that event `event_seq` made, replacing any earlier one."""
    clear(session, claim_id)
    verdict_row = Verdict(
        claim_id=claim_id, event_seq=event_seq, assertion_sha256=digest, assertion_matches=True, imported=imported
    )
    session.execute(insert(Verdict), [verdict_row_values(verdict_row)])
    rows = [{"claim_id": claim_id, "evidence_id": evidence_id} for evidence_id in dict.fromkeys(evidence_ids)]
    if rows:
        session.execute(insert(VerdictEvidence), rows)


def verdict_row_values(row: Verdict) -> dict[str, Any]:
    return {
        "claim_id": row.claim_id,
        "event_seq": row.event_seq,
        "assertion_sha256": row.assertion_sha256,
        "assertion_matches": row.assertion_matches,
        "imported": row.imported,
    }


# ---- reading a verdict ------------------------------------------------------------------------------------


_LAST_STATUS_EVENT = select(Event).where(Event.to_status.is_not(None)).order_by(Event.seq.desc()).limit(1)


def _verdict_event(session: Session, claim_id: uuid.UUID, as_of: datetime | None) -> Event | None:
    statement = _LAST_STATUS_EVENT.where(Event.claim_id == claim_id)
    if as_of is not None:
        statement = statement.where(Event.at <= as_of)
    return session.scalars(statement).first()


def _legacy_basis(session: Session, claim_id: uuid.UUID, event: Event) -> dict[str, Any] | None:
    """The basis of a verdict recorded before verdicts carried one, as migration 0006 reconstructed it."""
    row = session.get(Verdict, claim_id)
    if row is None or row.event_seq != event.seq:
        return None
    evidence = session.execute(
        select(Evidence.id, Evidence.stance, Evidence.provided_by_source_id)
        .join(VerdictEvidence, VerdictEvidence.evidence_id == Evidence.id)
        .where(VerdictEvidence.claim_id == claim_id)
        .order_by(Evidence.added_at, Evidence.id)
    ).all()
    version = event.payload.get("version")
    return {
        "version": int(version) - 1 if isinstance(version, int) else None,
        "assertion_sha256": row.assertion_sha256,
        # Parties as they were then were not recorded: these are read as they are today.
        "evidence": [
            {"id": str(item.id), "stance": item.stance, "provider_id": _canonical_id(item.provided_by_source_id)}
            for item in evidence
        ],
        "reconstructed": True,
    }


def describe_verdict(
    session: Session, claim: Mapping[str, Any], as_of: datetime | None = None
) -> dict[str, Any] | None:
    """The verdict behind a claim's reviewed status (`VerdictOut`), or None when its status is not a reviewed one.

    `claim` is the claim as shaped for the answer (as it stood at `as_of`, when given). `basis_holds` asks
    whether the same verdict would be reached now: the judged words are still the claim's words, and the
    counted evidence still meets the status's rule under today's parties.
    """
    status = Status(claim["status"])
    if status not in REVIEWED_STATUSES:
        return None
    claim_id = claim["id"]
    event = _verdict_event(session, claim_id, as_of)
    if event is None or event.to_status != status.value:
        return None
    imported = event.type == "claim.imported"
    basis = event.payload.get("basis") or _legacy_basis(session, claim_id, event)
    if basis is None:
        return None
    counted = basis["evidence"]
    provider_ids = {uuid.UUID(item["provider_id"]) for item in counted if item.get("provider_id")}
    judged_party_ids = {uuid.UUID(item["party_id"]) for item in counted if item.get("party_id")}
    claim_source_id = claim["source"]["id"]
    party_now = parties.parties(session, [claim_source_id, *provider_ids])
    names = _source_names(session, provider_ids | judged_party_ids | set(party_now.values()))
    evidence_out = []
    for item in counted:
        provider_id = uuid.UUID(item["provider_id"]) if item.get("provider_id") else None
        judged_party = uuid.UUID(item["party_id"]) if item.get("party_id") else None
        party_today = party_now.get(provider_id) if provider_id is not None else None
        independent_now = party_today is not None and party_today != party_now[claim_source_id]
        if "party_id" not in item:  # reconstructed: the party then is read as today's
            judged_party, independent_then = party_today, independent_now
        else:
            independent_then = bool(item["independent"])
        evidence_out.append(
            {
                "id": uuid.UUID(item["id"]),
                "stance": item["stance"],
                "provider": _ref(provider_id, names),
                "party": _ref(judged_party, names),
                "independent": independent_then,
                "independent_now": independent_now,
            }
        )
    words_hold = basis["assertion_sha256"] == assertion_sha256(state_of_shaped(claim))
    evidence_holds = imported or rule_met(
        status,
        (CountedEvidence(item["id"], item["stance"], None, None, item["independent_now"]) for item in evidence_out),
    )
    actor = None
    if event.actor_id is not None:
        actor = {"id": event.actor_id, "name": actor_names(session, [event.actor_id])[event.actor_id]}
    return {
        "status": status.value,
        "at": event.at,
        "by": actor,
        "version": basis["version"],
        "assertion_sha256": basis["assertion_sha256"],
        "evidence": evidence_out,
        "basis_holds": words_hold and evidence_holds,
        "assertion_matches": words_hold,
        "imported": imported,
        "reconstructed": bool(basis.get("reconstructed")),
        "event_seq": event.seq,
    }


def _source_names(session: Session, source_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not source_ids:
        return {}
    return dict(session.execute(select(Source.id, Source.name).where(Source.id.in_(source_ids))).tuples().all())


def _ref(source_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> dict[str, Any] | None:
    return None if source_id is None else {"id": source_id, "name": names.get(source_id, "")}


# ---- whose basis no longer holds ---------------------------------------------------------------------------


def _party_table() -> Any:
    """Every source with its party, walked down from the roots (a recursive CTE over all sources)."""
    party = (
        select(Source.id.label("source_id"), Source.id.label("party_id"), literal(0).label("depth"))
        .where(Source.parent_id.is_(None))
        .cte("party", recursive=True)
    )
    child = aliased(Source)
    return party.union_all(
        select(child.id, party.c.party_id, party.c.depth + 1)
        .join(party, child.parent_id == party.c.source_id)
        .where(party.c.depth < 100)
    )


def basis_failing() -> Select[Any]:
    """The ids of claims whose current verdict would not be reached today: its words changed since, or the
    evidence it counted no longer meets the status's rule under today's parties."""
    party = _party_table()
    claim_party = party.alias("claim_party")
    provider_party = party.alias("provider_party")
    required = case(
        *((Claim.status == status.value, stance.value) for status, stance in REQUIRED_STANCE.items()),
        else_=None,
    )
    independent_item = exists().where(
        VerdictEvidence.claim_id == Claim.id,
        Evidence.id == VerdictEvidence.evidence_id,
        Evidence.stance == required,
        provider_party.c.source_id == Evidence.provided_by_source_id,
        claim_party.c.source_id == Claim.source_id,
        provider_party.c.party_id != claim_party.c.party_id,
    )
    return (
        select(Verdict.claim_id)
        .join(Claim, Claim.id == Verdict.claim_id)
        .where(
            or_(
                Verdict.assertion_matches.is_(False),
                and_(
                    Verdict.imported.is_(False),
                    Claim.status.in_([status.value for status in REQUIRED_STANCE]),
                    ~independent_item,
                ),
            )
        )
    )


def affected_by_party_change(
    session: Session,
    moved: set[uuid.UUID],
    party_before: Mapping[uuid.UUID, uuid.UUID],
    party_after: Mapping[uuid.UUID, uuid.UUID],
) -> list[uuid.UUID]:
    """Claims whose current verdict counted an item whose independence changes when the `moved` sources'
    parties change from `party_before` to `party_after` (both covering every source named below)."""
    rows = session.execute(
        select(VerdictEvidence.claim_id, Claim.source_id, Evidence.provided_by_source_id)
        .select_from(VerdictEvidence)
        .join(Claim, Claim.id == VerdictEvidence.claim_id)
        .join(Evidence, Evidence.id == VerdictEvidence.evidence_id)
        .where(Evidence.provided_by_source_id.is_not(None))
        .where(or_(Claim.source_id.in_(moved), Evidence.provided_by_source_id.in_(moved)))
    ).all()
    affected: dict[uuid.UUID, None] = {}
    for claim_id, source_id, provider_id in rows:
        before = party_before[provider_id] != party_before[source_id]
        after = party_after[provider_id] != party_after[source_id]
        if before != after:
            affected[claim_id] = None
    return sorted(affected, key=str)


def sources_of_verdicts_touching(session: Session, moved: set[uuid.UUID]) -> set[uuid.UUID]:
    """Every claim source and provider in a current verdict that involves one of the `moved` sources."""
    rows = session.execute(
        select(Claim.source_id, Evidence.provided_by_source_id)
        .select_from(VerdictEvidence)
        .join(Claim, Claim.id == VerdictEvidence.claim_id)
        .join(Evidence, Evidence.id == VerdictEvidence.evidence_id)
        .where(Evidence.provided_by_source_id.is_not(None))
        .where(or_(Claim.source_id.in_(moved), Evidence.provided_by_source_id.in_(moved)))
    ).all()
    return {source_id for row in rows for source_id in row if source_id is not None}
