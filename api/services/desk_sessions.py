"""Desk sessions: a sign-in is a row on the server, and the desk's cookie holds only its random id.

The API key an analyst pastes is checked once, at sign-in, and never leaves the server again: the session
names the key's row. So a copy of the cookie stops working at sign-out (the row is deleted), when the key is
revoked (`api.services.auth.revoke_key` deletes its sessions, and a revoked key's session would not be read
anyway), and when the session expires. The id is 256 random bits, stored only as its SHA-256, like a key's
secret: a copy of the table signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from api.services.auth import KEY_SCHEME, Principal
from models import Actor, ApiKey, DeskSession
from models.base import utc_now
from models.vocabulary import Role


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(session: Session, api_key: str, lifetime_seconds: int) -> str:
    """A new session for an API key that has just authenticated; returns the id the cookie is to hold.

    Expired sessions are deleted on the way: sign-ins are rare enough for that to keep the table small.
    """
    now = utc_now()
    prefix = api_key.removeprefix(f"{KEY_SCHEME}_").split("_")[0]
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
    if key_id is None:
        raise LookupError("start() is called with a key that has just authenticated")
    session.execute(delete(DeskSession).where(DeskSession.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.add(
        DeskSession(
            token_hash=_hash(session_id),
            api_key_id=key_id,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
        )
    )
    session.flush()
    return session_id


def principal_of(session: Session | Connection, session_id: str) -> Principal | None:
    """Who a session acts as; None when it is unknown, ended, expired, or its key has been revoked."""
    row = session.execute(
        select(Actor.id, Actor.name, Actor.role)
        .join(ApiKey, ApiKey.actor_id == Actor.id)
        .join(DeskSession, DeskSession.api_key_id == ApiKey.id)
        .where(
            DeskSession.token_hash == _hash(session_id),
            DeskSession.expires_at > utc_now(),
            ApiKey.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else Principal(id=row.id, name=row.name, role=Role(row.role))


def end(session: Session, session_id: str) -> None:
    """Sign out: the session is deleted, so no copy of its cookie works again."""
    session.execute(delete(DeskSession).where(DeskSession.token_hash == _hash(session_id)))
