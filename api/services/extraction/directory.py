"""The sources already recorded, as the extraction steps look them up: by name or alias, tolerantly.

Exact matches use the same `name_key` as the `source_names` table; near matches ("Ukraine's air force"
for the alias "Ukrainian Air Force", "Kharkiv regional military administrator" for "... Administration")
use a country-adjective rewrite, a token-subset rule and difflib's ratio, in that order.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services.extraction.lexicon import COUNTRY_ADJECTIVES
from api.services.names import name_key
from models import Source, SourceName

# Below this difflib ratio two names are different parties ("Russian ..." vs "Ukrainian ..." score ~0.84).
FUZZY_THRESHOLD = 0.88
_MAX_NAME_WORDS = 8
_STOP_TOKENS = {"the", "of", "for", "and", "in", "on", "at", "a", "an"}
# A word in a name: letters, digits, inner apostrophes, periods and hyphens ("U.S.-based", "Ukraine's").
WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]")


@dataclass(frozen=True)
class KnownSource:
    """A source as recorded: its id, canonical name, every name it answers to, kind, parent and role."""

    id: uuid.UUID
    name: str
    kind: str
    names: tuple[str, ...]
    parent_id: uuid.UUID | None = None
    role: str | None = None


def _tokens(key: str) -> list[str]:
    """The words of a name key that tell names apart, possessives reduced ("ukraine's" → "ukraine")."""
    return [_strip_possessive(token) for token in WORD.findall(key) if token not in _STOP_TOKENS]


def _strip_possessive(text: str) -> str:
    """ "Ukraine's" → "Ukraine"."""
    return re.sub(r"['’]s$", "", text)


class SourceDirectory:
    """Every known source, indexed by name key and by word for near matches."""

    def __init__(self, sources: Iterable[KnownSource] = ()) -> None:
        self.by_id: dict[uuid.UUID, KnownSource] = {}
        self.by_key: dict[str, uuid.UUID] = {}
        self._by_token: dict[str, set[str]] = {}
        self._lengths: set[int] = set()
        for source in sources:
            self.by_id[source.id] = source
            for name in source.names:
                key = name_key(name)
                self.by_key[key] = source.id
                self._lengths.add(min(len(key.split()), _MAX_NAME_WORDS))
                for token in _tokens(key):
                    self._by_token.setdefault(token, set()).add(key)

    @classmethod
    def from_session(cls, session: Session) -> SourceDirectory:
        """Load every source with its names in two queries."""
        names: dict[uuid.UUID, list[str]] = {}
        for source_id, name in session.execute(
            select(SourceName.source_id, SourceName.name).order_by(SourceName.source_id, SourceName.position)
        ):
            names.setdefault(source_id, []).append(name)
        rows = session.execute(select(Source.id, Source.name, Source.kind, Source.parent_id, Source.role))
        return cls(
            KnownSource(row.id, row.name, row.kind, tuple(names.get(row.id, [row.name])), row.parent_id, row.role)
            for row in rows
        )

    def __len__(self) -> int:
        """How many sources are known."""
        return len(self.by_id)

    def get(self, source_id: uuid.UUID | None) -> KnownSource | None:
        """The source with this id, if known."""
        return self.by_id.get(source_id) if source_id is not None else None

    def exact(self, text: str) -> KnownSource | None:
        """The source whose name or alias is `text`, compared by `name_key`."""
        found = self.by_key.get(name_key(text))
        return self.by_id[found] if found is not None else None

    def lookup(self, text: str) -> KnownSource | None:
        """The source `text` names: exactly, then after small rewrites, then by near match; None if unsure."""
        text = text.strip(' ,.;:"“”')
        variants = [text, re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)]
        variants.append(_strip_possessive(variants[-1]))
        variants.append(self._country_adjective(variants[-1]))
        for variant in variants:
            found = self.exact(variant)
            if found is not None:
                return found
        for variant in dict.fromkeys(variants[2:]):
            found = self._near(name_key(variant))
            if found is not None:
                return found
        return None

    @staticmethod
    def _country_adjective(text: str) -> str:
        """ "Ukraine's air force" → "Ukrainian air force": aliases usually open with the adjective."""
        match = re.match(r"^([\w.]+)['’]s\s+(.+)$", text)
        if match and match.group(1).lower() in COUNTRY_ADJECTIVES:
            return f"{COUNTRY_ADJECTIVES[match.group(1).lower()]} {match.group(2)}"
        return text

    def _near(self, key: str) -> KnownSource | None:
        """The one source whose name differs from `key` only slightly; None if none or several."""
        tokens = set(_tokens(key))
        if not tokens:
            return None
        candidates: set[str] = set()
        for token in tokens:
            candidates |= self._by_token.get(token, set())
        # Every word of the mention in one name that has at most one word more: "Ukrainian forces".
        subset = {
            self.by_key[candidate]
            for candidate in candidates
            if len(tokens) >= 2 and tokens <= set(_tokens(candidate)) and len(_tokens(candidate)) - len(tokens) <= 1
        }
        if len(subset) == 1:
            return self.by_id[subset.pop()]
        best: tuple[float, uuid.UUID | None] = (0.0, None)
        tied = False
        for candidate in candidates:
            matcher = difflib.SequenceMatcher(None, key, candidate)
            if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio > best[0]:
                tied = best[1] is not None and best[1] != self.by_key[candidate] and ratio - best[0] < 0.02
                best = (ratio, self.by_key[candidate])
        if best[1] is None or best[0] < FUZZY_THRESHOLD or tied:
            return None
        return self.by_id[best[1]]

    def containing(self, words: Iterable[str]) -> list[KnownSource]:
        """Sources one of whose names holds all these words ("regional military administration")."""
        wanted = [word.lower() for word in words if word.lower() not in _STOP_TOKENS]
        if not wanted:
            return []
        keys = set.intersection(*(self._by_token.get(word, set()) for word in wanted))
        found: dict[uuid.UUID, KnownSource] = {}
        for key in sorted(keys):
            found.setdefault(self.by_key[key], self.by_id[self.by_key[key]])
        return list(found.values())

    def mentions(self, text: str) -> list[tuple[int, KnownSource]]:
        """Known names written in `text` (longest first at each word), with their offsets."""
        if not self.by_key:
            return []
        words = list(WORD.finditer(text))
        keys = [name_key(_strip_possessive(word.group(0))) for word in words]
        raw_keys = [name_key(word.group(0)) for word in words]
        found: list[tuple[int, KnownSource]] = []
        index = 0
        while index < len(words):
            if not words[index].group(0)[0].isupper():
                index += 1
                continue
            matched = 0
            for length in sorted(self._lengths, reverse=True):
                if index + length > len(words):
                    continue
                key = " ".join([*raw_keys[index : index + length - 1], keys[index + length - 1]])
                source_id = self.by_key.get(key)
                if source_id is not None:
                    found.append((words[index].start(), self.by_id[source_id]))
                    matched = length
                    break
            index += matched or 1
        return found
