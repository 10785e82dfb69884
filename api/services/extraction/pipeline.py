"""The extraction pipeline: sentences → cues → speakers → channel → date → event date → places → candidates.

Pure: it takes the text and a `SourceDirectory` and returns candidates; nothing is read from or written to
the database here, which keeps the steps testable on their own and the run deterministic.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from api.services.extraction.channels import detect_channel
from api.services.extraction.cues import Frame, find_frames, is_full_quotation
from api.services.extraction.dates import StatedAt, publication_day, resolve_stated_at
from api.services.extraction.directory import SourceDirectory
from api.services.extraction.event_dates import resolve_event_window
from api.services.extraction.places import find_places
from api.services.extraction.sentences import Sentence, split_sentences
from api.services.extraction.speakers import Party, Ref, Resolver, parse_subject
from api.services.extraction.statements import is_hedged, neutral_statement, quotation
from api.services.names import name_key

# A quotation standing alone continues the last speaker only this many sentences later.
_CONTINUATION_REACH = 1


@dataclass(frozen=True)
class Candidate:
    """A proposed claim: what was said, by whom, through whom, how, when, where, and where in the text."""

    statement: str
    quote: str | None
    source: Ref
    speaker_name: str | None
    speaker_role: str | None
    speaker_id: uuid.UUID | None
    via: tuple[Ref, ...]
    channel: str
    channel_detail: str | None
    stated_at: datetime | None
    stated_at_precision: str | None
    # When the reported event happened, when the statement's words say (`event_dates.py`); None otherwise.
    event_start: datetime | None
    event_end: datetime | None
    event_precision: str | None
    places: tuple[str, ...]
    hedged: bool
    span: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        """The candidate in the shape of the API's answer."""
        speaker = None
        if self.speaker_name is not None:
            speaker = {"name": self.speaker_name, "role": self.speaker_role, "source_id": self.speaker_id}
        return {
            "statement": self.statement,
            "quote": self.quote,
            "source": {"name": self.source.name, "source_id": self.source.source_id},
            "speaker": speaker,
            "via": [{"name": ref.name, "source_id": ref.source_id} for ref in self.via],
            "channel": self.channel,
            "channel_detail": self.channel_detail,
            "stated_at": self.stated_at,
            "stated_at_precision": self.stated_at_precision,
            "event_start": self.event_start,
            "event_end": self.event_end,
            "event_precision": self.event_precision,
            "places": list(self.places),
            "hedged": self.hedged,
            "span": list(self.span),
        }


@dataclass
class _Said:
    """How the last attribution was made, for pronouns and continuing quotations to inherit."""

    party: Party
    channel: str
    detail: str | None
    stated: StatedAt | None
    via: tuple[Ref, ...]
    sentence_index: int


@dataclass
class _Run:
    """The state of one extraction: the article, what is known, and the candidates so far."""

    text: str
    directory: SourceDirectory
    published: date | None
    zone: Any
    outlet: Ref | None
    recorded_places: Collection[str]
    resolver: Resolver = field(init=False)
    candidates: list[Candidate] = field(default_factory=list)
    last: _Said | None = None

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.directory)


def _same_ref(first: Ref, second: Ref) -> bool:
    """Whether two references name the same party (by id when both have one)."""
    if first.source_id is not None and second.source_id is not None:
        return first.source_id == second.source_id
    return name_key(first.name) == name_key(second.name)


def _via(run: _Run, refs: list[Ref], source: Ref) -> tuple[Ref, ...]:
    """Intermediaries in order, without the origin itself, repeats, or the report's own outlet."""
    kept: list[Ref] = []
    for ref in refs:
        if _same_ref(ref, source) or any(_same_ref(ref, other) for other in kept):
            continue
        if run.outlet is not None and _same_ref(ref, run.outlet):
            continue
        kept.append(ref)
    return tuple(kept)


