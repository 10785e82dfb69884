"""Step 2: attribution cues — where a sentence says who said what, and which words are the statement.

A *frame* is one attribution in one sentence: a subject ("Ukrainian General Staff spokesman Oleksandr
Shtupun"), a speech cue ("said", "according to", "adding"), the adjuncts around the cue ("in an update
Saturday", "told broadcaster Suspilne") and one or more statement spans. The statement stands either
before the attribution (`"...," the analysts said`) or after it (`Zelensky said Israel ...`).
All offsets here are relative to the sentence.

One module, over 400 lines: the cue patterns and the span rules that read them are one step of the pipeline,
tuned together against tests/data/extraction; its word lists are in lexicon.py.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from api.services.extraction.dates import DATE_EXPRESSION
from api.services.extraction.lexicon import (
    ACCUSING,
    ADJUNCT_OPENERS,
    CLAUSE_WORDS,
    COORDINATED_ACTIONS,
    COORDINATED_SPEECH,
    DESCRIPTORS,
    NATIONALITIES,
    NEGATING,
    NOT_SUBJECT_WORDS,
    OUTLET_WORDS,
    PARTICIPLES,
    PARTY_NOUNS,
    PASSIVE_MARKERS,
    PRONOUNS,
    REPORTED_NOUNS,
    ROLE_MODIFIERS,
    ROLES,
    SPEECH_VERBS,
    SUBJECT_ADVERBS,
    SUBJECT_WORDS,
    TITLES,
)
from api.services.extraction.sentences import CLOSING_QUOTES, quote_regions

# More speech verbs than this in one sentence is not prose; the rest are not read (keeps any input fast).
MAX_CUES = 16
_CUE_WORDS = sorted([*SPEECH_VERBS, *PARTICIPLES], key=len, reverse=True)
# A speech cue: a lexicon verb or participle as a whole word, or "according to".
CUE = re.compile(r"\b(?:(?P<according>[Aa]ccording to)|(?P<verb>" + "|".join(_CUE_WORDS) + r"))\b")

_CHANNEL_NOUNS = (
    r"statement|update|post|video|video address|address|interview|briefing|conference|report|assessment|message|"
    r"tweet|note|communiqu[eé]|release|speech|broadcast|channel|appearance|remarks|comments|summary|sitrep|"
    r"page|account|Telegram|Twitter|Facebook|X|Instagram|YouTube|television|TV|radio|social media|meeting"
)
# A prepositional phrase naming the medium: "in an update", "on Telegram", "at a news conference",
# "in an interview with the BBC"; up to four modifiers (never "that") sit between the article and the noun,
# matched greedily so that "in a Telegram post" is taken whole.
CHANNEL_PHRASE = re.compile(
    r"(?:in|on|at|during|via|through)\s+(?:(?:a|an|the|its|his|her|their)\s+)?"
    r"(?:(?!that\b)[\w'’.-]+\s+){0,4}(?:" + _CHANNEL_NOUNS + r")\b"
    r"(?:\s+(?:with|to)\s+(?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)?"
)
# Short adverbs and audiences that may sit between a verb and its statement.
_FILLER = re.compile(r"(?:also|again|separately|previously|now|later|then|earlier|too|to (?:reporters|journalists))\b")
# A place after the verb: "told reporters in Moscow", "said in Kyiv".
_LOCATION = re.compile(r"in\s+[A-Z][\w'’-]+\b(?!\s+[A-Z])")
# An outlet that carried the statement: "in a statement carried by the state news agency RIA Novosti".
_RELAYED_BY = re.compile(r"\b(?:carried|published|quoted|cited|reported|broadcast)\s+by\s+([^,.;]+)")
# What follows a verb before its statement begins: "that", "only that", or a colon.
_COMPLEMENTIZER = re.compile(r"(?:only\s+)?that\b|:")

_ARTICLES = {"the", "a", "an", "another"}
# Nouns that end the audience after "told": "told reporters", "told a daily briefing", "told local news sites".
_AUDIENCES = {
    "reporters",
    "journalists",
    "parliament",
    "lawmakers",
    "media",
    "press",
    "audience",
    "viewers",
    "briefing",
    "conference",
    "meeting",
    "session",
    "sites",
    "site",
    "outlets",
    "channels",
    "newspapers",
    "agencies",
    "interviewer",
}


@dataclass(frozen=True)
class Boundary:
    """A place a subject cannot reach across: a comma, a colon, a dash, a conjunction, the sentence start."""

    start: int
    end: int
    kind: str


@dataclass
class Frame:
    """One attribution found in a sentence (offsets relative to the sentence)."""

    lemma: str
    cue_start: int
    cue_end: int
    subject: str
    subject_start: int
    subject_end: int
    placement: str  # "before": subject precedes the statement; "after": it follows; "same": reuse the last frame
    appositive: str | None = None
    statements: list[tuple[int, int, str]] = field(default_factory=list)
    attribution: list[tuple[int, int]] = field(default_factory=list)
    told: str | None = None
    cited: str | None = None
    nested_in: int | None = None

    def attribution_text(self, sentence: str) -> str:
        """The words of the attribution (subject, cue, adjuncts), for the channel and date steps."""
        return " ".join(sentence[start:end].strip() for start, end in sorted(self.attribution))


def _words(text: str) -> list[str]:
    """Words without surrounding punctuation."""
    return [word.strip('"“”‘’,.;:()[]') for word in text.split()]


def clean_subject(text: str) -> str:
    """The subject without bracketed asides, time words and adverbs ("Ukrainian forces on Saturday also")."""
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", text)
    text = DATE_EXPRESSION.sub(" ", text)
    words = [word for word in text.split() if word.lower().strip(",") not in SUBJECT_ADVERBS]
    while words and words[0].lower() in {"and", "but", "so"}:
        words = words[1:]
    return " ".join(words).strip(' ,;:"“”')


def is_subject(text: str) -> bool:
    """Whether `text` reads as the party of an attribution: a name, a role, a party noun or a pronoun."""
    words = _words(text)
    words = [word for word in words if word]
    if not words or len(words) > 12:
        return False
    if len(words) == 1 and words[0].lower() in PRONOUNS:
        return True
    anchored = False
    for position, word in enumerate(words):
        lower = word.lower()
        base = re.sub(r"['’]s$", "", lower)
        if lower in NOT_SUBJECT_WORDS or lower in PRONOUNS:
            return False
        if base in ROLES or base in PARTY_NOUNS or base.rstrip("s") in ROLES or base in OUTLET_WORDS:
            anchored = True
            continue
        if word[0].isupper() or word[0].isdigit():
            if lower not in _ARTICLES:
                anchored = anchored or position > 0 or lower not in SUBJECT_WORDS
            continue
        if "-" in word or lower in SUBJECT_WORDS or base in SUBJECT_WORDS or lower in DESCRIPTORS:
            continue
        if lower in ROLE_MODIFIERS or lower in OUTLET_WORDS or lower in TITLES:
            continue
        return False
    return anchored


def _quoted_mask(text: str, regions: list[tuple[int, int]]) -> list[bool]:
    """For each offset, whether it lies in a quotation, marks included (one pass, not one per offset)."""
    mask = [False] * (len(text) + 1)
    for start, end in regions:
        mask[start : end + 1] = [True] * (end + 1 - start)
    return mask


def boundaries(text: str, regions: list[tuple[int, int]]) -> list[Boundary]:
    """Clause boundaries outside quotations, in order, starting with the sentence start."""
    found = [Boundary(0, 0, "start")]
    quoted = _quoted_mask(text, regions)

    def outside(index: int) -> bool:
        """Whether `index` is outside every quotation (the quotation marks count as inside)."""
        return not quoted[index]

    for index, character in enumerate(text):
        if character == "," and not (
            0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()
        ):
            if outside(index):
                found.append(Boundary(index, index + 1, "comma"))
            elif index + 1 < len(text) and text[index + 1] in CLOSING_QUOTES:
                # `area," the analysts said`: the comma sits inside the closing quotation.
                found.append(Boundary(index, index + 2, "comma"))
        elif character in ":;" and outside(index):
            found.append(Boundary(index, index + 1, "colon"))
        elif character in "—–" and outside(index):
            found.append(Boundary(index, index + 1, "dash"))
    for match in re.finditer(r"--|\b(?:" + "|".join(CLAUSE_WORDS) + r")\b", text):
        if outside(match.start()):
            found.append(Boundary(match.start(), match.end(), "dash" if match.group(0) == "--" else "conjunction"))
    return sorted(found, key=lambda boundary: boundary.start)


def _boundary_before(bounds: list[Boundary], position: int) -> int:
    """Index of the last boundary that ends at or before `position`."""
    chosen = 0
    for index, boundary in enumerate(bounds):
        if boundary.end <= position:
            chosen = index
    return chosen


def _skip_space(text: str, position: int) -> int:
    """The first offset at or after `position` that is not a space."""
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _told_object(text: str, position: int) -> tuple[int, str] | None:
    """The audience after "told": "reporters", "Ukrainian state broadcaster Suspilne", "the station"."""
    words = list(re.finditer(r"[^\s,.;:]+", text[position:]))
    taken: list[re.Match[str]] = []
    seen_name = False
    for word in words:
        value = word.group(0)
        lower = value.lower()
        if lower == "that" or value[0] in '"“':
            break
        if value[0].isupper():
            taken.append(word)
            seen_name = seen_name or lower not in NATIONALITIES
            continue
        if seen_name:
            break
        if lower in _ARTICLES or lower in SUBJECT_WORDS or lower in OUTLET_WORDS or lower in DESCRIPTORS:
            taken.append(word)
            continue
        if lower in {"daily", "regular", "weekly", "evening", "morning", "televised", "online"}:
            taken.append(word)
            continue
        if lower in _AUDIENCES:
            taken.append(word)
            break
        break
    if not taken:
        return None
    end = position + taken[-1].end()
    return end, text[position + taken[0].start() : end]


def _consume_adjuncts(text: str, position: int, frame: Frame) -> int:
    """Skip time words, channel phrases, places and fillers after the cue; record them as attribution."""
    while True:
        start = _skip_space(text, position)
        for pattern in (CHANNEL_PHRASE, DATE_EXPRESSION, _FILLER, _LOCATION):
            match = pattern.match(text, start)
            if match and match.end() > start:
                frame.attribution.append((start, match.end()))
                position = match.end()
                break
        else:
            return position


def _statement_start(text: str, position: int) -> int:
    """Skip a complementizer ("that", ":") after the cue and its adjuncts."""
    start = _skip_space(text, position)
    match = _COMPLEMENTIZER.match(text, start)
    if match:
        return _skip_space(text, match.end())
    return start


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without surrounding spaces and dangling clause punctuation."""
    while start < end and (text[start].isspace() or text[start] in ",;:—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:—–-"):
        end -= 1
    return start, end


