"""Step 1: split an article into sentences that keep their character offsets into the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# Longer "sentences" (lists, pasted tables, junk) are cut at clause breaks before the cues step reads them.
MAX_SENTENCE = 1200
OPENING_QUOTES = '"“'
CLOSING_QUOTES = '"”'
_TERMINATORS = ".!?"
# Trailing characters that still belong to the sentence a terminator ends: closing quotes and brackets.
_TRAILERS = "\"”’')]"

# Abbreviations whose period does not end a sentence (lower case, without the period).
ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "gen",
    "lt",
    "col",
    "maj",
    "capt",
    "sgt",
    "adm",
    "brig",
    "gov",
    "sen",
    "rep",
    "st",
    "jr",
    "sr",
    "no",
    "vs",
    "etc",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "a.m",
    "p.m",
    "approx",
    "est",
}

# A wire dateline that opens a report: "KYIV, March 9 -- ", "May 14 (UPI) -- ", "KYIV, May 14 (Reuters) - ",
# "MOSCOW, Nov. 3, 2023 (AP) — ", "KYIV, Ukraine (AP) — ". Never part of a sentence, so never of a source's name.
_DATELINE = re.compile(
    r"^(?:"
    r"(?:[A-Z][A-Z .'-]+,\s+)?"  # optional place in capitals: "KYIV, "
    r"[A-Z][a-z]{2,8}\.?\s+\d{1,2}"  # month and day: "March 9", "Nov. 3"
    r"(?:,\s+\d{4})?"  # optional year
    r"(?:\s*\([^)]{1,40}\))?"  # optional outlet: "(UPI)", "(Reuters)"
    r"|[A-Z][A-Z.'-]+(?:\s+[A-Z][A-Z.'-]+)*"  # or a place in capitals ...
    r"(?:,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)?"  # ... its country: "KYIV, Ukraine"
    r"\s*\([^)]{1,40}\)"  # ... and the outlet, which tells it from a sentence: "(AP)"
    r")"
    r"\s+(?:--|—|–|-)\s+"  # the dash that ends the dateline: two hyphens, a dash, or Reuters' single hyphen
)
# A roundup's label before a colon: "Kharkiv region: Governor X wrote ...".
_LEAD_LABEL = re.compile(r"^([A-Z][\w'’.-]*(?:\s+[\w'’.-]+){0,3}):\s+(?=[A-Z\"“])")
# A bullet that opens a line: "• ", "- ", "* ".
_BULLET = re.compile(r"^(?:[•*·▪–-])\s+")
# A live blog's time stamp that opens a line: "09:10 -- ", "14:05 GMT: ".
_TIMESTAMP = re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*[A-Z]{2,4})?\s*(?:--|—|–|-|:)\s+")


@dataclass(frozen=True)
class Sentence:
    """One sentence: its offsets in the article, its line, and whether its line reads as a heading."""

    start: int
    end: int
    text: str
    line: int
    heading: bool = False
    label: str | None = None


def _is_heading(line: str) -> bool:
    """A line with no closing punctuation and few words is a headline, caption label or section title."""
    stripped = line.rstrip()
    return not stripped.endswith(tuple(_TERMINATORS + '"”')) and len(stripped.split()) <= 20


def quote_regions(text: str) -> list[tuple[int, int]]:
    """Pairs of (opening, closing) quote offsets in one line; empty when straight quotes are unbalanced."""
    regions: list[tuple[int, int]] = []
    if text.count('"') % 2:
        return [(m.start(), m.end() - 1) for m in re.finditer(r"“[^”]*”", text)]
    opening: int | None = None
    for index, character in enumerate(text):
        if character == "“" or (character == '"' and opening is None):
            opening = index
        elif character in CLOSING_QUOTES and opening is not None:
            regions.append((opening, index))
            opening = None
    return regions


def _inside(index: int, regions: list[tuple[int, int]]) -> bool:
    """Whether `index` falls inside one of the quotation regions."""
    return any(start < index < end for start, end in regions)


def _ends_sentence(line: str, index: int, regions: list[tuple[int, int]]) -> int | None:
    """If the terminator at `index` ends a sentence, the offset just past it (and its trailers)."""
    after = index + 1
    while after < len(line) and line[after] in _TRAILERS:
        after += 1
    if after < len(line) and not line[after].isspace():
        return None
    rest = line[after:].lstrip()
    if rest and not (rest[0].isupper() or rest[0].isdigit() or rest[0] in OPENING_QUOTES):
        return None
    if line[index] == ".":
        word = re.search(r"([\w.]+)$", line[max(0, index - 20) : index])
        if word:
            token = word.group(1).lower()
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                return None
    # A terminator inside a quotation ends the sentence only where the quotation closes with it.
    if _inside(index, regions) and not any(end == after - 1 for _start, end in regions):
        return None
    return after


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of the text in order; lines always break sentences, quotations never do."""
    sentences: list[Sentence] = []
    offset = 0
    for line_number, raw_line in enumerate(text.split("\n")):
        line_start = offset
        offset += len(raw_line) + 1
        line = raw_line.rstrip("\r")
        if not line.strip():
            continue
        heading = _is_heading(line)
        position = len(line) - len(line.lstrip())
        label = None
        for pattern in (_BULLET, _TIMESTAMP, _DATELINE):
            found = pattern.match(line[position:])
            if found:
                position += found.end()
        lead = _LEAD_LABEL.match(line[position:])
        if lead and not heading:
            label = lead.group(1)
            position += lead.end()
        regions = quote_regions(line)
        start = position
        index = position
        while index < len(line):
            if line[index] in _TERMINATORS:
                end = _ends_sentence(line, index, regions)
                if end is not None:
                    sentences.append(_sentence(line, line_start, start, end, line_number, heading, label))
                    start = end
                    while start < len(line) and line[start].isspace():
                        start += 1
                    index = start
                    continue
            index += 1
        if line[start:].strip():
            sentences.append(_sentence(line, line_start, start, len(line), line_number, heading, label))
    return [piece for sentence in sentences for piece in _bounded(sentence)]


def _bounded(sentence: Sentence) -> list[Sentence]:
    """A sentence cut at clause breaks into pieces of at most MAX_SENTENCE characters.

    No news sentence is that long; the cap keeps the later steps linear in the text on any input.
    """
    pieces: list[Sentence] = []
    text, start = sentence.text, 0
    while len(text) - start > MAX_SENTENCE:
        window = text[start : start + MAX_SENTENCE]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        cut = cut + 1 if cut > MAX_SENTENCE // 2 else (window.rfind(" ") if window.rfind(" ") > 0 else MAX_SENTENCE)
        pieces.append(
            replace(sentence, start=sentence.start + start, end=sentence.start + start + cut, text=window[:cut])
        )
        start += cut
        while start < len(text) and text[start].isspace():
            start += 1
    if not pieces:
        return [sentence]
    pieces.append(replace(sentence, start=sentence.start + start, text=text[start:]))
    return pieces


def _sentence(
    line: str, line_start: int, start: int, end: int, number: int, heading: bool, label: str | None
) -> Sentence:
    """A `Sentence` for line[start:end], without trailing spaces, at its offset in the text."""
    while end > start and line[end - 1].isspace():
        end -= 1
    return Sentence(line_start + start, line_start + end, line[start:end], number, heading, label)
