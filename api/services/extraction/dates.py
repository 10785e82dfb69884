"""Step 5: when a statement was made, from the attribution's date words resolved against publication."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from api.services.extraction.lexicon import MONTHS, WEEKDAYS

_WEEKDAY = "(?:" + "|".join(day.capitalize() for day in WEEKDAYS) + ")"
_MONTH = "(?:" + "|".join(month.capitalize() for month in MONTHS) + r"|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.?"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"

# Every date or time expression an attribution may carry; named groups say which kind matched.
DATE_EXPRESSION = re.compile(
    rf"\b(?:(?:late|early|earlier|later)\s+)?(?:(?:on|last|this)\s+)?(?P<weekday>{_WEEKDAY}){_PART_OF_DAY}\b"
    rf"|\b(?:on\s+)?(?P<month_first>{_MONTH})\s+(?P<day_after>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year_a>\d{{4}}))?"
    rf"|\b(?:on\s+)?(?P<day_first>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month_after>{_MONTH})(?:\s+(?P<year_b>\d{{4}}))?"
    r"|\b(?P<relative>yesterday|today|tonight|last night|this morning|this afternoon|this evening)\b"
    rf"|\bin\s+(?P<month_only>{_MONTH})\b"
    r"|\bat\s+(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?:\s*(?P<meridiem>[ap])\.?m\.?)?(?=\W|$)",
)

_MONTH_NUMBER = {month[:3]: number for number, month in enumerate(MONTHS, start=1)}
_RELATIVE_DAYS = {
    "yesterday": -1,
    "last night": -1,
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
}


@dataclass(frozen=True)
class StatedAt:
    """When a statement was made, and to what precision that is known."""

    at: datetime
    precision: str


def _month(name: str) -> int:
    """The month number of a month's name or abbreviation."""
    return _MONTH_NUMBER[name.lower().rstrip(".")[:3]]


def _on_or_before(published: date, month: int, day: int) -> date | None:
    """`month`/`day` in the publication's year, or the year before when that would be after publication."""
    try:
        candidate = date(published.year, month, day)
    except ValueError:
        return None
    if candidate > published + timedelta(days=1):
        try:
            candidate = date(published.year - 1, month, day)
        except ValueError:
            return None
    return candidate


def find_date(text: str, published: date | None) -> tuple[date | None, int | None, str] | None:
    """The first day (or month) named in `text`, and an hour:minute if one is given; None if nothing is."""
    day: date | None = None
    precision = "day"
    minutes: int | None = None
    found = False
    for match in DATE_EXPRESSION.finditer(text):
        groups = match.groupdict()
        if groups["hour"] is not None:
            hour = int(groups["hour"])
            meridiem = groups["meridiem"]
            if meridiem == "p" and hour < 12:
                hour += 12
            elif meridiem == "a" and hour == 12:
                hour = 0
            if hour < 24 and minutes is None and (groups["minute"] is not None or meridiem is not None):
                minutes = hour * 60 + int(groups["minute"] or 0)
                found = True
            continue
        if day is not None or (published is None and groups["year_a"] is None and groups["year_b"] is None):
            continue
        found = True
        if groups["weekday"] is not None:
            assert published is not None
            weekday = WEEKDAYS.index(groups["weekday"].lower())
            back = (published.weekday() - weekday) % 7
            if match.group(0).lower().startswith("last") and back == 0:
                back = 7
            day = published - timedelta(days=back)
        elif groups["relative"] is not None:
            assert published is not None
            day = published + timedelta(days=_RELATIVE_DAYS[groups["relative"].lower()])
        elif groups["month_only"] is not None:
            assert published is not None
            month = _month(groups["month_only"])
            year = published.year if month <= published.month else published.year - 1
            day, precision = date(year, month, 1), "month"
        else:
            month = _month(groups["month_first"] or groups["month_after"])
            number = int(groups["day_after"] or groups["day_first"])
            year_text = groups["year_a"] or groups["year_b"]
            if year_text is not None:
                try:
                    day = date(int(year_text), month, number)
                except ValueError:
                    day = None
            elif published is not None:
                day = _on_or_before(published, month, number)
    if not found:
        return None
    return day, minutes, precision


def resolve_stated_at(text: str, published: date | None, zone: tzinfo | None = None) -> StatedAt | None:
    """The moment the attribution text names, resolved against the publication day; None if it names none."""
    found = find_date(text, published)
    if found is None:
        return None
    day, minutes, precision = found
    day = day or published
    if day is None:
        return None
    zone = zone or UTC
    if minutes is not None and precision == "day":
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
        return StatedAt(moment, "minute")
    return StatedAt(datetime.combine(day, time(0, 0), tzinfo=zone), precision)


def publication_day(published: date | datetime | None) -> tuple[date | None, tzinfo | None]:
    """The publication's calendar day and time zone (UTC when a bare date or a naive time is given)."""
    if published is None:
        return None, None
    if isinstance(published, datetime):
        return published.date(), published.tzinfo or UTC
    return published, UTC
