"""Step 5b: when the event a statement reports happened, from the statement's own date words.

`dates.py` reads when a statement was *made* from its attribution ("…, the ministry said Friday"); this reads
the event's window from the statement ("Russian forces shelled Kharkiv on Thursday", "…overnight", "…last
week", "…in April"), resolved against the publication day, with the precision the words carry. A statement
naming no date gets no window: nothing is guessed from the publication date alone.

| the words | the window | precision |
|---|---|---|
| `on Friday`, `last Friday`, `Friday night` | that day, the last one on or before publication | day |
| `since Tuesday` | from that day up to publication | day |
| `on May 13`, `13 May 2023` | that day (the last May 13 on or before publication when no year) | day |
| `yesterday`, `today`, `this morning`, `three days ago` | that day | day |
| `overnight`, `last night` | the evening before publication to its morning: both days | day |
| `at 05:40`, `at 5 a.m.` with a day (or alone: the publication day) | that minute, that hour | minute, hour |
| `last week`, `this week` | the calendar week before (Monday–Sunday); this one up to publication | week |
| `in April`, `April 2023`, `last month`, `earlier this month` | that month (this one up to publication) | month |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from api.services.extraction.dates import _MONTH, _WEEKDAY, _month, _on_or_before
from api.services.extraction.lexicon import WEEKDAYS

_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a couple of": 2}
_COUNT = r"(?P<days_ago>\d{1,2}|two|three|four|five|six|seven|a couple of)"

# The first expression found decides the day, week or month; a time of day found anywhere refines a day. Month
# and weekday names count only capitalised, and a month alone only after "in"/"during" or before a year, so
# that "troops may advance" or "a march" is no date.
_EVENT_DATE = re.compile(
    rf"\b(?i:(?:late|early)\s+)?(?:(?P<last_weekday>(?i:last))\s+|(?i:on|this\s+past)\s+)?(?P<weekday>{_WEEKDAY})"
    r"(?:\s+(?i:morning|afternoon|evening|night))?\b"
    rf"|\b(?P<month_first>{_MONTH})\s+(?P<day_after>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year_a>\d{{4}})\b)?"
    rf"|\b(?P<day_first>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month_after>{_MONTH})(?:\s+(?P<year_b>\d{{4}})\b)?"
    r"|\b(?P<overnight>(?i:overnight|last\s+night|during\s+the\s+night))\b"
    r"|\b(?P<relative>(?i:(?:earlier\s+)?today|yesterday|tonight|this\s+(?:morning|afternoon|evening)))\b"
    rf"|\b(?i:{_COUNT}\s+days\s+ago)\b"
    r"|\b(?P<week>(?i:last|this|past|previous))\s+(?i:week)\b"
    r"|\b(?P<month_word>(?i:last|this|earlier\s+this|previous))\s+(?i:month)\b"
    rf"|\b(?i:in|during)\s+(?:(?i:early|mid|late)[-\s]+)?(?P<month_only>{_MONTH})(?:\s+(?P<year_c>\d{{4}}))?\b"
    rf"|\b(?P<month_year>{_MONTH})\s+(?P<year_d>\d{{4}})\b"
    r"|\b(?i:at)\s+(?i:around\s+|about\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?:\s*(?P<meridiem>[ap])\.?m\.?)?(?=\W|$)",
)
_RELATIVE_DAYS = {"today": 0, "earlier today": 0, "tonight": 0, "yesterday": -1}


@dataclass(frozen=True)
class EventWindow:
    """When the reported event happened: [start, end], both included, and how precisely that is known."""

    start: datetime
    end: datetime
    precision: str


def _month_after(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _period(first: date, after_last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The whole days from `first` up to the day before `after_last`, as an inclusive window."""
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(after_last, time.min, tzinfo=zone) - timedelta(microseconds=1)
    return start, end


def _clock(match: re.Match[str]) -> tuple[int, int | None] | None:
    """`at 05:40` → (5, 40); `at 5 a.m.` → (5, None): the hour only; a bare `at 5` is no time."""
    hour = int(match["hour"])
    meridiem = (match["meridiem"] or "").lower()
    if match["minute"] is None and not meridiem:
        return None
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    minute = int(match["minute"]) if match["minute"] is not None else None
    if hour > 23 or (minute is not None and minute > 59):
        return None
    return hour, minute


