"""How alike two claims are, 0..1, what relation that makes, and why, in words a person can check.

The score is mostly the overlap of content words (stems, lemmas, names folded across scripts), with the place
and the time adding the rest:

    score = 0.8 · text + 0.1 · place + 0.1 · time
    text  = ½ · Dice(words) + ½ · overlap-over-the-shorter(words)
    place = 1 for a shared place, ½ when either names none, 0 when both name places and none is shared
    time  = 1 within 3 days, falling to 0 at 30 days apart, ½ when the request gives no time

`same_assertion` needs the score at the threshold *and* nothing that makes two statements say different things:
a negation on one side only, numbers that disagree, places that differ, or more than 7 days between them. Such a
pair is at most `related`, or `contradicts` when it is the negation of the same words about the same place and
time; its score is capped just under the threshold, so a suggestion still shows it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime

from api.services.matching.text import NAME_PREFIX, Features, surface_names

# Meedan Check (Alegre) suggests above 0.75 and confirms above 0.95; ours are tuned on tests/data/matching/.
SUGGESTION_THRESHOLD = 0.75
SAME_ASSERTION_THRESHOLD = 0.95
RELATED_MINIMUM = 0.5
SAME_DAYS = 3
WINDOW_DAYS = 30
SAME_ASSERTION_MAX_DAYS = 7
CONTRADICTION_TEXT = 0.6
_CAPPED = SAME_ASSERTION_THRESHOLD - 0.01
_SHOWN_WORDS = 8


@dataclass(frozen=True)
class Side:
    """One claim (or the request) as the scorer sees it: its `statement` and `recorded_places` only to say, in
    a reason, a name as written there."""

    features: Features
    places: frozenset[str]
    stated_at: datetime | None
    statement: str
    recorded_places: tuple[str, ...]

    @functools.cached_property
    def place_names(self) -> dict[str, str]:
        """Each name key with its spelling here (read only for the reasons of a candidate kept)."""
        return surface_names(self.statement, list(self.recorded_places))


@dataclass(frozen=True)
class Score:
    score: float
    relation: str
    reasons: list[str]
    text: float
    blockers: list[str]


def effective_places(side: Side) -> frozenset[str]:
    """The recorded places, and the names in the statement that are towns the gazetteer knows."""
    return side.places | side.features.places


def _numbers_disagree(left: frozenset[str], right: frozenset[str]) -> bool:
    """Both give numbers and neither's numbers include the other's: "60 people" against "600 people"."""
    return bool(left and right and not (left <= right or right <= left))


def _days(left: datetime | None, right: datetime | None) -> float | None:
    if left is None or right is None:
        return None
    return abs((left - right).total_seconds()) / 86400


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def score_pair(
    query: Side, candidate: Side, candidate_names: dict[str, str] | None = None, minimum: float = 0.0
) -> Score:
    """The score, relation and reasons of `candidate` against `query`. Under `minimum` it is only the score: a
    caller keeping what scores at least that never shows the reasons of the rest (most of a match's candidates)."""
    left, right = query.features.words, candidate.features.words
    shared = left & right
    if not left or not right or not shared:
        text = 0.0
    else:
        dice = 2 * len(shared) / (len(left) + len(right))
        text = 0.5 * dice + 0.5 * len(shared) / min(len(left), len(right))
    query_places, candidate_places = effective_places(query), effective_places(candidate)
    shared_places = query_places & candidate_places
    place = 1.0 if shared_places else 0.0 if query_places and candidate_places else 0.5
    days = _days(query.stated_at, candidate.stated_at)
    if days is None:
        time = 0.5
    elif days <= SAME_DAYS:
        time = 1.0
    else:
        time = max(0.0, 1 - (days - SAME_DAYS) / (WINDOW_DAYS - SAME_DAYS))
    score = 0.8 * text + 0.1 * place + 0.1 * time
    negation_differs = query.features.negated != candidate.features.negated
    numbers_differ = _numbers_disagree(query.features.numbers, candidate.features.numbers)
    too_far = days is not None and days > SAME_ASSERTION_MAX_DAYS
    other_language = query.features.language != candidate.features.language
    blocked = negation_differs or numbers_differ or place == 0.0 or too_far or other_language
    if blocked:
        score = min(score, _CAPPED)
    if round(score, 4) < minimum:
        return Score(round(score, 4), "related", [], text, [])
    reasons: list[str] = []
    if shared:
        # By the word as read, then as written: "The" and "the" in the same order in every process.
        shown = sorted(
            (_display(word, query, candidate, candidate_names) for word in shared),
            key=lambda word: (word.casefold(), word),
        )
        more = f" and {len(shown) - _SHOWN_WORDS} more" if len(shown) > _SHOWN_WORDS else ""
        reasons.append(
            f"shares {len(shared)} of {max(len(left), len(right))} content words: "
            f"{', '.join(shown[:_SHOWN_WORDS])}{more}"
        )
    if shared_places:
        names = sorted(_display(key, query, candidate, candidate_names) for key in shared_places)
        reasons.append(f"the same place: {', '.join(names)}")
    elif place == 0.0:
        reasons.append("different places")
    if days is not None:
        if days <= SAME_DAYS:
            reasons.append("stated the same day" if days < 1 else f"within {_plural(math.ceil(days), 'day')}")
        else:
            reasons.append(f"stated {_plural(round(days), 'day')} apart")
    blockers: list[str] = []
    if negation_differs:
        negated = "this request" if query.features.negated else "the recorded claim"
        blockers.append(f"only {negated} is negated")
    if numbers_differ:
        blockers.append(
            f"the numbers differ ({', '.join(sorted(query.features.numbers, key=_numeric))} against "
            f"{', '.join(sorted(candidate.features.numbers, key=_numeric))})"
        )
    if place == 0.0:
        blockers.append("the places differ")
    if too_far:
        blockers.append(f"more than {SAME_ASSERTION_MAX_DAYS} days apart")
    if other_language:
        blockers.append(f"in another language ({candidate.features.language})")
    reasons.extend(blockers)
    contradicts = (
        negation_differs
        and text >= CONTRADICTION_TEXT
        and place > 0.0
        and (days is None or days <= SAME_ASSERTION_MAX_DAYS)
        and len(blockers) == 1
    )
    if contradicts:
        relation = "contradicts"
    elif not blockers and score >= SAME_ASSERTION_THRESHOLD:
        relation = "same_assertion"
    else:
        relation = "related"
    return Score(round(score, 4), relation, reasons, text, blockers)


def _numeric(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def _display(word: str, query: Side, candidate: Side, candidate_names: dict[str, str] | None) -> str:
    """A shared term as a person would read it: a name as written (the request's spelling first), a stem as is."""
    if not word.startswith(NAME_PREFIX):
        return word
    for names in (query.place_names, candidate.place_names, candidate_names or {}):
        if word in names:
            return names[word]
    return word.removeprefix(NAME_PREFIX)
