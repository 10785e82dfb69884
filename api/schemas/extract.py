"""Extraction shapes: the pasted text in, candidate claims out (each one ready to become a `ClaimIn`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import InputModel, Name, Url, clean_text
from api.schemas.places import ClaimPlaceOut
from models.vocabulary import Channel, EventPrecision, Precision

# Longer texts are refused (422): a long report is some 3,000 words, about 20,000 characters.
MAX_TEXT_LENGTH = 100_000


def _checked_text(value: str) -> str:
    """Refuse blank text and control characters, but keep the text as sent: spans index it exactly."""
    clean_text(value)
    return value


ArticleText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH), AfterValidator(_checked_text)]


class ExtractIn(InputModel):
    """A report's text to read for claims, and what resolves its relative dates."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "KYIV, May 14 (UPI) -- The Azov Regiment said in a Telegram post that the situation at "
                    'the Azovstal plant was "extremely critical".',
                    "published_at": "2022-05-14",
                    "outlet": "United Press International",
                }
            ]
        }
    )

    text: ArticleText = Field(description=f"The report's text, up to {MAX_TEXT_LENGTH:,} characters.")
    published_at: date | datetime | None = Field(
        default=None, description="When the report was published: resolves 'Saturday' and 'May 10'."
    )
    outlet: Name | None = Field(default=None, description="The outlet that published it; never listed in `via`.")
    url: Url | None = Field(default=None, description="Where the report was read (kept for the client; unused).")


class CandidateRef(BaseModel):
    """A party by name, with the id of the recorded source it matched (null when none did)."""

    name: str
    source_id: uuid.UUID | None


class CandidateSpeaker(BaseModel):
    """The person who voiced the statement, with their role as the report gives it."""

    name: str
    role: str | None
    source_id: uuid.UUID | None = Field(description="The recorded source for this person, if any.")


class CandidateOut(BaseModel):
    """A proposed claim; nothing is stored until it is sent to `POST /v1/claims`."""

    statement: str
    quote: str | None
    source: CandidateRef
    speaker: CandidateSpeaker | None
    via: list[CandidateRef]
    channel: Channel
    channel_detail: str | None
    stated_at: datetime | None
    stated_at_precision: Precision | None
    event_start: datetime | None = Field(
        description="When the reported event began, if the statement's words say ('on Friday', 'overnight', "
        "'last week', 'in April'), resolved against `published_at`; null when they give no date."
    )
    event_end: datetime | None = Field(description="When it ended at the latest (included), with `event_start`.")
    event_precision: EventPrecision | None = Field(description="How precisely the words date it.")
    places: list[str]
    resolved_places: list[ClaimPlaceOut] = Field(
        description="The same places as the gazetteer reads them (id, precision, or candidates when ambiguous)."
    )
    hedged: bool
    span: tuple[int, int] = Field(description="[start, end) of the statement in `text`, in code points.")


class ExtractOut(BaseModel):
    """The candidates in the order of the text."""

    candidates: list[CandidateOut]
