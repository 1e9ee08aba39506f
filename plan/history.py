"""Fold the append-only history into an action's state at an instant.

The history is the truth. Storage keeps each action's states beside it (``versions``: what the
action looked like from one instant to the next), written by this same fold in the transaction
that appends the events, so "now", a digest's "a week ago" and "as at 31 August 2017" are one
indexed read and can never disagree with a fold of the history itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from plan.model import ActionRecord, ActionState, Event, EventKind, Person, PlanView, Priority, Rag


def event_order(event: Event) -> tuple[dt.datetime, dt.datetime, int]:
    """Events apply in the order they took effect; ties by when they were recorded."""
    return (event.effective_at, event.recorded_at, event.id or 0)


@dataclass
class ActionFold:
    """An action's state as events are applied to it, one by one, in the order they apply."""

    owner_id: int | None = None
    due_date: dt.date | None = None
    original_due_date: dt.date | None = None
    rag: Rag | None = None
    rag_note: str | None = None
    rag_since: dt.datetime | None = None
    rag_confirmed_at: dt.datetime | None = None
    last_update_at: dt.datetime | None = None
    last_note: str | None = None
    times_rescheduled: int = 0

    def apply(self, event: Event) -> None:
        if event.owner_id is not None:
            self.owner_id = event.owner_id
        if event.due_date is not None:
            if self.original_due_date is None:
                self.original_due_date = event.due_date
            elif event.kind is EventKind.DUE and event.due_date != self.due_date:
                self.times_rescheduled += 1
            self.due_date = event.due_date
        if event.rag is not None:
            if event.rag != self.rag:
                self.rag_since = event.effective_at
            self.rag = event.rag
            self.rag_note = event.note
            self.rag_confirmed_at = event.effective_at
        self.last_update_at = event.effective_at
        if event.note:
            self.last_note = event.note


@dataclass(frozen=True)
class Version:
    """What an action looked like from ``valid_from`` until the next version's ``valid_from``.

    ``recorded_at`` and ``event_id`` say which event was folded in last: events apply in
    ``event_order``, so one that takes effect at the same instant but was recorded later (or,
    recorded at the same instant, written after it) still comes after it.
    """

    valid_from: dt.datetime
    recorded_at: dt.datetime
    event_id: int | None
    fold: ActionFold


def versions(events: Sequence[Event], start: ActionFold | None = None) -> list[Version]:
    """The versions that ``events`` (in the order they apply) make, one per instant.

    ``start`` is the fold before the first event (an action's current state when new events are
    appended). Events at the same instant merge into one version: a view as at that instant
    sees all of them.
    """
    fold = replace(start) if start else ActionFold()
    made: list[Version] = []
    for event in events:
        fold.apply(event)
        version = Version(event.effective_at, event.recorded_at, event.id, replace(fold))
        if made and made[-1].valid_from == event.effective_at:
            made[-1] = version
        else:
            made.append(version)
    return made


def fold_action(
    record: ActionRecord, events: Iterable[Event], as_at: dt.datetime | None = None
) -> ActionState | None:
    """The action as it stood at ``as_at`` (UTC; None means everything recorded).

    Returns None when the action did not exist yet at that instant.
    """
    state = ActionFold()
    seen = False
    for event in sorted(events, key=event_order):
        if as_at is not None and event.effective_at > as_at:
            break
        state.apply(event)
        seen = True
    return action_state(record, state) if seen else None


def action_state(record: ActionRecord, fold: ActionFold) -> ActionState:
    return ActionState(
        record=record,
        owner_id=fold.owner_id,
        due_date=fold.due_date,
        original_due_date=fold.original_due_date,
        rag=fold.rag,
        rag_note=fold.rag_note,
        rag_since=fold.rag_since,
        rag_confirmed_at=fold.rag_confirmed_at,
        last_update_at=fold.last_update_at,
        last_note=fold.last_note,
        completed_at=fold.rag_since if fold.rag is Rag.COMPLETE else None,
        times_rescheduled=fold.times_rescheduled,
    )


@dataclass(frozen=True)
class PlanHistory:
    """Everything recorded about a plan, read in one go: the audit trail, and the truth the kept
    states are checked against.

    ``events`` holds each action's events in the order they apply. People and priorities are
    as they are now; only actions' owners, dates and RAG have a history.
    """

    plan_id: int
    priorities: dict[int, Priority]
    people: dict[int, Person]
    records: tuple[ActionRecord, ...]
    events: dict[int, list[Event]]

    def at(self, instant: dt.datetime | None = None) -> PlanView:
        """The plan as it stood at ``instant`` (UTC); None: everything recorded."""
        actions = {}
        for record in self.records:
            state = fold_action(record, self.events.get(record.id, ()), instant)
            if state is not None:
                actions[record.ref] = state
        return PlanView(self.plan_id, self.priorities, self.people, actions)
