"""Table mappings only: no HTTP, no rules. Importing this package registers every table on `Base.metadata`."""

from models.actor import Actor, ApiKey
from models.base import Base
from models.claim import (
    Claim,
    ClaimLink,
    ClaimMatchTerm,
    ClaimPlace,
    ClaimTag,
    ClaimVia,
    Evidence,
    IdempotencyKey,
    Verdict,
    VerdictEvidence,
)
from models.desk_session import DeskSession
from models.document import Document
from models.event import Event
from models.place import Place, PlaceName
from models.source import Source, SourceName
from models.transparency import TreeHash

__all__ = [
    "Actor",
    "ApiKey",
    "Base",
    "Claim",
    "ClaimLink",
    "ClaimMatchTerm",
    "ClaimPlace",
    "ClaimTag",
    "ClaimVia",
    "DeskSession",
    "Document",
    "Event",
    "Evidence",
    "IdempotencyKey",
    "Place",
    "PlaceName",
    "Source",
    "SourceName",
    "TreeHash",
    "Verdict",
    "VerdictEvidence",
]
