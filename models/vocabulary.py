"""The closed vocabularies of the domain, shared by models (CHECK constraints) and the API (validation)."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    ADMIN = "admin"


ROLE_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.REVIEWER: 2, Role.ADMIN: 3}


class SourceKind(StrEnum):
    MILITARY = "military"
    GOVERNMENT = "government"
    OFFICIAL = "official"
    THINK_TANK = "think_tank"
    ARMED_GROUP = "armed_group"
    MEDIA = "media"
    NGO = "ngo"
    INDIVIDUAL = "individual"
    OTHER = "other"


class Reliability(StrEnum):
    """Admiralty source grading: A completely reliable … E unreliable, F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Channel(StrEnum):
    STATEMENT = "statement"
    BRIEFING = "briefing"
    UPDATE = "update"
    TELEGRAM = "telegram"
    SOCIAL_MEDIA = "social_media"
    INTERVIEW = "interview"
    BROADCAST = "broadcast"
    ASSESSMENT = "assessment"
    PRESS_RELEASE = "press_release"
    OTHER = "other"


class Precision(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class EventPrecision(StrEnum):
    """How precisely a claim's event window is known (ACLED's and UCDP's time precision, in words)."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class PlaceKind(StrEnum):
    SETTLEMENT = "settlement"
    REGION = "region"
    FACILITY = "facility"
    WATER = "water"
    COUNTRY = "country"


class PlacePrecision(StrEnum):
    """How closely a claim's place is known: the spot, near it, the locality, only its region, only its country."""

    EXACT = "exact"
    NEAR = "near"
    LOCALITY = "locality"
    REGION = "region"
    COUNTRY = "country"


class Status(StrEnum):
    CLAIMED = "claimed"
    UNDER_REVIEW = "under_review"
    CORROBORATED = "corroborated"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    REFUTED = "refuted"
    UNVERIFIABLE = "unverifiable"
    RETRACTED = "retracted"


REVIEWED_STATUSES = frozenset(
    {Status.CORROBORATED, Status.CONFIRMED, Status.DISPUTED, Status.REFUTED, Status.UNVERIFIABLE}
)

# Admiralty information credibility, derived from the verification status (DESIGN §3).
CREDIBILITY = {
    Status.CONFIRMED: 1,
    Status.CORROBORATED: 2,
    Status.DISPUTED: 4,
    Status.REFUTED: 5,
    Status.CLAIMED: 6,
    Status.UNDER_REVIEW: 6,
    Status.UNVERIFIABLE: 6,
    Status.RETRACTED: 6,
}


class Stance(StrEnum):
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"


class EvidenceKind(StrEnum):
    DOCUMENT = "document"
    IMAGERY = "imagery"
    CLAIM = "claim"
    OFFICIAL_RECORD = "official_record"
    OTHER = "other"


class LinkKind(StrEnum):
    CORROBORATES = "corroborates"
    CONTRADICTS = "contradicts"
    DUPLICATES = "duplicates"
    SUPERSEDES = "supersedes"


def check_in(column: str, values: type[StrEnum]) -> str:
    """SQL for a CHECK constraint that keeps `column` inside an enumeration."""
    listed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({listed})"
