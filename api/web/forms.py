"""From a submitted form to the API's own input models, and from the API's errors back to the form's fields.

The pages validate with the same Pydantic schemas (`ClaimIn`, `StatusChangeIn`, `EvidenceIn`, `LinkIn`) and the
same services as `/v1`, so a form shows exactly the message the API would answer, beside the field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api.errors import DomainError, InvalidInput
from api.schemas.common import ascii_integer
from api.web.session import PageForm

# Names of API fields as the forms call them (the form picks a source by name, the API wants its id).
FORM_FIELD_NAMES = {
    "source_id": "source",
    "speaker_id": "speaker",
    "provided_by_source_id": "provided_by",
    "title": "document_title",
    "url": "url",
}
_HAS_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


@dataclass
class FormErrors:
    """Messages by form field, and those about the form as a whole."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    status: int = 422

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, []).append(message)
        else:
            self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add_validation(self, error: ValidationError, names: Mapping[str, str] | None = None) -> None:
        """Pydantic's messages (as `/v1` answers them in `errors[].msg`), each under its form field."""
        for item in error.errors():
            location = [str(part) for part in item.get("loc", ())]
            self.add(_form_name(location[0], names) if location else None, str(item.get("msg", "")))

    def add_domain(self, error: DomainError, names: Mapping[str, str] | None = None) -> None:
        """A service's refusal: beside the parameter it names, else above the form; it decides the status."""
        self.status = error.status
        located = error.extra.get("errors") if isinstance(error, InvalidInput) else None
        if located:
            for item in located:
                self.add(_form_name(str(item["loc"][0]).split(".")[0], names), str(item["msg"]))
        else:
            self.add(None, error.detail)


def _form_name(api_name: str, names: Mapping[str, str] | None) -> str:
    return (names or FORM_FIELD_NAMES).get(api_name, FORM_FIELD_NAMES.get(api_name, api_name))


def split_list(text: str | None) -> list[str]:
    """Places, tags: separated by commas or new lines."""
    if not text:
        return []
    return [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]


def split_lines(text: str | None) -> list[str]:
    """Names that may themselves hold commas ("Office of the President, Ukraine"): one a line."""
    if not text:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def utc_time(value: str | None) -> str | None:
    """A `datetime-local` or date input, which carries no offset, read as UTC (the form says so)."""
    if value is None:
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value + "T00:00:00+00:00"
    if "T" in value and not _HAS_OFFSET.search(value):
        return value + "+00:00"
    return value


def version_of(form: PageForm) -> int | None:
    """The version the form was rendered at (its If-Match); None when missing or not a number."""
    value = form.get("version")
    return ascii_integer(value) if value is not None else None


def present(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without its absent fields, so that a missing required one reads "Field required", as in `/v1`."""
    return {name: value for name, value in payload.items() if value is not None}


def values_of(form: PageForm, names: list[str]) -> dict[str, Any]:
    """What was typed, to put back into the form when it is shown again with its errors."""
    return {name: form.text(name) for name in names}
