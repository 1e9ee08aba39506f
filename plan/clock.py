"""Time the way the council keeps it: stored in UTC, meant and shown in Europe/London."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def london_date(instant: dt.datetime) -> dt.date:
    """The calendar day in London at a UTC instant (a late-evening update in BST counts then)."""
    return instant.astimezone(LONDON).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 London time on ``day``, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0, 0), LONDON).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in London, as UTC: "as at 31 August" includes all of it."""
    return start_of_day(day + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def in_words(delta: dt.timedelta) -> str:
    """A duration as people say it, to its two largest units: "2 days 7 hours", "40 seconds"."""
    seconds = int(abs(delta).total_seconds())
    units = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"
