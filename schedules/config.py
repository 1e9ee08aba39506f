"""What the scheduler needs to know, handed down from the settings by the `csip` command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from plan.reminders import ReminderRules


@dataclass(frozen=True)
class Channels:
    """Slack channel ids (C…) scheduled posts go to; an empty one switches its post off."""

    digest: tuple[str, ...] = ()  # the weekly digest
    governance: str | None = None  # the monthly exemption report
    management: str | None = None  # actions long overdue are escalated here
    red_alert: str | None = None  # a line each time an action goes Red


@dataclass(frozen=True)
class Schedule:
    """When and where scheduled messages go, and by which rules."""

    team_id: str
    channels: Channels = Channels()
    rules: ReminderRules = field(default_factory=ReminderRules)
    send_time: dt.time = dt.time(9, 0)  # Europe/London, on working days
    digest_weekday: int = 0  # Monday
    catch_up: dt.timedelta = dt.timedelta(hours=48)  # a send later than this after its time is skipped
