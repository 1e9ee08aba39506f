"""Keeping ``action_states`` in step with ``action_events``, in the same transaction.

Appending events to an action usually only moves it forward: its current state is folded on
from the current row (``plan.history.versions``), which is closed at the new event's instant.
An event that takes effect before the action's latest (a backfilled tracker) rewrites that
action's versions from its whole history. Either way only the actions touched are read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plan.clock import london_date
from plan.history import ActionFold, Version, event_order, versions
from plan.model import Event, EventKind, Rag, Source
from storage.tables import BY_DAY, BY_MONTH, UNDATED, UNRATED, ActionRow, CountRow, EventRow, StateRow

STATES = cast(Table, StateRow.__table__)
COUNTS = cast(Table, CountRow.__table__)
EVENTS = cast(Table, EventRow.__table__)
ACTIONS = cast(Table, ActionRow.__table__)
FOLD_COLUMNS = (
    "owner_id",
    "due_date",
    "original_due_date",
    "rag",
    "rag_note",
    "rag_since",
    "rag_confirmed_at",
    "last_update_at",
    "last_note",
    "times_rescheduled",
)
CHUNK = 1000  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def current_state() -> ColumnElement[bool]:
    """The condition that picks each action's current version."""
    return STATES.c.valid_until.is_(None)


def fold_of(row: Row[Any]) -> ActionFold:
    """The fold a stored version holds, to carry on folding from."""
    values = {name: getattr(row, name) for name in FOLD_COLUMNS}
    values["rag"] = Rag(row.rag) if row.rag else None
    return ActionFold(**values)


def _columns(fold: ActionFold) -> dict[str, Any]:
    values = {name: getattr(fold, name) for name in FOLD_COLUMNS}
    values["rag"] = fold.rag.value if fold.rag else None
    values["rag_confirmed_on"] = london_date(fold.rag_confirmed_at) if fold.rag_confirmed_at else None
    return values


def _values(recorded_at: dt.datetime, event_id: int | None, fold: ActionFold) -> dict[str, Any]:
    return {"recorded_at": recorded_at, "event_id": event_id, **_columns(fold)}


def _rows(plan_id: int, action_id: int, made: Sequence[Version]) -> list[dict[str, Any]]:
    """New state rows for ``made``, each valid until the next one starts; the last is current."""
    return [
        {
            "plan_id": plan_id,
            "action_id": action_id,
            "valid_from": version.valid_from,
            "valid_until": made[i + 1].valid_from if i + 1 < len(made) else None,
            **_values(version.recorded_at, version.event_id, version.fold),
        }
        for i, version in enumerate(made)
    ]


def advance(session: Session, plan_id: int, events: Iterable[Event]) -> None:
    """Bring the states of the actions ``events`` touch up to date (the events are already added,
    with their ids)."""
    by_action: dict[int, list[Event]] = defaultdict(list)
    for event in sorted(events, key=event_order):
        by_action[event.action_id].append(event)
    current = _lock_current(session, sorted(by_action))
    closed: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    rewrite: list[int] = []
    moved: Counter[tuple[str, dt.date]] = Counter()  # how the plan's totals change
    for action_id, new in sorted(by_action.items()):
        row = current.get(action_id)
        if row is not None and event_order(new[0]) < (row.valid_from, row.recorded_at, row.event_id or 0):
            # Backfilled before the latest, or a concurrent update to this action that was written
            # first but locked it second: fold its whole history again.
            rewrite.append(action_id)
            continue
        made = versions(new, fold_of(row) if row is not None else None)
        last = made[-1].fold
        moved[_count_key(last.rag.value if last.rag else None, last.due_date)] += 1
        if row is not None:
            moved[_count_key(row.rag, row.due_date)] -= 1
            update_row, made = _close(row, made)
            closed.append(update_row)
        opened += _rows(plan_id, action_id, made)
    if closed:
        session.execute(
            update(STATES)
            .where(STATES.c.id == bindparam("state_id"))
            .values({name: bindparam(name) for name in closed[0] if name != "state_id"}),
            closed,
        )
    if opened:
        session.execute(insert(STATES), opened)
    _add_to_counts(session, plan_id, moved)
    if rewrite:
        rebuild(session, plan_id, rewrite)


def _close(row: Row[Any], made: list[Version]) -> tuple[dict[str, Any], list[Version]]:
    """The current version's new values, and the versions still to insert after it.

    New events at the current version's own instant fold into it; the first one later ends it.
    """
    if made[0].valid_from == row.valid_from:
        first, made = made[0], made[1:]
        values = _values(first.recorded_at, first.event_id, first.fold)
    else:
        values = _values(row.recorded_at, row.event_id, fold_of(row))
    return {"state_id": row.id, **values, "valid_until": made[0].valid_from if made else None}, made


