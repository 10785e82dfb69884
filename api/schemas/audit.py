"""Shapes of the log's answers: an event with its leaf, and the Merkle proofs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.claims import EventOut


class LogEventOut(EventOut):
    leaf: str = Field(description="The event's leaf bytes, base64: the canonical JSON its hash covers.")


class InclusionProofOut(BaseModel):
    leaf_index: int = Field(description="The event's seq − 1.")
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ leaf), hex.")
    hashes: list[str] = Field(description="RFC 9162 §2.1.3 inclusion path, bottom up, hex.")


class ConsistencyProofOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_size: int = Field(alias="from")
    to: int
    hashes: list[str] = Field(description="RFC 9162 §2.1.4 consistency proof, hex.")