def _word_count(text: str) -> int:
    """How many words `text` has."""
    return len(re.findall(r"[\w'’]+", text))


def _is_adjunct(text: str) -> bool:
    """A leading phrase such as "Asked about X" or "In a statement" that is not itself a statement."""
    words = text.split()
    return not words or words[0].lower().strip(",") in ADJUNCT_OPENERS


def _appositive_ok(text: str) -> bool:
    """A comma-enclosed description after a subject: "a pro-Ukrainian force ...", "deputy head of ..."."""
    words = _words(text)
    if not words or len(words) > 25:
        return False
    first = words[0].lower()
    if first in {"the", "a", "an", "citing", "quoting"} or first.endswith(("'s", "’s")):
        return True
    if first.endswith("ing") and first not in PARTICIPLES:
        return True  # "speaking on condition of anonymity", "writing on Telegram"
    if first in ROLES or first in ROLE_MODIFIERS or first in TITLES:
        return True
    return all(word[:1].isupper() for word in words) and 1 <= len(words) <= 4


def _subject_at(text: str, bounds: list[Boundary], cue_start: int) -> tuple[str, int, int, str | None, Boundary] | None:
    """The subject before a cue: (subject, start, end, appositive, boundary before it), if there is one."""
    index = _boundary_before(bounds, cue_start)
    boundary = bounds[index]
    raw = text[boundary.end : cue_start]
    subject = clean_subject(raw)
    if subject and is_subject(subject):
        start = boundary.end + (len(raw) - len(raw.lstrip()))
        return subject, start, cue_start, None, boundary
    window = max(0, cue_start - 20)
    before = re.search(r"\b(\w+)\s*$", text[window:cue_start])
    if before and before.group(1).lower() in PRONOUNS and not raw.strip().lower().startswith(("that", "which")):
        start, end = window + before.start(1), window + before.end(1)
        return before.group(1), start, end, None, Boundary(start, start, "word")
    if raw.strip() or boundary.kind != "comma" or index < 1:
        return None
    # "NP, appositive, said": the subject stands before a comma-enclosed description.
    # The comma that opens the appositive; conjunctions inside it ("because he was ...") do not end it.
    commas = [position for position in range(index - 1, -1, -1) if bounds[position].kind in {"comma", "start"}]
    if not commas or bounds[commas[0]].kind != "comma":
        return None
    outer = bounds[commas[0]]
    appositive = text[outer.end : boundary.start].strip()
    if not clean_subject(appositive):
        appositive = ""  # "Pro-Kremlin bloggers, however, reported": an interjection, not a description
    head_index = _boundary_before(bounds, outer.start)
    head_boundary = bounds[head_index]
    head_raw = text[head_boundary.end : outer.start]
    head = clean_subject(head_raw)
    if (not appositive or _appositive_ok(appositive)) and head and is_subject(head):
        start = head_boundary.end + (len(head_raw) - len(head_raw.lstrip()))
        return head, start, cue_start, appositive or None, head_boundary
    return None


