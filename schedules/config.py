"""What the scheduler needs to know, handed down from the settings by the `csip` command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from plan.reminders import ReminderRules
from plan.workspaces import WorkspaceSettings


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


def channels_for(settings: WorkspaceSettings, fallback: Channels) -> Channels:
    """The workspace's own channels; any it has not set, ``fallback``'s (the environment's, in
    a single-workspace install; none in an install serving several). Red alerts follow the
    workspace's own management channel when it set that and no alert channel."""
    management = settings.management_channel or fallback.management
    own_red = settings.red_alert_channel or settings.management_channel
    return Channels(
        digest=settings.digest_channels or fallback.digest,
        governance=settings.governance_channel or fallback.governance,
        management=management,
        red_alert=own_red or fallback.red_alert,
    )
