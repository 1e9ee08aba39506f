"""What the plan's services, the Slack app and the scheduler need from storage, stated without
saying how it is stored: plans, actions, people, snoozes and deliveries.

``storage.store.SqlPlanStore`` is the real one; ``tests/memory_store.py`` keeps everything in
memory for fast tests, and the contract tests hold the two to the same answers. A store is a
unit of work: plan changes made through it land together on ``commit`` or not at all (a store
closed without a commit leaves nothing behind); deliveries commit on each call. Reads are sized
to their question: one action, one person's actions or a count never read the whole plan, and
no read folds the history (the SQL store keeps each action's states beside its events, in the
same transaction). No read creates anything: only an import creates a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from plan.deliveries import Deliveries
from plan.figures import PlanCounts, Tally
from plan.history import PlanHistory
from plan.importing import ActionSpec, PrioritySpec
from plan.model import Event, Person, PlanView, Priority, Rag, Shortlist
from plan.reminders import Attention, OwnerShortlist
from plan.workspaces import WorkspaceSettings


@dataclass(frozen=True)
class Which:
    """Which actions a view of the plan as it stands holds: those matching every given filter."""

    refs: frozenset[str] | None = None
    person_id: int | None = None  # owned by, or delegated to, this person
    priority: int | None = None
    overdue_on: dt.date | None = None  # past due on this day and not complete
    open_only: bool = False  # not complete
    rag: Rag | None = None
    not_rag: Rag | None = None  # any RAG but this one (unrated included)
    due_on: frozenset[dt.date] | None = None  # due on one of these days
    due_between: tuple[dt.date, dt.date] | None = None  # due on or after the first, on or before the second


class PlanStore(Protocol):
    # --- plans --------------------------------------------------------------------------

    def find_plan_id(self, team_id: str) -> int | None:
        """The plan of a Slack workspace, if it has one; never creates one."""
        ...

    def find_or_create_plan(self, team_id: str) -> int:
        """The plan of a Slack workspace, created empty (and committed) if it has none: for the
        import, the one use case that may start a plan."""
        ...

    def plan_teams(self) -> list[str]:
        """The workspace (team id) of every plan: the scheduler serves each that is installed."""
        ...

    # --- a workspace's own settings -----------------------------------------------------

    def workspace_settings(self, team_id: str) -> WorkspaceSettings:
        """What the workspace's administrators have set (all unset if nothing yet)."""
        ...

    def change_workspace_settings(
        self, team_id: str, change: Callable[[WorkspaceSettings], WorkspaceSettings], now: dt.datetime
    ) -> WorkspaceSettings:
        """Apply ``change`` to the workspace's settings as they stand and keep the result (which
        it returns); lands on ``commit``. Changes made at once by two stores both land: the
        second waits for the first's commit and applies to what it kept."""
        ...

    # --- actions, as they stand or stood ------------------------------------------------

    def load(self, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        """The whole plan as it stood at ``as_at`` (UTC; None: as it stands), one row per action."""
        ...

    def select(self, plan_id: int, which: Which) -> PlanView:
        """The actions ``which`` picks, as they stand, with the priorities and the people they name."""
        ...

    def shortlist(self, plan_id: int, which: Which, limit: int) -> Shortlist:
        """The first ``limit`` actions ``which`` picks, worst first (``plan.rules.severity_key``),
        and how many it picks in all."""
        ...

    def needing_attention(
        self, plan_id: int, attention: Attention, shown: int, listed: int
    ) -> list[OwnerShortlist]:
        """Each owner's actions that ``attention`` picks and that are not snoozed, as
        ``plan.reminders.shortlists`` says: the first ``shown`` in full, the next ``listed`` by ref."""
        ...

    def history_starts(self, plan_id: int) -> dt.datetime | None:
        """When the plan's history begins: its earliest event's effective instant (None: empty)."""
        ...

    def earliest_confirmation(self, plan_id: int) -> dt.date | None:
        """The London day of the oldest last-confirmed RAG, or any earlier day (no later one)."""
        ...

    def tally(
        self, plan_id: int, on: dt.date, priority: int | None = None, as_at: dt.datetime | None = None
    ) -> Tally:
        """Actions counted by RAG and by when they are due, seen from ``on``, as they stood at
        ``as_at`` (None: as they stand)."""
        ...

    def counts(self, plan_id: int, on: dt.date, as_at: dt.datetime | None = None) -> PlanCounts:
        """What a report's figures need, counted, as the plan stood at ``as_at``."""
        ...

    def priorities(self, plan_id: int) -> dict[int, Priority]: ...

    def refs(self, plan_id: int) -> list[str]:
        """Every action's ref: only to suggest the nearest when one is mistyped."""
        ...

    def rag_moves(self, plan_id: int, rag: Rag, since: dt.datetime) -> tuple[PlanView, frozenset[str]]:
        """The actions that have ``rag`` now and did not at ``since``, or the other way round,
        as they stand; and the refs of those that had it then."""
        ...

    def history(self, plan_id: int, until: dt.datetime | None = None) -> PlanHistory:
        """Every record and event up to ``until``: the audit trail, and the truth states answer to."""
        ...

    # --- writing the plan ---------------------------------------------------------------

    def save_priorities(
        self, plan_id: int, specs: Sequence[PrioritySpec], person_ids: dict[str, int]
    ) -> None: ...

    def save_actions(
        self, plan_id: int, specs: Sequence[ActionSpec], person_ids: dict[str, int]
    ) -> dict[str, int]:
        """Insert or update actions' fixed facts by ref; returns every ref's action id."""
        ...

    def add_events(self, plan_id: int, events: Sequence[Event]) -> None:
        """Append to the history and bring the actions' states up to date, in one transaction."""
        ...

    # --- people -------------------------------------------------------------------------

    def people(self, plan_id: int, ids: Iterable[int]) -> dict[int, Person]: ...

    def person_by_slack_id(self, plan_id: int, user_id: str) -> Person | None: ...

    def person_by_email(self, plan_id: int, email: str) -> Person | None:
        """Looked up in lower case, as the plan keeps e-mails."""
        ...

    def owners_not_in_slack(self, plan_id: int) -> list[Person]:
        """Owners of open actions with no Slack user id yet."""
        ...

    def ensure_people(self, plan_id: int, keys: Iterable[str]) -> dict[str, int]:
        """Person ids for e-mails or Slack user ids, adding the people not yet known (named
        from their e-mail, ``plan.model.name_from_key``, until Slack says otherwise)."""
        ...

    def save_person(self, plan_id: int, name: str, email: str | None, slack_user_id: str | None) -> Person:
        """Add a person, or fill in the Slack id and name of the one with that e-mail (else that
        Slack id)."""
        ...

    # --- snoozes ------------------------------------------------------------------------

    def add_snooze(
        self, plan_id: int, action_id: int, person_id: int | None, until: dt.date, now: dt.datetime
    ) -> None:
        """No reminders about the action until ``until`` (the reminders resume that day)."""
        ...

    def snoozed(self, plan_id: int, day: dt.date) -> set[int]:
        """Actions whose reminders are snoozed on ``day``."""
        ...

    # --- deliveries and the unit of work ------------------------------------------------

    @property
    def deliveries(self) -> Deliveries:
        """The scheduled sends (``plan.deliveries``); each writing call there commits at once."""
        ...

    def commit(self) -> None:
        """Make the changes made through this store land, together."""
        ...


StoreFactory = Callable[[], AbstractContextManager[PlanStore]]
"""``with open_store() as store:``: a store for one unit of work; whatever it did not commit is
rolled back on the way out."""


class SeenRequests(Protocol):
    """Signed requests already accepted, remembered for a while: a signature seen again is a
    replay. Each call stands alone (it commits, or keeps nothing)."""

    def first_time(self, signature: str, now: dt.datetime, window: dt.timedelta) -> bool:
        """Remember ``signature`` as seen at ``now`` (UTC): True if it was not already
        remembered, False if it was. Signatures seen more than ``window`` before ``now`` may be
        forgotten."""
        ...