def _inverted_subject(text: str, position: int) -> tuple[str, int, int] | None:
    """The subject after the verb in `"...," said the ministry.`"""
    start = _skip_space(text, position)
    match = re.match(r"[^,.;:]+", text[start:])
    if not match:
        return None
    subject = clean_subject(match.group(0))
    if subject and is_subject(subject) and subject.lower() not in PRONOUNS:
        return subject, start, start + len(match.group(0).rstrip())
    return None


def _verb_frame(text: str, cue: re.Match[str], bounds: list[Boundary], zone_start: int) -> Frame | None:
    """A frame around a speech verb, with the statement before or after the attribution."""
    verb = cue.group("verb")
    lemma = SPEECH_VERBS[verb]
    previous = re.search(r"([\w'’-]+)\W*$", text[max(0, cue.start() - 40) : cue.start()])
    if previous and previous.group(1).lower() in PASSIVE_MARKERS | _ARTICLES:
        return None
    found = _subject_at(text, bounds, cue.start())
    inverted = None
    if found is None:
        index = _boundary_before(bounds, cue.start())
        if bounds[index].kind == "comma" and not text[bounds[index].end : cue.start()].strip():
            inverted = _inverted_subject(text, cue.end())
        if inverted is None:
            return None
        subject, subject_start, subject_end = inverted
        appositive, boundary = None, bounds[index]
    else:
        subject, subject_start, subject_end, appositive, boundary = found
    frame = Frame(lemma, cue.start(), cue.end(), subject, subject_start, subject_end, "before", appositive)
    frame.attribution.append((subject_start, cue.end()))
    position = subject_end if inverted else cue.end()
    if inverted:
        frame.attribution.append((subject_start, subject_end))
    if lemma == "tell":
        told = _told_object(text, _skip_space(text, position))
        if told is None:
            return None
        end, frame.told = told
        frame.attribution.append((cue.end(), end))
        position = end
    elif lemma == "quote":
        # "TASS quoted the ministry as saying (that) ...": the outlet relays, the quoted party is the origin.
        quoted = re.match(r"\s+(.+?)\s+as\s+saying\b", text[position:])
        if quoted is None:
            return None
        frame.cited = quoted.group(1)
        frame.attribution.append((position, position + quoted.end()))
        position += quoted.end()
    position = _consume_adjuncts(text, position, frame)
    rest = text[position:]
    rest_words = _word_count(rest.split(",")[0]) if rest.lstrip().startswith(",") else _word_count(rest)
    leading = text[zone_start : boundary.start]
    after_placement = boundary.kind in {"comma", "dash"} and leading.strip() and not _is_adjunct(leading)
    # After "X happened, the ministry said", whatever follows the verb still belongs to the attribution
    # ("... said in a statement carried by RIA Novosti"), unless a "that" opens a second statement.
    trailing = after_placement and _word_count(leading) >= 3 and not _COMPLEMENTIZER.match(rest.lstrip())
    if inverted or (after_placement and (rest_words == 0 or rest.lstrip().startswith(","))) or trailing:
        frame.placement = "after"
        # `area," the analysts said`: the statement keeps its closing quotation mark.
        closing = boundary.end if text[boundary.end - 1 : boundary.end] in CLOSING_QUOTES else boundary.start
        start, end = _trim(text, zone_start, closing)
        tail = rest.lstrip()
        parenthetical = re.match(r",\s*((?:is|are|was|were|has|have|had|will|would|remains|remained)\b.*)", tail)
        if parenthetical:
            end = len(text)
        if _word_count(text[start:end]) >= 2:
            frame.statements.append((start, end, lemma))
        offset = position + (len(rest) - len(tail))
        cited = re.match(r",\s*citing\s+([^,]+)", tail)
        if cited:
            frame.cited = cited.group(1).strip(" .")
            frame.attribution.append((offset, offset + cited.end()))
        elif _word_count(tail) and not tail.startswith(","):
            frame.attribution.append((offset, len(text)))
            relay = _RELAYED_BY.search(tail)
            if relay:
                frame.told = relay.group(1)
        return frame if frame.statements else None
    statement_start = _statement_start(text, position)
    if _word_count(text[statement_start:]) < 2:
        return None
    if lemma in NEGATING:
        opener = text[position:statement_start].strip()
        first = _words(text[statement_start:])[0].lower() if opener != "that" else "that"
        if opener != "that" and first not in REPORTED_NOUNS and not first.endswith("ing"):
            return None
    if boundary.kind == "comma" and leading.strip():
        lead_start, lead_end = _trim(text, zone_start, boundary.start)
        frame.attribution.append((lead_start, lead_end))
    frame.statements.append((statement_start, len(text), lemma))
    return frame