def _lock_current(session: Session, action_ids: Sequence[int]) -> dict[int, Row[Any]]:
    """The current versions of these actions, with the actions locked until commit.

    Locking the action rows (PostgreSQL's FOR NO KEY UPDATE; SQLite's writer already holds the
    database, since the events were inserted first) makes a concurrent update to the same
    action wait, then fold on from what this one wrote: no update is lost. NO KEY UPDATE, not
    UPDATE: inserting the events took a KEY SHARE lock on the same rows (their foreign key), and
    two updates each holding one and wanting FOR UPDATE would deadlock.
    """
    current: dict[int, Row[Any]] = {}
    for chunk in chunks(action_ids):
        session.execute(
            select(ACTIONS.c.id).where(ACTIONS.c.id.in_(chunk)).with_for_update(key_share=True)
        ).all()
        for row in session.execute(select(STATES).where(STATES.c.action_id.in_(chunk), current_state())):
            current[row.action_id] = row
    return current


def rebuild(session: Session, plan_id: int, action_ids: Sequence[int]) -> None:
    """Rewrite these actions' versions from their whole history."""
    for chunk in chunks(action_ids):
        history: dict[int, list[Event]] = defaultdict(list)
        query = (
            select(EVENTS)
            .where(EVENTS.c.action_id.in_(chunk))
            .order_by(EVENTS.c.action_id, EVENTS.c.effective_at, EVENTS.c.recorded_at, EVENTS.c.id)
        )
        for row in session.execute(query):
            history[row.action_id].append(event_from_row(row))
        moved: Counter[tuple[str, dt.date]] = Counter()
        for rag, due_date in session.execute(
            select(STATES.c.rag, STATES.c.due_date).where(STATES.c.action_id.in_(chunk), current_state())
        ):
            moved[_count_key(rag, due_date)] -= 1
        session.execute(delete(STATES).where(STATES.c.action_id.in_(chunk)))
        rows = [
            row
            for action_id, events in history.items()
            for row in _rows(plan_id, action_id, versions(events))
        ]
        if rows:
            session.execute(insert(STATES), rows)
        for new in rows:
            if new["valid_until"] is None:
                moved[_count_key(new["rag"], new["due_date"])] += 1
        _add_to_counts(session, plan_id, moved)


def recount(session: Session, plan_id: int) -> None:
    """Count the plan's current states again from scratch (after a repair or a backfill)."""
    session.execute(delete(COUNTS).where(COUNTS.c.plan_id == plan_id))
    moved: Counter[tuple[str, dt.date]] = Counter()
    for rag, due_date, n in session.execute(
        select(STATES.c.rag, STATES.c.due_date, func.count())
        .where(STATES.c.plan_id == plan_id, current_state())
        .group_by(STATES.c.rag, STATES.c.due_date)
    ):
        moved[_count_key(rag, due_date)] += n
    _add_to_counts(session, plan_id, moved)


def _count_key(rag: str | None, due_date: dt.date | None) -> tuple[str, dt.date]:
    return (rag or UNRATED, due_date or UNDATED)


def _add_to_counts(session: Session, plan_id: int, moved: Counter[tuple[str, dt.date]]) -> None:
    """Add to the plan's counts by RAG and due date (inserting the pairs not counted before)."""
    by_span: Counter[tuple[str, dt.date, str]] = Counter()
    for (rag, due), n in moved.items():
        by_span[BY_DAY, due, rag] += n
        by_span[BY_MONTH, due if due == UNDATED else due.replace(day=1), rag] += n
    changes = [
        {"plan_id": plan_id, "span": span, "due_date": due, "rag": rag, "actions": n}
        for (span, due, rag), n in by_span.items()
        if n
    ]
    if not changes:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(COUNTS)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["plan_id", "span", "due_date", "rag"],
            set_={"actions": COUNTS.c.actions + statement.excluded.actions},
        ),
        changes,
    )


def event_from_row(row: Row[Any]) -> Event:
    return Event(
        id=row.id,
        action_id=row.action_id,
        kind=EventKind(row.kind),
        rag=Rag(row.rag) if row.rag else None,
        due_date=row.due_date,
        owner_id=row.owner_id,
        note=row.note,
        actor_id=row.actor_id,
        source=Source(row.source),
        effective_at=row.effective_at,
        recorded_at=row.recorded_at,
    )