def _candidate(run: _Run, sentence: Sentence, span: tuple[int, int], lemma: str, said: _Said) -> Candidate | None:
    """One candidate from a statement span of a sentence and the attribution it belongs to."""
    local = sentence.text[span[0] : span[1]]
    statement = neutral_statement(local, lemma)
    if len(statement.split()) < 2:
        return None
    speaker = said.party.speaker
    exclude = speaker.name.split() if speaker is not None else []
    stated = said.stated
    if stated is None and run.published is not None:
        stated = resolve_stated_at("today", run.published, run.zone)
    window = resolve_event_window(local, run.published, run.zone)
    return Candidate(
        statement=statement,
        quote=quotation(local),
        source=said.party.source,
        speaker_name=speaker.name if speaker else None,
        speaker_role=speaker.role if speaker else None,
        speaker_id=speaker.source_id if speaker else None,
        via=said.via,
        channel=said.channel,
        channel_detail=said.detail,
        stated_at=stated.at if stated else None,
        stated_at_precision=stated.precision if stated else None,
        event_start=window.start if window else None,
        event_end=window.end if window else None,
        event_precision=window.precision if window else None,
        places=tuple(find_places(local, run.recorded_places, exclude)),
        hedged=is_hedged(local),
        span=(sentence.start + span[0], sentence.start + span[1]),
    )


def _frame_said(run: _Run, sentence: Sentence, index: int, frame: Frame, earlier: list[_Said]) -> _Said | None:
    """Resolve one frame's party, intermediaries, channel and date."""
    parsed = parse_subject(frame.subject, frame.appositive, frame.cited)
    context = f"{sentence.label or ''} {sentence.text}"
    if frame.placement == "same" and earlier:
        return earlier[-1]
    party = run.resolver.resolve(parsed, context)
    if party is None:
        return None
    if frame.statements:
        start, end, _lemma = frame.statements[0]
        party = run.resolver.speaking_for(party, sentence.text[start:end], context)
    relays: list[Ref] = []
    if frame.nested_in is not None and frame.nested_in < len(earlier):
        outer = earlier[frame.nested_in]
        relays += [outer.party.source, *outer.via]
    if parsed.cited:
        origin, relay = run.resolver.with_citation(party, parsed.cited, context)
        relays.insert(0, relay)
        party = origin
    told = run.resolver.outlet(frame.told)
    if told is not None:
        relays.insert(0, told)
    words = frame.attribution_text(sentence.text)
    channel, detail = detect_channel(words, frame.lemma, party.kind)
    stated = resolve_stated_at(words, run.published, run.zone)
    last = run.last
    if parsed.pronoun is not None and last is not None and last.party == party:
        # "..., he said" after "X posted on Telegram": the same statement, made the same way.
        if detail is None:
            channel, detail = last.channel, last.detail
        stated = stated or last.stated
        relays = relays or list(last.via)
    return _Said(party, channel, detail, stated, _via(run, relays, party.source), index)


def _process(run: _Run, index: int, sentence: Sentence) -> None:
    """Add the candidates of one sentence: its attributions, or a quotation continuing the last one."""
    frames = find_frames(sentence.text)
    if not frames:
        last = run.last
        if last is not None and index - last.sentence_index <= _CONTINUATION_REACH and is_full_quotation(sentence.text):
            # A quotation standing alone right after an attribution continues the same speaker's words.
            candidate = _candidate(run, sentence, (0, len(sentence.text)), "say", last)
            if candidate is not None:
                run.candidates.append(candidate)
                last.sentence_index = index
        return
    earlier: list[_Said] = []
    for frame in frames:
        said = _frame_said(run, sentence, index, frame, earlier)
        if said is None:
            continue
        earlier.append(said)
        run.resolver.remember(said.party)
        run.last = said
        for start, end, lemma in frame.statements:
            candidate = _candidate(run, sentence, (start, end), lemma, said)
            if candidate is not None:
                run.candidates.append(candidate)


def extract_candidates(
    text: str,
    directory: SourceDirectory | None = None,
    *,
    published_at: date | datetime | None = None,
    outlet: str | None = None,
    recorded_places: Collection[str] = (),
) -> list[Candidate]:
    """Every attributed statement in `text` as a candidate claim, in the order of the text."""
    directory = directory or SourceDirectory()
    published, zone = publication_day(published_at)
    outlet_source = directory.lookup(outlet) if outlet else None
    outlet_ref = Ref(outlet_source.name, outlet_source.id) if outlet_source else (Ref(outlet) if outlet else None)
    run = _Run(text, directory, published, zone, outlet_ref, recorded_places)
    for index, sentence in enumerate(split_sentences(text)):
        run.resolver.introduce(sentence.text)
        if not sentence.heading:
            _process(run, index, sentence)
        run.resolver.notice(sentence.text)
    unique: dict[tuple[int, int], Candidate] = {}
    for candidate in run.candidates:
        unique.setdefault(candidate.span, candidate)
    return sorted(unique.values(), key=lambda candidate: candidate.span)
