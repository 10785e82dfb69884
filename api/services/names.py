"""The form under which names are compared: sources' names and aliases, places and tags."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """NFC, case-folded, inner spaces collapsed: "  Kharkiv  RMA" and "kharkiv rma" are one name."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())