def _according_frame(text: str, cue: re.Match[str], bounds: list[Boundary], zone_start: int) -> Frame | None:
    """ "According to X, ..." and "..., according to X"."""
    after = re.match(r"\s*([^,.;:]+)", text[cue.end() :])
    if after is None:
        return None
    subject = clean_subject(after.group(1))
    if not subject or not is_subject(subject):
        return None
    subject_start = cue.end() + after.start(1)
    subject_end = cue.end() + after.end(1)
    appositive = None
    # "According to the regional governor, Vadym Fil, two people ...": a name set off after the role.
    named = re.match(r",\s*((?:[A-Z][\w'’.-]+\s+){1,3}[A-Z][\w'’-]+)\s*,", text[subject_end:])
    if named:
        appositive = named.group(1)
        subject_end += named.end() - 1
    frame = Frame("say", cue.start(), cue.end(), subject, subject_start, subject_end, "before", appositive)
    frame.attribution.append((cue.start(), subject_end))
    leading = text[zone_start : cue.start()]
    if leading.strip() and not _is_adjunct(leading):
        frame.placement = "after"
        start, end = _trim(text, zone_start, cue.start())
        frame.statements.append((start, end, "say"))
        return frame
    if leading.strip():
        frame.attribution.append(_trim(text, zone_start, cue.start()))
    start = _statement_start(text, subject_end)
    if _word_count(text[start:]) < 2:
        return None
    frame.statements.append((start, len(text), "say"))
    return frame


