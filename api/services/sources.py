"""Sources: create, amend, look up by id, name or alias, walk the parent tree, list."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, literal, select, tuple_
from sqlalchemy.orm import Session, aliased

from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.schemas.sources import SourceIn, SourcePatch
from api.services import ledger, verdicts
from api.services.auth import Principal, require_role
from api.services.common import insert_unique
from api.services.names import name_key
from api.services.pagination import decode_cursor, encode_cursor
from api.services.parties import ancestors, descendants, parties
from models import Claim, Source, SourceName
from models.vocabulary import REVIEWED_STATUSES, Reliability, Role, Status


def _name_rows(source_id: uuid.UUID, name: str, aliases: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {
            "source_id": source_id,
            "position": position,
            "name": each,
            "name_key": name_key(each),
            "is_alias": position > 0,
        }
        for position, each in enumerate([name, *aliases])
    ]


def _check_distinct_names(name: str, aliases: Iterable[str]) -> None:
    keys = [name_key(name), *(name_key(alias) for alias in aliases)]
    if len(set(keys)) != len(keys):
        raise InvalidInput("A source's name and aliases must all differ (case-insensitively).", parameter="aliases")


def _insert_names(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert name rows; a clash with another source's name or alias becomes a 409 naming it."""

    def explain() -> Conflict | None:
        clash = session.execute(
            select(SourceName.name, Source.name, Source.id)
            .join(Source, Source.id == SourceName.source_id)
            .where(SourceName.name_key.in_([row["name_key"] for row in rows]))
        ).first()
        if clash is None:
            return None
        taken, owner, owner_id = clash
        return Conflict(f"The name {taken!r} is already used by the source {owner!r}.", source_id=str(owner_id))

    def write() -> None:
        session.execute(insert(SourceName), rows)

    insert_unique(session, write, explain)


_NAMES_QUERY = select(Source.id, Source.name).where(Source.id.in_(bindparam("ids", expanding=True)))


