"""Actors, API keys and role checks.

A key reads `cdb_<prefix>_<secret>`: the prefix finds the row, the 192-bit secret is kept only as its
SHA-256 (a slow hash adds nothing for a random secret of that size) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session

from api.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from api.services import ledger
from api.services.driver_reads import prebuilt_rows
from models import Actor, ApiKey, DeskSession
from models.vocabulary import ROLE_RANK, Role

KEY_SCHEME = "cdb"
# Built once: every request runs it, and building a statement costs more than running it on SQLite.
_KEY_LOOKUP = (
    select(ApiKey.secret_hash, ApiKey.revoked_at, Actor.id, Actor.name, Actor.role)
    .join(Actor, Actor.id == ApiKey.actor_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)


@dataclass(frozen=True)
class Principal:
    """The actor a request acts as."""

    id: uuid.UUID
    name: str
    role: Role

    def has_role(self, needed: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[needed]


def require_role(principal: Principal, needed: Role, action: str) -> None:
    if not principal.has_role(needed):
        raise Forbidden(f"{action} needs the {needed.value} role or higher; this key's role is {principal.role.value}.")


def actor_names(session: Session, actor_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Actor names by id, for references in responses."""
    ids = set(actor_ids)
    if not ids:
        return {}
    return {row.id: row.name for row in session.execute(select(Actor.id, Actor.name).where(Actor.id.in_(ids)))}


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(session: Session | Connection, token: str | None) -> Principal:
    """The actor behind a bearer token, or 401. Runs on a session or, cheaper per request, a bare connection."""
    if not token:
        raise Unauthorized("An API key is required: send 'Authorization: Bearer <key>'.")
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        raise Unauthorized("The API key is malformed.")
    _scheme, prefix, secret = parts
    # On the driver's cursor (`prebuilt_rows`): every request runs it, and SQLAlchemy's execution pipeline
    # costs more than SQLite's work on it.
    if isinstance(session, Session):
        session.flush()  # a driver statement does not autoflush
        connection = session.connection()
    else:
        connection = session
    rows = prebuilt_rows(connection, _KEY_LOOKUP, {"prefix": prefix})
    row = rows[0] if rows else None
    # Compare even when no row matched, so timing does not reveal which prefixes exist.
    stored_hash = row[0] if row is not None else "0" * 64
    matches = hmac.compare_digest(stored_hash, _hash_secret(secret))
    if row is None or not matches or row[1] is not None:
        raise Unauthorized("The API key is unknown or revoked.")
    _hash, _revoked_at, actor_id, name, role = row
    return Principal(id=actor_id, name=name, role=Role(role))


def create_key(session: Session, name: str, role: Role) -> tuple[Actor, ApiKey, str]:
    """Issue a new key for the actor `name`, creating the actor if new. Returns the full key once."""
    now = ledger.clock(session)
    actor = session.scalar(select(Actor).where(Actor.name == name))
    if actor is None:
        actor = Actor(name=name, role=role.value, created_at=now)
        session.add(actor)
        session.flush()
        ledger.append(
            session,
            "actor.created",
            actor_id=None,
            at=now,
            payload={"actor_id": str(actor.id), "name": name, "role": role.value},
        )
    elif actor.role != role.value:
        raise InvalidInput(f"Actor {name!r} already exists with role {actor.role}, not {role.value}.")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    key = ApiKey(actor_id=actor.id, prefix=prefix, secret_hash=_hash_secret(secret), created_at=now)
    session.add(key)
    session.flush()
    ledger.append(session, "key.created", actor_id=None, at=now, payload={"actor_id": str(actor.id), "prefix": prefix})
    return actor, key, f"{KEY_SCHEME}_{prefix}_{secret}"


def revoke_key(session: Session, prefix: str) -> ApiKey:
    """Revoke a key by its prefix (the part after `cdb_`); revoking twice is a no-op.

    The desk sessions signed in with the key end with it (api/services/desk_sessions.py).
    """
    prefix = prefix.removeprefix(f"{KEY_SCHEME}_").split("_")[0]
    now = ledger.clock(session)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"No API key has the prefix {prefix!r}.")
    if key.revoked_at is None:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(revoked_at=now))
        session.execute(delete(DeskSession).where(DeskSession.api_key_id == key.id))
        ledger.append(
            session,
            "key.revoked",
            actor_id=None,
            at=now,
            payload={"actor_id": str(key.actor_id), "prefix": prefix},
        )
        session.refresh(key)
    return key
