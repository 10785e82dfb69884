"""The demo data: the claims of UPI's report of 14 May 2022 on Kharkiv, Izium and Azovstal.

Loaded through the same services as the API, so every row has its ledger event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.claims import ClaimIn, EvidenceIn
from api.schemas.documents import DocumentIn
from api.schemas.sources import SourceIn
from api.services import claims, documents, sources, workflow
from api.services.auth import Principal, create_key, revoke_key
from models import Actor, ApiKey, Claim
from models.vocabulary import Channel, EvidenceKind, Precision, Role, Stance, Status

DEMO_ACTORS = {
    Role.VIEWER: "demo-viewer",
    Role.ANALYST: "demo-analyst",
    Role.REVIEWER: "demo-reviewer",
    Role.ADMIN: "demo-admin",
}

SATURDAY = datetime(2022, 5, 14, tzinfo=UTC)  # the report's date
FRIDAY = datetime(2022, 5, 13, tzinfo=UTC)  # ISW's assessment

# name, kind, affiliation, parent, role, aliases, reliability (graded by the admin)
SOURCES: list[tuple[str, str, str, str | None, str | None, list[str], str]] = [
    ("United Press International", "media", "US", None, None, ["UPI"], "B"),
    ("Suspilne", "media", "UA", None, None, ["Suspilne Ukraine", "Public Broadcasting Company of Ukraine"], "B"),
    ("Armed Forces of Ukraine", "military", "UA", None, None, ["ZSU", "Ukrainian Armed Forces"], "C"),
    (
        "General Staff of the Armed Forces of Ukraine",
        "military",
        "UA",
        "Armed Forces of Ukraine",
        None,
        ["Ukrainian General Staff", "General Staff"],
        "C",
    ),
    ("Oleksandr Shtupun", "individual", "UA", "General Staff of the Armed Forces of Ukraine", "spokesman", [], "C"),
    ("Institute for the Study of War", "think_tank", "US", None, None, ["ISW"], "B"),
    ("Kharkiv Regional Military Administration", "official", "UA", None, None, ["Kharkiv RMA"], "C"),
    ("Oleh Synehubov", "individual", "UA", "Kharkiv Regional Military Administration", "head", [], "C"),
    ("Azov Regiment", "armed_group", "UA", None, None, ["Azov"], "D"),
    ("Government of Ukraine", "government", "UA", None, None, ["Cabinet of Ministers of Ukraine"], "C"),
    ("Iryna Vereshchuk", "individual", "UA", "Government of Ukraine", "Deputy Prime Minister", [], "C"),
    ("President of Ukraine", "government", "UA", None, None, ["Office of the President of Ukraine"], "C"),
    ("Volodymyr Zelensky", "individual", "UA", "President of Ukraine", "President", ["Zelenskyy"], "C"),
]


@dataclass(frozen=True)
class DemoClaim:
    statement: str
    source: str
    channel: str
    stated_at: datetime
    places: tuple[str, ...]
    quote: str | None = None
    speaker: str | None = None
    channel_detail: str | None = None
    via: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


CLAIMS = [
    DemoClaim(
        "Russian forces are no longer conducting active hostilities in the Kharkiv area.",
        "General Staff of the Armed Forces of Ukraine",
        "update",
        SATURDAY,
        ("Kharkiv",),
        quote="active hostilities in the Kharkiv area",
        speaker="Oleksandr Shtupun",
        channel_detail="in an update",
        tags=("withdrawal",),
    ),
    DemoClaim(
        "Russia's main efforts are focused on withdrawing its troops from Kharkiv while holding occupied positions "
        "and supply routes.",
        "General Staff of the Armed Forces of Ukraine",
        "update",
        SATURDAY,
        ("Kharkiv",),
        quote="focused on ensuring the withdrawal of its troops from the city of Kharkiv, maintaining the occupied "
        "positions and supply routes",
        speaker="Oleksandr Shtupun",
        channel_detail="in an update",
        tags=("withdrawal",),
    ),
    DemoClaim(
        "Russian forces are retreating from the city of Kharkiv.",
        "Armed Forces of Ukraine",
        "statement",
        SATURDAY,
        ("Kharkiv",),
        channel_detail="military officials, as summarised by the report",
        tags=("withdrawal",),
    ),
    DemoClaim(
        "The Russian military has likely decided to withdraw fully from its positions around Kharkiv.",
        "Institute for the Study of War",
        "assessment",
        FRIDAY,
        ("Kharkiv",),
        tags=("withdrawal", "assessment"),
    ),
    DemoClaim(
        "Ukraine appears to have won the Battle of Kharkiv.",
        "Institute for the Study of War",
        "assessment",
        FRIDAY,
        ("Kharkiv",),
        quote="Ukraine thus appears to have won the Battle of Kharkiv",
        tags=("assessment",),
    ),
    DemoClaim(
        "Izium remains the most intense area of fighting in the Kharkiv region.",
        "Kharkiv Regional Military Administration",
        "telegram",
        SATURDAY,
        ("Izium",),
        quote="remains the hottest spot",
        speaker="Oleh Synehubov",
        channel_detail="posted on Telegram",
    ),
    DemoClaim(
        "Ukrainian forces have launched a counteroffensive near Izium and Russian forces are retreating in some "
        "directions.",
        "Kharkiv Regional Military Administration",
        "telegram",
        SATURDAY,
        ("Izium",),
        quote="Our armed forces have launched a counteroffensive, the enemy retreats in some directions.",
        speaker="Oleh Synehubov",
        channel_detail="posted on Telegram",
        tags=("counteroffensive",),
    ),
    DemoClaim(
        "Russian fire is concentrated on Chuhuyiv, Derhachi, Zolochiv and Lozova around Izium.",
        "Kharkiv Regional Military Administration",
        "telegram",
        SATURDAY,
        ("Chuhuyiv", "Derhachi", "Zolochiv", "Lozova", "Izium"),
        speaker="Oleh Synehubov",
        channel_detail="posted on Telegram",
        tags=("shelling",),
    ),
    DemoClaim(
        "Ukrainian forces have had success against Russian troops around Izium.",
        "Armed Forces of Ukraine",
        "statement",
        SATURDAY,
        ("Izium",),
        tags=("counteroffensive",),
    ),
    DemoClaim(
        "The situation at the Azovstal steel plant is extremely critical.",
        "Azov Regiment",
        "telegram",
        SATURDAY,
        ("Azovstal", "Mariupol"),
        quote="extremely critical",
        channel_detail="in a Telegram post",
        tags=("siege",),
    ),
    DemoClaim(
        "Russian forces are using heavy artillery and tanks and bombarding Azovstal continually.",
        "Azov Regiment",
        "telegram",
        SATURDAY,
        ("Azovstal", "Mariupol"),
        quote="heavy artillery and tanks",
        channel_detail="in a Telegram post",
        tags=("siege",),
    ),
    DemoClaim(
        "Kyiv is negotiating the evacuation of 60 people from the Azovstal plant.",
        "Government of Ukraine",
        "interview",
        SATURDAY,
        ("Azovstal", "Mariupol"),
        speaker="Iryna Vereshchuk",
        channel_detail="told Ukrainian state broadcaster Suspilne",
        via=("Suspilne",),
        tags=("evacuation",),
    ),
    DemoClaim(
        "Several hundred wounded are at Azovstal and must be evacuated first.",
        "Government of Ukraine",
        "interview",
        SATURDAY,
        ("Azovstal",),
        quote="There are several hundred wounded [at Azovstal], and they must be rescued in the first place because "
        "the Russians do not agree on all of them at once",
        speaker="Iryna Vereshchuk",
        channel_detail="told Ukrainian state broadcaster Suspilne",
        via=("Suspilne",),
        tags=("evacuation",),
    ),
    DemoClaim(
        "Israel, Switzerland, Turkey and Finland are involved in negotiations with Russia on evacuating the Azovstal "
        "fighters.",
        "President of Ukraine",
        "statement",
        SATURDAY,
        ("Azovstal",),
        speaker="Volodymyr Zelensky",
        tags=("evacuation", "negotiations"),
    ),
]


def revoke_demo_keys(session: Session) -> int:
    """Revoke every live key of the demo actors (each `claimdb demo` issues new ones); how many were revoked.

    Their secrets were printed once and never stored, so they cannot be shown again: revoking them is what
    keeps `make run`, run day after day, from leaving four more live keys behind each time.
    """
    prefixes = session.scalars(
        select(ApiKey.prefix)
        .join(Actor, Actor.id == ApiKey.actor_id)
        .where(Actor.name.in_(DEMO_ACTORS.values()), ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at, ApiKey.prefix)
    ).all()
    for prefix in prefixes:
        revoke_key(session, prefix)
    return len(prefixes)


def issue_demo_keys(session: Session) -> list[tuple[Role, str, str]]:
    """A fresh key for each demo actor (role, actor name, key); the secrets exist only in this answer."""
    issued = []
    for role, name in DEMO_ACTORS.items():
        _actor, _key, secret = create_key(session, name, role)
        issued.append((role, name, secret))
    return issued


def _principal(session: Session, role: Role) -> Principal:
    actor = session.scalar(select(Actor).where(Actor.name == DEMO_ACTORS[role]))
    assert actor is not None, "issue_demo_keys creates the demo actors first"
    return Principal(id=actor.id, name=actor.name, role=role)


def has_claims(session: Session) -> bool:
    return session.scalar(select(Claim.id).limit(1)) is not None


def load(session: Session) -> int:
    """Record the demo sources, the report and its claims, and review two of them. Returns the claim count."""
    analyst = _principal(session, Role.ANALYST)
    admin = _principal(session, Role.ADMIN)
    reviewer = _principal(session, Role.REVIEWER)
    ids: dict[str, uuid.UUID] = {}
    for name, kind, affiliation, parent, role, aliases, reliability in SOURCES:
        source_body = SourceIn.model_validate(
            {
                "name": name,
                "kind": kind,
                "affiliation": affiliation,
                "parent_id": ids[parent] if parent else None,
                "role": role,
                "aliases": aliases,
                "reliability": reliability,
            }
        )
        ids[name] = sources.create_source(session, admin, source_body)
    report = documents.create_document(
        session,
        analyst,
        DocumentIn(
            outlet_id=ids["United Press International"],
            title="Ukraine: Russians retreating from Kharkiv, counteroffensive underway",
            published_at=SATURDAY,
        ),
    )
    claim_ids = []
    for item in CLAIMS:
        body = ClaimIn(
            statement=item.statement,
            quote=item.quote,
            source_id=ids[item.source],
            speaker_id=ids[item.speaker] if item.speaker else None,
            channel=Channel(item.channel),
            channel_detail=item.channel_detail,
            document_id=report,
            via=[ids[name] for name in item.via],
            stated_at=item.stated_at,
            stated_at_precision=Precision.DAY,
            places=list(item.places),
            tags=list(item.tags),
            language="en",
        )
        claim_id, _created = claims.create_claim(session, analyst, body)
        claim_ids.append(claim_id)
    _review_demo_claims(session, analyst, reviewer, claim_ids, ids)
    return len(claim_ids)


def _review_demo_claims(
    session: Session, analyst: Principal, reviewer: Principal, claim_ids: list[uuid.UUID], ids: dict[str, uuid.UUID]
) -> None:
    """ISW's withdrawal assessment, corroborated by the General Staff (another party); one claim under review."""
    withdrawal = claim_ids[3]
    claims.add_evidence(
        session,
        analyst,
        withdrawal,
        EvidenceIn(
            stance=Stance.SUPPORTS,
            kind=EvidenceKind.CLAIM,
            related_claim_id=claim_ids[0],
            provided_by_source_id=ids["General Staff of the Armed Forces of Ukraine"],
            note="The General Staff reports the end of active hostilities around Kharkiv the next day.",
        ),
    )
    version = workflow.change_status(
        session, analyst, withdrawal, Status.UNDER_REVIEW, "Checking against Ukrainian military reporting.", None, 2
    )
    workflow.change_status(
        session,
        reviewer,
        withdrawal,
        Status.CORROBORATED,
        "The General Staff, an independent party, reports the same withdrawal.",
        None,
        version,
    )
    workflow.change_status(
        session, analyst, claim_ids[9], Status.UNDER_REVIEW, "Seeking independent imagery of Azovstal.", None, 1
    )
