"""Working days and send times: weekdays that are not England and Wales bank holidays.

Messages go at a local time (09:00 Europe/London) on working days; a send that would fall on a
weekend or bank holiday goes on the working day before. Across the clock changes it stays 09:00
local, because the instant is built from the London date and time, not by adding hours.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import cache

import holidays

from plan.clock import LONDON

ONE_DAY = dt.timedelta(days=1)


_LOADING = threading.Lock()


@cache
def _ranks_in_year(year: int) -> tuple[int, ...]:
    """For each day of ``year``, the working days from 1 January up to and including it. Kept
    for the process: every calendar and every tick shares them. One thread at a time fills
    them in: ``holidays`` loads a year on first use, and not safely across threads."""
    with _LOADING:
        # England's list; Wales has the same bank holidays.
        bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=year)
        ranks, count, day = [], 0, dt.date(year, 1, 1)
        while day.year == year:
            count += day.weekday() < 5 and day not in bank_holidays
            ranks.append(count)
            day += ONE_DAY
        return tuple(ranks)


def is_working_day(day: dt.date) -> bool:
    """A weekday that is not an England and Wales bank holiday."""
    ranks, index = _ranks_in_year(day.year), day.timetuple().tm_yday - 1
    return ranks[index] > (ranks[index - 1] if index else 0)


@cache
def _years_before(year: int) -> int:
    """Working days from the start of 2000 to the start of ``year`` (negative before 2000)."""
    if year <= 2000:
        return -sum(_ranks_in_year(y)[-1] for y in range(year, 2000))
    return _years_before(year - 1) + _ranks_in_year(year - 1)[-1]


@cache  # a plan's due dates repeat: thousands of actions, hundreds of dates
def _rank(day: dt.date) -> int:
    """Working days from the start of ``day``'s year up to and including it, plus all the
    working days of earlier years since 2000: a count that differences turn into spans."""
    return _years_before(day.year) + _ranks_in_year(day.year)[day.timetuple().tm_yday - 1]


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when end is earlier."""
    return _rank(end) - _rank(start)


class WorkingCalendar:
    def __init__(self, send_time: dt.time = dt.time(9, 0)) -> None:
        self.send_time = send_time

    def is_working_day(self, day: dt.date) -> bool:
        return is_working_day(day)

    def on_or_before(self, day: dt.date) -> dt.date:
        """The working day itself, or the last one before it."""
        while not self.is_working_day(day):
            day -= ONE_DAY
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; negative when end is earlier."""
        return working_days_between(start, end)

    def first_working_day(self, year: int, month: int) -> dt.date:
        day = dt.date(year, month, 1)
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def send_at(self, day: dt.date) -> dt.datetime:
        """The UTC instant of the send time on ``day`` in London."""
        return dt.datetime.combine(day, self.send_time, LONDON).astimezone(dt.UTC)

    def latest_daily_slot(self, now: dt.datetime) -> dt.date:
        """The most recent working day whose send time has passed at ``now``."""
        day = self.on_or_before(now.astimezone(LONDON).date())
        if self.send_at(day) > now:
            day = self.on_or_before(day - ONE_DAY)
        return day

    def latest_weekly_slot(self, now: dt.datetime, weekday: int) -> dt.date:
        """The most recent weekly send (on ``weekday``, 0 = Monday, moved back off holidays)."""
        today = now.astimezone(LONDON).date()
        nominal = today - dt.timedelta(days=(today.weekday() - weekday) % 7)
        # A send moved back can fall before its nominal day, so look one week ahead too.
        for candidate in (nominal + dt.timedelta(days=7), nominal, nominal - dt.timedelta(days=7)):
            slot = self.on_or_before(candidate)
            if self.send_at(slot) <= now:
                return slot
        return self.on_or_before(nominal - dt.timedelta(days=14))

    def latest_monthly_slot(self, now: dt.datetime) -> dt.date:
        """The most recent first-working-day-of-the-month send."""
        today = now.astimezone(LONDON).date()
        slot = self.first_working_day(today.year, today.month)
        if self.send_at(slot) > now:
            previous = today.replace(day=1) - ONE_DAY
            slot = self.first_working_day(previous.year, previous.month)
        return slot
