"""Time bounds as the filters and pages take them: a date or an ISO 8601 time, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from api.errors import InvalidInput


def parse_time_bound(value: str | None, parameter: str, *, end_of_day: bool = False) -> datetime | None:
    """A date or an ISO 8601 time; a bare date covers its whole day (UTC); naive times are UTC."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
        # An offset can carry a time at the edge of year 1 or 9999 outside what UTC can represent.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{parameter}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time.", parameter=parameter
        ) from None
