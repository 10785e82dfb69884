"""Role rules at the service level: each service refuses a role that may not, whatever gate a route has before it.

The API's routes gate mutating operations early (a viewer's request is refused before its body is read); the
services are the rule. These tests call the services directly with each refused role, on both engines, so that
removing a service's own check fails a test even though the routes would still refuse.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.database import Database
from api.errors import Forbidden
from api.schemas.claims import ClaimIn, ClaimPatch, EvidenceIn, LinkIn
from api.schemas.documents import DocumentIn
from api.schemas.sources import SourceIn, SourcePatch
from api.services import claims, documents, importing, sources, workflow
from api.services.auth import Principal, authenticate
from models.vocabulary import Status


@pytest.fixture
def as_actor(database: Database, keys: dict[str, str]) -> Callable[[str], Principal]:
    def principal(who: str) -> Principal:
        with database.transaction(write=False) as session:
            return authenticate(session, keys[who])

    return principal


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.transaction() as session:
        yield session


def _claim(session: Session, analyst: Principal) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A source, an outside provider and a claim under review, recorded by `analyst`."""
    source_id = sources.create_source(session, analyst, SourceIn(name="General Staff", kind="military"))
    provider_id = sources.create_source(session, analyst, SourceIn(name="ISW", kind="think_tank"))
    body = ClaimIn(
        statement="Russian forces are retreating from Kharkiv.",
        source_id=source_id,
        channel="update",
        stated_at=datetime(2022, 5, 14, 9, tzinfo=UTC),
    )
    claim_id, _created = claims.create_claim(session, analyst, body)
    workflow.change_status(session, analyst, claim_id, Status.UNDER_REVIEW, "checking", None, 1)
    return source_id, provider_id, claim_id


def _refused(write: Callable[[], Any], role: str) -> None:
    with pytest.raises(Forbidden, match=role):
        write()


def test_a_viewer_is_refused_by_every_writing_service(session: Session, as_actor: Callable[[str], Principal]) -> None:
    viewer, analyst = as_actor("viewer"), as_actor("analyst")
    source_id, provider_id, claim_id = _claim(session, analyst)
    stated = datetime(2022, 5, 14, tzinfo=UTC)
    writes: list[Callable[[], Any]] = [
        lambda: sources.create_source(session, viewer, SourceIn(name="Another", kind="media")),
        lambda: sources.update_source(session, viewer, source_id, SourcePatch(role="army")),
        lambda: documents.create_document(session, viewer, DocumentIn(title="A report")),
        lambda: claims.create_claim(
            session, viewer, ClaimIn(statement="x", source_id=source_id, channel="update", stated_at=stated)
        ),
        lambda: claims.amend_claim(session, viewer, claim_id, ClaimPatch(statement="y"), 2),
        lambda: claims.add_evidence(
            session,
            viewer,
            claim_id,
            EvidenceIn(stance="supports", kind="other", note="n", provided_by_source_id=provider_id),
        ),
        lambda: claims.add_link(session, viewer, claim_id, LinkIn(kind="duplicates", to_claim=claim_id)),
        lambda: workflow.change_status(session, viewer, claim_id, Status.DISPUTED, "no", None, 2),
    ]
    for write in writes:
        _refused(write, "analyst")


def test_an_analyst_may_open_a_review_but_not_judge(session: Session, as_actor: Callable[[str], Principal]) -> None:
    analyst, other = as_actor("analyst"), as_actor("analyst2")
    _source_id, _provider_id, claim_id = _claim(session, analyst)
    _refused(lambda: workflow.change_status(session, other, claim_id, Status.DISPUTED, "no", None, 2), "reviewer")


def test_only_an_admin_grades_reliability_or_changes_a_parent(
    session: Session, as_actor: Callable[[str], Principal]
) -> None:
    analyst, reviewer = as_actor("analyst"), as_actor("reviewer")
    source_id, provider_id, _claim_id = _claim(session, analyst)
    for actor in (analyst, reviewer):
        with pytest.raises(Forbidden, match="admin"):
            sources.create_source(session, actor, SourceIn(name=f"Graded {actor.name}", kind="media", reliability="A"))
        with pytest.raises(Forbidden, match="admin"):
            sources.update_source(session, actor, source_id, SourcePatch(reliability="A"))
        with pytest.raises(Forbidden, match="admin"):
            sources.update_source(session, actor, provider_id, SourcePatch(parent_id=source_id))


def test_the_recorder_may_not_confirm_their_own_claim(session: Session, as_actor: Callable[[str], Principal]) -> None:
    admin = as_actor("admin")
    _source_id, provider_id, claim_id = _claim(session, admin)
    claims.add_evidence(
        session,
        admin,
        claim_id,
        EvidenceIn(stance="supports", kind="other", note="n", provided_by_source_id=provider_id),
    )
    with pytest.raises(Forbidden, match="Four eyes"):
        workflow.change_status(session, admin, claim_id, Status.CONFIRMED, "seen", None, 3)


def test_only_an_admin_imports(session: Session, as_actor: Callable[[str], Principal]) -> None:
    line = b'{"statement": "x", "source": {"name": "S", "kind": "media"}, "channel": "update", '
    line += b'"stated_at": "2022-05-14"}\n'
    for who in ("analyst", "reviewer"):
        with pytest.raises(Forbidden, match="admin"):
            importing.import_claims(session, as_actor(who), io.BytesIO(line))
