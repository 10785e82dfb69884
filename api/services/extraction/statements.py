"""Step 6 (shaping): the statement as a neutral sentence, the verbatim quotation in it, and its hedges."""

from __future__ import annotations

import re

from api.services.extraction.cues import negated_prefix
from api.services.extraction.lexicon import HEDGES, NEGATING, REPORTED_NOUNS
from api.services.extraction.sentences import quote_regions

# Any hedge from the lexicon as whole words; "may" only in lower case, so the month never counts.
_HEDGE = re.compile(r"\b(?:" + "|".join(re.escape(hedge) for hedge in HEDGES) + r")\b")
_QUOTE_MARKS = re.compile(r"[\"“”]")


def neutral_statement(text: str, lemma: str = "say") -> str:
    """The statement as a sentence: quotation marks dropped, first letter capitalised, one final stop."""
    sentence = " ".join(_QUOTE_MARKS.sub("", text).split())
    sentence = sentence.strip(" ,;:-—–")
    sentence = re.sub(r"^that\s+", "", sentence)
    prefix = negated_prefix(lemma)
    if prefix is not None:
        first = sentence.split()[0].lower() if sentence else ""
        if lemma in NEGATING and first not in REPORTED_NOUNS and not first.endswith("ing"):
            prefix += " that"  # "Denies that X", but "Rejects claims that X" and "Denies striking X"
        sentence = f"{prefix} {sentence}"
    if not sentence:
        return sentence
    sentence = sentence[0].upper() + sentence[1:]
    if sentence[-1] not in ".!?":
        sentence = sentence.rstrip(".,;:") + "."
    return sentence


def quotation(text: str) -> str | None:
    """The verbatim quoted words inside a statement (several pieces joined by " … "), if any."""
    pieces = []
    for start, end in quote_regions(text):
        piece = text[start + 1 : end].strip().rstrip(",")
        if piece:
            pieces.append(piece)
    return " … ".join(pieces) if pieces else None


def is_hedged(text: str) -> bool:
    """Whether the statement itself marks uncertainty: "likely", "appears to", "reportedly", "may"."""
    return _HEDGE.search(text) is not None
