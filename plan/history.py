"""Fold the append-only history into an action's state at an instant.

The history is the truth; current values are derived, never stored. The same fold serves
"now" and "as at" a past date, so a committee figure and a Slack reply cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from plan.model import ActionRecord, ActionState, Event, EventKind, Rag


def event_order(event: Event) -> tuple[dt.datetime, dt.datetime, int]:
    """Events apply in the order they took effect; ties by when they were recorded."""
    return (event.effective_at, event.recorded_at, event.id or 0)


@dataclass
class _Fold:
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


def fold_action(
    record: ActionRecord, events: Iterable[Event], as_at: dt.datetime | None = None
) -> ActionState | None:
    """The action as it stood at ``as_at`` (UTC; None means everything recorded).

    Returns None when the action did not exist yet at that instant.
    """
    state = _Fold()
    seen = False
    for event in sorted(events, key=event_order):
        if as_at is not None and event.effective_at > as_at:
            break
        state.apply(event)
        seen = True
    if not seen:
        return None
    return ActionState(
        record=record,
        owner_id=state.owner_id,
        due_date=state.due_date,
        original_due_date=state.original_due_date,
        rag=state.rag,
        rag_note=state.rag_note,
        rag_since=state.rag_since,
        rag_confirmed_at=state.rag_confirmed_at,
        last_update_at=state.last_update_at,
        last_note=state.last_note,
        completed_at=state.rag_since if state.rag is Rag.COMPLETE else None,
        times_rescheduled=state.times_rescheduled,
    )
