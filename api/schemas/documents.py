"""Document shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import InputModel, Ref, Sha256, ShortText, Url, UtcDatetime


class DocumentIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Ukraine says Russia likely decided to withdraw fully from around Kharkiv",
                    "url": "https://upi.example/2022/05/14/kharkiv",
                    "published_at": "2022-05-14T12:00:00Z",
                }
            ]
        }
    )

    outlet_id: uuid.UUID | None = Field(default=None, description="The source (usually media) that published it.")
    title: ShortText
    url: Url | None = None
    published_at: UtcDatetime | None = None
    retrieved_at: UtcDatetime | None = None
    content_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the text as retrieved.")


class DocumentOut(BaseModel):
    id: uuid.UUID
    outlet: Ref | None
    title: str
    url: str | None
    published_at: datetime | None
    retrieved_at: datetime | None
    content_sha256: str | None
    created_by: Ref | None
    created_at: datetime
