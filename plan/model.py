"""The plan's plain objects: what an action, a person and a history entry are.

Nothing here knows about Slack or the database. Storage turns rows into these objects and
back; the bot and the command line read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Rag(StrEnum):
    """An action's RAG status. COMPLETE is the council's "Blue": finished."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    COMPLETE = "complete"

    @property
    def needs_reason(self) -> bool:
        """Red and Amber must say why (README, "Using it": "Red and Amber need a reason")."""
        return self in (Rag.RED, Rag.AMBER)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EventKind(StrEnum):
    """What one history entry records."""

    CREATED = "created"
    RAG = "rag"
    DUE = "due"
    OWNER = "owner"
    CONFIRM = "confirm"  # the owner says the RAG still stands


class Source(StrEnum):
    """Where a change came from, kept for the audit trail."""

    SLACK = "slack"
    IMPORT = "import"
    CLI = "cli"


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str | None
    slack_user_id: str | None

    @property
    def key(self) -> str:
        """How a spreadsheet names this person: the e-mail, else the Slack user id."""
        return self.email or self.slack_user_id or self.name


def name_from_key(key: str) -> str:
    """A readable name for someone known by e-mail, until Slack tells us the real one:
    jo.bloggs@x -> Jo Bloggs."""
    local = key.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part) or key


@dataclass(frozen=True)
class Priority:
    number: int
    title: str
    lead_id: int | None


@dataclass(frozen=True)
class Event:
    """One append-only history entry. Only the fields its kind sets are filled in.

    ``effective_at`` is when the change took effect (a backfilled import sets it in the past);
    ``recorded_at`` is when csip wrote it down. Both are UTC.
    """

    action_id: int
    kind: EventKind
    effective_at: dt.datetime
    recorded_at: dt.datetime
    source: Source
    rag: Rag | None = None
    due_date: dt.date | None = None
    owner_id: int | None = None
    note: str | None = None
    actor_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class ActionRecord:
    """An action's fixed facts; everything that changes over time lives in its events."""

    id: int
    ref: str
    description: str
    priority: int
    recommendations: tuple[str, ...] = ()
    delegate_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ActionState:
    """An action as it stands at some instant, folded from its history."""

    record: ActionRecord
    owner_id: int | None
    due_date: dt.date | None
    original_due_date: dt.date | None
    rag: Rag | None
    rag_note: str | None
    rag_since: dt.datetime | None
    rag_confirmed_at: dt.datetime | None
    last_update_at: dt.datetime | None
    last_note: str | None
    completed_at: dt.datetime | None
    times_rescheduled: int

    @property
    def ref(self) -> str:
        return self.record.ref

    @property
    def priority(self) -> int:
        return self.record.priority


@dataclass(frozen=True)
class PlanView:
    """The whole plan at one instant: what every read command and report works from."""

    plan_id: int
    priorities: dict[int, Priority]
    people: dict[int, Person]
    actions: dict[str, ActionState] = field(default_factory=dict)

    def person(self, person_id: int | None) -> Person | None:
        return None if person_id is None else self.people.get(person_id)


@dataclass(frozen=True)
class Shortlist:
    """The first actions of a list too long to show whole, worst first, with the people and
    priorities they name; and how many the list has in all (a message says "and N more")."""

    view: PlanView
    total: int

    @property
    def actions(self) -> list[ActionState]:
        return list(self.view.actions.values())

    @property
    def more(self) -> int:
        return self.total - len(self.view.actions)
