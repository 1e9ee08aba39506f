"""What the plan's services need from storage, stated without saying how it is stored.

``storage.unit_of_work.SqlPlanStore`` is the real one. A store is a unit of work: changes
made through it land together on ``commit`` or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

from plan.history import PlanHistory
from plan.importing import ActionSpec, PrioritySpec
from plan.model import Event, Person, PlanView


class PlanStore(Protocol):
    def plan_id(self, team_id: str) -> int:
        """The plan of a Slack workspace, created empty the first time it is asked for."""
        ...

    def find_plan_id(self, team_id: str) -> int | None:
        """The plan of a Slack workspace, if it has one."""
        ...

    def load(self, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        """The whole plan folded from its history up to ``as_at`` (UTC), in a fixed few queries."""
        ...

    def history(self, plan_id: int, until: dt.datetime | None = None) -> PlanHistory:
        """Every record and event up to ``until``, for views at many instants (reports, trends)."""
        ...

    def ensure_people(self, plan_id: int, keys: Iterable[str]) -> dict[str, int]:
        """Person ids for e-mails or Slack user ids, adding the people not yet known."""
        ...

    def save_priorities(
        self, plan_id: int, specs: Sequence[PrioritySpec], person_ids: dict[str, int]
    ) -> None: ...

    def save_actions(
        self, plan_id: int, specs: Sequence[ActionSpec], person_ids: dict[str, int]
    ) -> dict[str, int]:
        """Insert or update actions' fixed facts by ref; returns every ref's action id."""
        ...

    def add_events(self, plan_id: int, events: Sequence[Event]) -> None: ...

    def person_by_slack_id(self, plan_id: int, user_id: str) -> Person | None: ...

    def person_by_email(self, plan_id: int, email: str) -> Person | None: ...

    def save_person(self, plan_id: int, name: str, email: str | None, slack_user_id: str | None) -> Person:
        """Add a person, or fill in the Slack id and name of the one with that e-mail."""
        ...

    def add_snooze(
        self, plan_id: int, action_id: int, person_id: int | None, until: dt.date, now: dt.datetime
    ) -> None:
        """No reminders about the action until ``until``."""
        ...

    def commit(self) -> None: ...