def _participle_frame(text: str, cue: re.Match[str], frames: list[Frame]) -> Frame | None:
    """ "..., adding that ..." / "..., saying ...": a statement by the subject of the clause before."""
    if not text[: cue.start()].rstrip().endswith(","):
        return None
    lemma = PARTICIPLES[cue.group("verb")]
    statement_start = _statement_start(text, cue.end())
    if _word_count(text[statement_start:]) < 2:
        return None
    if frames:
        subject, start, end = frames[-1].subject, frames[-1].subject_start, frames[-1].subject_end
        placement = "same"
    else:
        # No attribution before: the subject is the name that opens the sentence ("Lutsenko dismissed ...").
        opening = re.match(r"\s*((?:[\w'’.-]+\s+){0,5}?[\w'’.-]+)\s+[a-z]", text)
        if opening is None or not is_subject(clean_subject(opening.group(1))):
            return None
        subject, start, end = clean_subject(opening.group(1)), opening.start(1), opening.end(1)
        placement = "before"
    frame = Frame(lemma, cue.start(), cue.end(), subject, start, end, placement)
    if placement == "same":
        frame.appositive = frames[-1].appositive
    frame.attribution.append((cue.start(), statement_start))
    frame.statements.append((statement_start, len(text), lemma))
    return frame