def names_of(session: Session, source_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Source names by id, for references in responses."""
    ids = set(source_ids)
    if not ids:
        return {}
    return {row.id: row.name for row in session.execute(_NAMES_QUERY, {"ids": list(ids)})}


def require_source(session: Session, source_id: uuid.UUID, field: str) -> None:
    """422 naming `field` when the id names no source (a body's reference, not the URL's subject)."""
    if session.scalar(select(Source.id).where(Source.id == source_id)) is None:
        raise InvalidInput(f"{field}: no source has the id {source_id}.", parameter=field)


def resolve_reference(session: Session, value: str, parameter: str) -> uuid.UUID:
    """A source named by id, or by exact name or alias (case-insensitive); 422 naming `parameter` if none."""
    try:
        source_id = uuid.UUID(value)
    except ValueError:
        found = session.scalar(select(SourceName.source_id).where(SourceName.name_key == name_key(value)))
    else:
        found = session.scalar(select(Source.id).where(Source.id == source_id))
    if found is None:
        raise InvalidInput(f"{parameter}: no source has the id, name or alias {value!r}.", parameter=parameter)
    return found


_SNAPSHOT_FIELDS = ("name", "kind", "affiliation", "parent_id", "role", "reliability", "url")


def _snapshot(values: Mapping[str, Any], aliases: list[str]) -> dict[str, Any]:
    """A source as its `source.created` and `source.updated` payloads record it."""
    snapshot = {name: values[name] for name in _SNAPSHOT_FIELDS}
    snapshot["parent_id"] = str(snapshot["parent_id"]) if snapshot["parent_id"] else None
    snapshot["aliases"] = aliases
    return snapshot


def _values_of(source: Source) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _SNAPSHOT_FIELDS}


@dataclass(frozen=True)
class SourceRecord:
    """A new source as rows and as its ledger payload: the one builder of new sources (`create_source`, the
    import, bench/fill.py)."""

    row: dict[str, Any]
    names: list[dict[str, Any]]
    payload: dict[str, Any]


def source_record(
    source_id: uuid.UUID,
    *,
    name: str,
    kind: str,
    at: datetime,
    aliases: Iterable[str] = (),
    affiliation: str | None = None,
    parent_id: uuid.UUID | None = None,
    role: str | None = None,
    reliability: str = Reliability.F.value,
    url: str | None = None,
) -> SourceRecord:
    row = {
        "id": source_id,
        "name": name,
        "kind": kind,
        "affiliation": affiliation,
        "parent_id": parent_id,
        "role": role,
        "reliability": reliability,
        "url": url,
        "created_at": at,
        "updated_at": at,
    }
    listed = list(aliases)
    return SourceRecord(row, _name_rows(source_id, name, listed), {"after": _snapshot(row, listed)})


def create_source(session: Session, actor: Principal, data: SourceIn) -> uuid.UUID:
    """Record a new source; only an admin may grade its reliability."""
    require_role(actor, Role.ANALYST, "Creating a source")
    if data.reliability is not None and not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin may set a source's reliability.")
    _check_distinct_names(data.name, data.aliases)
    now = ledger.clock(session)
    if data.parent_id is not None:
        require_source(session, data.parent_id, "parent_id")
    record = source_record(
        uuid.uuid4(),
        name=data.name,
        kind=data.kind.value,
        at=now,
        aliases=data.aliases,
        affiliation=data.affiliation,
        parent_id=data.parent_id,
        role=data.role,
        reliability=(data.reliability or Reliability.F).value,
        url=data.url,
    )
    session.execute(insert(Source), [record.row])
    _insert_names(session, record.names)
    source_id: uuid.UUID = record.row["id"]
    ledger.append(session, "source.created", actor_id=actor.id, source_id=source_id, at=now, payload=record.payload)
    return source_id


def update_source(session: Session, actor: Principal, source_id: uuid.UUID, patch: SourcePatch) -> list[uuid.UUID]:
    """Amend a source; the ledger keeps the values it had before.

    A new parent moves the source and everything below it into another party, which decides whether evidence
    is independent of a claim: only an admin may, and the claims whose current verdict counted evidence whose
    independence flips are returned and recorded with the change. Their statuses stay as they are (nothing
    changes a status silently); `basis_holds` on each says whether the verdict would still be reached.
    """
    require_role(actor, Role.ANALYST, "Changing a source")
    changes = patch.model_dump(exclude_unset=True)
    if "reliability" in changes and not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin may set a source's reliability.")
    for field in ("name", "kind"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be removed.", parameter=field)
    now = ledger.clock(session)
    source = session.scalar(select(Source).where(Source.id == source_id))
    if source is None:
        raise NotFound(f"No source has the id {source_id}.")
    reparented = "parent_id" in changes and changes["parent_id"] != source.parent_id
    if reparented and not actor.has_role(Role.ADMIN):
        raise Forbidden(
            "Only an admin may change a source's parent: it moves the source into another party, which decides "
            "whether evidence is independent."
        )
    names = list(
        session.scalars(select(SourceName).where(SourceName.source_id == source_id).order_by(SourceName.position))
    )
    old_aliases = [row.name for row in names if row.is_alias]
    before = _snapshot(_values_of(source), old_aliases)
    if changes.get("parent_id") is not None:
        require_source(session, changes["parent_id"], "parent_id")
        if source_id in ancestors(session, changes["parent_id"]):
            raise InvalidInput("parent_id would make the source its own ancestor.", parameter="parent_id")
    moved: set[uuid.UUID] = descendants(session, [source_id]) if reparented else set()
    involved = verdicts.sources_of_verdicts_touching(session, moved) if moved else set()
    party_before = parties(session, involved)
    if changes.get("reliability") is None and "reliability" in changes:
        changes["reliability"] = Reliability.F
    for field in ("name", "kind", "affiliation", "parent_id", "role", "reliability", "url"):
        if field in changes:
            value = changes[field]
            setattr(source, field, value.value if isinstance(value, Enum) else value)
    new_aliases = old_aliases if changes.get("aliases") is None else list(changes["aliases"])
    after = _snapshot(_values_of(source), new_aliases)
    if after == before:
        return []
    if after["name"] != before["name"] or new_aliases != old_aliases:
        _check_distinct_names(source.name, new_aliases)
        for row in names:
            session.delete(row)
        session.flush()
        _insert_names(session, _name_rows(source_id, source.name, new_aliases))
    source.updated_at = now
    session.flush()
    affected: list[uuid.UUID] = []
    if involved:
        affected = verdicts.affected_by_party_change(session, moved, party_before, parties(session, involved))
    changed = sorted(key for key in after if after[key] != before[key])
    payload: dict[str, Any] = {
        "before": {key: before[key] for key in changed},
        "after": {key: after[key] for key in changed},
    }
    if reparented:
        payload["affected_verdicts"] = [str(claim_id) for claim_id in affected]
    ledger.append(session, "source.updated", actor_id=actor.id, source_id=source_id, at=now, payload=payload)
    return affected


def _claim_counts(session: Session, source_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not source_ids:
        return {}
    rows = session.execute(
        select(Claim.source_id, func.count()).where(Claim.source_id.in_(source_ids)).group_by(Claim.source_id)
    )
    return {source_id: count for source_id, count in rows}


def describe(session: Session, source_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Sources in the order given, shaped as `SourceOut`, in a fixed number of queries."""
    if not source_ids:
        return []
    sources = {row.id: row for row in session.execute(select(Source).where(Source.id.in_(source_ids))).scalars()}
    aliases: dict[uuid.UUID, list[str]] = {source_id: [] for source_id in source_ids}
    for source_id, alias in session.execute(
        select(SourceName.source_id, SourceName.name)
        .where(SourceName.source_id.in_(source_ids), SourceName.is_alias.is_(True))
        .order_by(SourceName.source_id, SourceName.position)
    ):
        aliases[source_id].append(alias)
    party_ids = parties(session, source_ids)
    related = {s.parent_id for s in sources.values() if s.parent_id} | set(party_ids.values())
    names = names_of(session, related)
    counts = _claim_counts(session, source_ids)
    shaped = []
    for source_id in source_ids:
        source = sources.get(source_id)
        if source is None:
            continue
        party_id = party_ids.get(source_id, source_id)
        shaped.append(
            {
                "id": source.id,
                "name": source.name,
                "kind": source.kind,
                "affiliation": source.affiliation,
                "parent": {"id": source.parent_id, "name": names[source.parent_id]} if source.parent_id else None,
                "party": {"id": party_id, "name": names.get(party_id, source.name)},
                "role": source.role,
                "aliases": aliases[source_id],
                "reliability": source.reliability,
                "url": source.url,
                "claim_count": counts.get(source_id, 0),
                "created_at": source.created_at,
                "updated_at": source.updated_at,
            }
        )
    return shaped


def get_source(session: Session, source_id: uuid.UUID) -> dict[str, Any]:
    found = describe(session, [source_id])
    if not found:
        raise NotFound(f"No source has the id {source_id}.")
    return found[0]


def list_sources(
    session: Session,
    *,
    secret: str,
    kind: str | None,
    q: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sources by name (A→Z) or by claim count (most first), keyset-paged."""
    primary = aliased(SourceName)
    counts = (
        select(Claim.source_id.label("source_id"), func.count().label("claims")).group_by(Claim.source_id).subquery()
    )
    claims = func.coalesce(counts.c.claims, 0)
    query: Select[Any] = (
        select(Source.id, primary.name_key, claims.label("claims"))
        .join(primary, (primary.source_id == Source.id) & primary.is_alias.is_(False))
        .outerjoin(counts, counts.c.source_id == Source.id)
    )
    if kind is not None:
        query = query.where(Source.kind == kind)
    if q:
        pattern = "%" + name_key(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matching = select(SourceName.source_id).where(SourceName.name_key.like(pattern, escape="\\"))
        query = query.where(Source.id.in_(matching))
    if sort == "name":
        if cursor:
            last_key, last_id = decode_cursor(secret, sort, cursor)
            query = query.where(
                tuple_(primary.name_key, Source.id) > tuple_(literal(last_key), literal(uuid.UUID(last_id)))
            )
        query = query.order_by(primary.name_key, Source.id)
    else:
        if cursor:
            last_claims, last_id = decode_cursor(secret, sort, cursor)
            query = query.where((claims < last_claims) | ((claims == last_claims) & (Source.id > uuid.UUID(last_id))))
        query = query.order_by(claims.desc(), Source.id)
    rows = session.execute(query.limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key = [last.name_key, str(last.id)] if sort == "name" else [last.claims, str(last.id)]
        next_cursor = encode_cursor(secret, sort, key)
    return describe(session, [row.id for row in rows]), next_cursor


def scorecard(session: Session, source_id: uuid.UUID, include_children: bool) -> dict[str, Any]:
    """A source's track record: its claims by status, how reviews came out, how long the first review took.

    Both queries read the index on (source_id, seconds_to_first_review, status) alone: the waits are in order
    there, so the median is the middle one or two, found without sorting and without sending the rest.
    """
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source has the id {source_id}.")
    ids = descendants(session, [source_id]) if include_children else {source_id}
    by_status = {status.value: 0 for status in Status}
    ever_reviewed = 0
    for status, count, first_reviewed in session.execute(
        select(Claim.status, func.count(), func.count(Claim.seconds_to_first_review))
        .where(Claim.source_id.in_(ids))
        .group_by(Claim.status)
    ):
        by_status[status] = count
        ever_reviewed += first_reviewed
    median_wait = None
    if ever_reviewed:
        # statistics.median's rule: the middle wait, or the mean of the two middle waits when their number is even.
        middle = session.scalars(
            select(Claim.seconds_to_first_review)
            .where(Claim.source_id.in_(ids), Claim.seconds_to_first_review.is_not(None))
            .order_by(Claim.seconds_to_first_review)
            .offset((ever_reviewed - 1) // 2)
            .limit(2 - ever_reviewed % 2)
        ).all()
        median_wait = sum(wait for wait in middle if wait is not None) / len(middle)
    reviewed = sum(by_status[status.value] for status in REVIEWED_STATUSES)
    return {
        "source": {"id": source.id, "name": source.name},
        "reliability": source.reliability,
        "include_children": include_children,
        "claims": sum(by_status.values()),
        "by_status": by_status,
        "reviewed": reviewed,
        "share_confirmed": by_status[Status.CONFIRMED.value] / reviewed if reviewed else None,
        "share_refuted": by_status[Status.REFUTED.value] / reviewed if reviewed else None,
        "median_seconds_to_first_review": median_wait,
    }
