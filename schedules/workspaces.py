"""One tick for every workspace csip serves: each with its own plan, channels and token.

A single-workspace install serves one plan with the bot token and the environment's channels
(:class:`OneWorkspace`). An install serving several finds the workspaces by their plans and
each one's token in its Slack installation (``bot.installs.InstalledWorkspaces``). Either way a
workspace is ticked on its own: its deliveries are claimed by plan, its messages posted with its
token, and a failure in one (a revoked token, say) is logged and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Protocol

from slack_sdk import WebClient

from plan.clock import Clock
from plan.ports import PlanStore, StoreFactory
from schedules.config import Schedule, channels_for
from schedules.tick import TickReport, run_due

log = logging.getLogger(__name__)


class Workspaces(Protocol):
    def teams(self, store: PlanStore) -> list[str]:
        """The team ids whose plans are served, in a stable order."""
        ...

    def client(self, team: str) -> WebClient | None:
        """A client with the workspace's bot token; None if csip is not installed there."""
        ...


@dataclass(frozen=True)
class OneWorkspace:
    """A single-workspace install: one plan, the one bot token."""

    team: str
    slack: WebClient

    def teams(self, store: PlanStore) -> list[str]:
        return [self.team]

    def client(self, team: str) -> WebClient | None:
        return self.slack if team == self.team else None


@dataclass
class EveryTick:
    """What each workspace's tick did, and which could not be ticked."""

    reports: dict[str, TickReport] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # ticks that raised
    not_installed: list[str] = field(default_factory=list)  # a plan, but no installation

    @property
    def sends_failed(self) -> bool:
        return bool(self.failed) or any(r.outcomes.get("failed") for r in self.reports.values())

    def __str__(self) -> str:
        if len(self.reports) == 1 and not self.failed and not self.not_installed:
            return str(next(iter(self.reports.values())))
        parts = [f"{team}: {report}" for team, report in self.reports.items()]
        parts += [f"{team}: failed, see the log" for team in self.failed]
        parts += [f"{team}: not installed, nothing sent" for team in self.not_installed]
        return "; ".join(parts) or "no plan yet: nothing planned or sent"


def run_due_everywhere(
    open_store: StoreFactory,
    workspaces: Workspaces,
    schedule: Schedule,
    now: dt.datetime,
    clock: Clock | None = None,
) -> EveryTick:
    """``run_due`` for each workspace served, with its own channels (``schedule``'s where it
    set none) and its own token."""
    with open_store() as store:
        teams = workspaces.teams(store)
        settings = {team: store.workspace_settings(team) for team in teams}
    ticks, last_error = EveryTick(), None
    for team in teams:
        own = replace(schedule, team_id=team, channels=channels_for(settings[team], schedule.channels))
        try:
            client = workspaces.client(team)
            if client is None:  # said in the tick's own log line, and by `csip doctor`
                ticks.not_installed.append(team)
                continue
            ticks.reports[team] = run_due(open_store, client, own, now, clock)
        except Exception as error:  # the next tick tries again; the other workspaces go on
            log.exception("the tick for workspace %s failed", team)
            ticks.failed.append(team)
            last_error = error
    if last_error is not None and not ticks.reports:  # nothing ticked: the tick failed (/readyz)
        raise last_error
    return ticks