def _split_statement(
    text: str, start: int, end: int, lemma: str, regions: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """Split coordinated reports ("X and that Y", "X and said Y") into statements; cut trailing actions."""

    def outside(index: int) -> bool:
        return not any(region_start <= index <= region_end for region_start, region_end in regions)

    pieces: list[tuple[int, int, str]] = []
    current_start, current_lemma = start, lemma
    speech = "|".join(sorted(COORDINATED_SPEECH, key=len, reverse=True))
    actions = "|".join(sorted(COORDINATED_ACTIONS, key=len, reverse=True))
    # Where one reported statement ends: "and that", "but that", "and said ...", "and urged ...", ", though".
    splitter = re.compile(
        r",?\s+(?:and|but)\s+that\s+"
        r"|\s+and\s+(?P<speech>" + speech + r")\b"
        r"|\s+and\s+(?P<action>" + actions + r")\b"
        r"|,\s+(?:though|although|citing)\s+"
    )
    cut = False
    for match in splitter.finditer(text, start, end):
        if not outside(match.start()) or match.start() < current_start:
            continue
        piece = _trim(text, current_start, match.start())
        if _word_count(text[piece[0] : piece[1]]) >= 2:
            pieces.append((piece[0], piece[1], current_lemma))
        if match.group("action") or match.group(0).lstrip(", ").startswith(("though", "although", "citing")):
            cut = True
            break
        if match.group("speech"):
            verb = match.group("speech")
            if verb == "called" and '"' not in text[match.end() : end] and "“" not in text[match.end() : end]:
                cut = True
                break
            current_lemma = SPEECH_VERBS.get(verb, "call")
            current_start = _statement_start(text, match.end())
        else:
            current_start = match.end()
    if not cut:
        piece = _trim(text, current_start, end)
        if _word_count(text[piece[0] : piece[1]]) >= 2:
            pieces.append((piece[0], piece[1], current_lemma))
    return pieces


def find_frames(text: str) -> list[Frame]:
    """Every attribution in one sentence, with its statement spans, in order of the cue."""
    regions = quote_regions(text)
    bounds = boundaries(text, regions)
    frames: list[Frame] = []
    consumed = 0
    zone_start = 0
    for cue in itertools.islice(CUE.finditer(text), MAX_CUES):
        if cue.start() < consumed or any(start < cue.start() < end for start, end in regions):
            continue
        frame: Frame | None
        if cue.group("according"):
            frame = _according_frame(text, cue, bounds, zone_start)
        elif cue.group("verb") in PARTICIPLES:
            frame = _participle_frame(text, cue, frames)
        elif cue.group("verb") == "called":
            frame = None
        else:
            frame = _verb_frame(text, cue, bounds, zone_start)
        if frame is None:
            continue
        frames.append(frame)
        consumed = max(end for _start, end in frame.attribution)
        if frame.placement == "after":
            zone_start = consumed
    _settle(text, frames, regions)
    return [frame for frame in frames if frame.statements]


def _settle(text: str, frames: list[Frame], regions: list[tuple[int, int]]) -> None:
    """End each statement where the next attribution begins; mark nested reports; split coordinations."""
    for index, frame in enumerate(frames):
        if frame.placement == "after" or not frame.statements:
            continue
        start, end, lemma = frame.statements[-1]
        for later in frames[index + 1 :]:
            if start <= later.subject_start < end:
                if later.subject_start == start and later.placement == "before":
                    # "ISW said that the General Staff said ...": the later frame is the origin, this one relays it.
                    later.nested_in = index
                    frame.statements = []
                    break
                end = later.cue_start if later.placement == "same" else later.subject_start
                # "... on October 11, and the administration reported ...": the joining word goes with neither.
                joint = re.search(
                    r"(?:[,;]?\s*\b(?:and|but|as|while|after|when|though|although)\b)?[\s,;]*$", text[start:end]
                )
                if joint:
                    end = start + joint.start()
                break
        if frame.statements:
            frame.statements = [*frame.statements[:-1], *_split_statement(text, start, end, lemma, regions)]


def is_full_quotation(text: str) -> bool:
    """A sentence that is one quotation and nothing else: a continuation of the last speaker's words."""
    stripped = text.strip()
    regions = quote_regions(stripped)
    if len(regions) != 1 or regions[0][0] != 0:
        return False
    return not stripped[regions[0][1] + 1 :].strip(" .,!?")


def negated_prefix(lemma: str) -> str | None:
    """The verb a statement keeps when the source denies or accuses rather than asserts."""
    return NEGATING.get(lemma) or ACCUSING.get(lemma) or ("Calls" if lemma == "call" else None)
