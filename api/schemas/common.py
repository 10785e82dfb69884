"""Shapes shared by every resource: references, pages, and the string types with their limits."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints

ItemT = TypeVar("ItemT")

# Line breaks and tabs belong in prose; every other control character (NUL above all) is refused.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
# Unicode's control characters (category Cc: U+0000-U+001F and U+007F-U+009F) but tab and line breaks, and
# the surrogate code points, which only a lone surrogate can bring into a Python string.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def text_problem(value: str) -> str | None:
    """What is wrong with a text's characters (a control character, a lone surrogate), or None.

    The one rule for every text claimdb reads: JSON bodies (through `clean_text`), and query parameters,
    headers and form fields (through `api.deps.check_request_text`).
    """
    found = _UNPRINTABLE.search(value)
    if found is None:
        return None
    character = found.group()
    if "\ud800" <= character <= "\udfff":
        return "must not contain lone surrogate code points"
    return f"must not contain control characters (found U+{ord(character):04X})"


def clean_text(value: str) -> str:
    """NFC-normalise, and refuse control characters and lone surrogates with a clear message."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    if not value.strip():
        raise ValueError("must not be blank")
    return unicodedata.normalize("NFC", value)


def ascii_integer(text: str, max_digits: int = 18) -> int | None:
    """A non-negative integer written in ASCII digits only, or None.

    `str.isdigit` also accepts "²" and "١", which `int` then refuses or reads; a count or a version is only
    ever written 0-9 here. At most `max_digits` digits, so the value always fits a 64-bit column.
    """
    if len(text) > max_digits or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    return int(text)


def clean_line(value: str) -> str:
    """Like `clean_text`, for one-line values (names, titles): no line breaks either, no outer spaces."""
    if any(character in value for character in _ALLOWED_CONTROLS):
        raise ValueError("must be a single line")
    return clean_text(value).strip()


def representable_in_utc(value: datetime) -> datetime:
    """Refuse an aware time whose offset puts it outside year 1–9999 in UTC, where it is stored and compared."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between years 1 and 9999 once converted to UTC") from None
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(representable_in_utc)]
Statement = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(clean_text)]
Quote = Annotated[str, StringConstraints(min_length=1, max_length=10000), AfterValidator(clean_text)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=10000), AfterValidator(clean_text)]
Rationale = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(clean_text)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(clean_line)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(clean_line)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(clean_line)]
Url = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, pattern=r"^https?://\S+$"),
    AfterValidator(clean_line),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", max_length=35)]


def distinct_case_insensitively(values: list[str], what: str) -> list[str]:
    if len({value.casefold() for value in values}) != len(values):
        raise ValueError(f"{what} must be distinct (case-insensitively)")
    return values


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Ref(BaseModel):
    id: uuid.UUID
    name: str


class DocumentRef(BaseModel):
    id: uuid.UUID
    title: str
    url: str | None


# A page of any list: as many items as asked, 1 to 500, 50 when not said (DESIGN §4).
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


class Problem(BaseModel):
    """An RFC 9457 problem: every error claimdb answers has this shape."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