def _day_of(match: re.Match[str], published: date) -> date | None:
    """The day a day expression names, on or before publication."""
    if match["weekday"] is not None:
        weekday = WEEKDAYS.index(match["weekday"].lower())
        back = (published.weekday() - weekday) % 7
        if match["last_weekday"] is not None and back == 0:
            back = 7
        return published - timedelta(days=back)
    if match["relative"] is not None:
        words = " ".join(match["relative"].lower().split())
        return published + timedelta(days=_RELATIVE_DAYS.get(words, 0))
    if match["days_ago"] is not None:
        count = match["days_ago"].lower()
        number = int(count) if count.isdigit() else _NUMBER_WORDS[" ".join(count.split())]
        return published - timedelta(days=number)
    month = _month(match["month_first"] or match["month_after"])
    number = int(match["day_after"] or match["day_first"])
    year_text = match["year_a"] or match["year_b"]
    if year_text is None:
        return _on_or_before(published, month, number)
    try:
        return date(int(year_text), month, number)
    except ValueError:
        return None


def resolve_event_window(text: str, published: date | None, zone: tzinfo | None = None) -> EventWindow | None:
    """The event window the statement's words give, resolved against the publication day; None if they give none
    (or give only a weekday, a time or a relative day with no publication date to count from)."""
    zone = zone or UTC
    clock: tuple[int, int | None] | None = None
    found: re.Match[str] | None = None
    for match in _EVENT_DATE.finditer(text):
        if match["hour"] is not None:
            clock = clock or _clock(match)
        elif found is None:
            found = match
    if found is None:
        if clock is None or published is None:
            return None
        return _timed(published, clock, zone)
    absolute_year = found["year_a"] or found["year_b"] or found["year_c"] or found["year_d"]
    if published is None and absolute_year is None:
        return None
    if found["overnight"] is not None:
        assert published is not None
        start, end = _period(published - timedelta(days=1), published + timedelta(days=1), zone)
        return EventWindow(start, end, "day")
    if found["week"] is not None:
        assert published is not None
        monday = published - timedelta(days=published.weekday())
        if found["week"].lower() == "this":
            start, end = _period(monday, published + timedelta(days=1), zone)
        else:
            start, end = _period(monday - timedelta(days=7), monday, zone)
        return EventWindow(start, end, "week")
    if found["month_word"] is not None:
        assert published is not None
        first = published.replace(day=1)
        if found["month_word"].lower() in ("last", "previous"):
            before = first - timedelta(days=1)
            start, end = _period(before.replace(day=1), first, zone)
        else:
            start, end = _period(first, published + timedelta(days=1), zone)
        return EventWindow(start, end, "month")
    if found["month_only"] is not None or found["month_year"] is not None:
        month = _month(found["month_only"] or found["month_year"])
        if found["year_c"] or found["year_d"]:
            year = int(found["year_c"] or found["year_d"])
        else:
            assert published is not None
            year = published.year if month <= published.month else published.year - 1
        start, end = _period(date(year, month, 1), _month_after(year, month), zone)
        return EventWindow(start, end, "month")
    assert published is not None or absolute_year is not None
    day = _day_of(found, published) if published is not None else _day_of(found, date(int(absolute_year), 12, 31))
    if day is None:
        return None
    if clock is not None:
        return _timed(day, clock, zone)
    if published is not None and text[: found.start()].rstrip().lower().endswith("since") and day <= published:
        # "without power since Tuesday": from that day up to publication.
        start, end = _period(day, published + timedelta(days=1), zone)
        return EventWindow(start, end, "day")
    start, end = _period(day, day + timedelta(days=1), zone)
    return EventWindow(start, end, "day")


def _timed(day: date, clock: tuple[int, int | None], zone: tzinfo) -> EventWindow:
    """The minute (`05:40`) or hour (`5 a.m.`) of `day`."""
    hour, minute = clock
    start = datetime.combine(day, time(hour, minute or 0), tzinfo=zone)
    if minute is None:
        return EventWindow(start, start + timedelta(hours=1, microseconds=-1), "hour")
    return EventWindow(start, start + timedelta(minutes=1, microseconds=-1), "minute")
