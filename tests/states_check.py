"""The checks that the kept states are what the history folds to: the history is the truth.

:func:`assert_states_follow_history` runs after every test that uses a database (the ``engine``
fixture). It reads every kept version of every action and every kept count, one query each,
and compares them with what the pure code makes of the events (``plan.history.versions``,
``plan.figures.tally``). Kept versions that equal the folded ones version for version (same
boundaries, same state) give the same plan as the fold at every instant, so this checks "the
plan as at any instant, read from the kept states, is the fold of its history" without reading
the plan once per instant.

:func:`assert_reads_follow_history` checks the same through the store's reads, as the commands
make them: ``store.load`` at every instant an event took effect and ``store.tally`` on every day
an action is due. It costs a read per instant and per day, so a few tests run it over long and
varied histories (``tests/test_states.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from sqlalchemy import Engine, Table, select

from plan.clock import london_date
from plan.figures import tally
from plan.history import PlanHistory, event_order, versions
from plan.model import Event
from storage.store import SqlPlanStore, store_factory
from storage.tables import BY_DAY, BY_MONTH, UNDATED, UNRATED, CountRow, PlanRow, StateRow

TODAY = dt.date(2017, 9, 5)
STATES = cast(Table, StateRow.__table__)
COUNTS = cast(Table, CountRow.__table__)


class Kept(NamedTuple):
    """One version of an action, as ``action_states`` keeps it."""

    valid_from: dt.datetime
    valid_until: dt.datetime | None
    recorded_at: dt.datetime
    event_id: int | None
    owner_id: int | None
    due_date: dt.date | None
    original_due_date: dt.date | None
    rag: str | None
    rag_note: str | None
    rag_since: dt.datetime | None
    rag_confirmed_at: dt.datetime | None
    rag_confirmed_on: dt.date | None
    last_update_at: dt.datetime | None
    last_note: str | None
    times_rescheduled: int


CountKey = tuple[str, dt.date, str]  # span, due date (a month's first day for BY_MONTH), RAG


def folded_versions(events: Iterable[Event]) -> list[Kept]:
    """The versions an action's events make, as ``action_states`` should keep them: each valid
    until the next one starts, the last one current."""
    made = versions(sorted(events, key=event_order))
    return [
        Kept(
            valid_from=version.valid_from,
            valid_until=made[n + 1].valid_from if n + 1 < len(made) else None,
            recorded_at=version.recorded_at,
            event_id=version.event_id,
            owner_id=fold.owner_id,
            due_date=fold.due_date,
            original_due_date=fold.original_due_date,
            rag=fold.rag.value if fold.rag else None,
            rag_note=fold.rag_note,
            rag_since=fold.rag_since,
            rag_confirmed_at=fold.rag_confirmed_at,
            rag_confirmed_on=london_date(fold.rag_confirmed_at) if fold.rag_confirmed_at else None,
            last_update_at=fold.last_update_at,
            last_note=fold.last_note,
            times_rescheduled=fold.times_rescheduled,
        )
        for n, version in enumerate(made)
        for fold in [version.fold]
    ]


def folded_counts(current: Iterable[Kept]) -> Counter[CountKey]:
    """What ``rag_due_counts`` should hold for these current versions: per RAG, the actions due
    on each day and in each month (UNRATED and UNDATED standing for none)."""
    counts: Counter[CountKey] = Counter()
    for version in current:
        rag, due = version.rag or UNRATED, version.due_date or UNDATED
        counts[BY_DAY, due, rag] += 1
        counts[BY_MONTH, due if due == UNDATED else due.replace(day=1), rag] += 1
    return counts


def kept_versions(store: SqlPlanStore) -> dict[tuple[int, int], list[Kept]]:
    """Every kept version of every action, by (plan, action), in the order they start."""
    kept: dict[tuple[int, int], list[Kept]] = defaultdict(list)
    columns = [STATES.c[name] for name in Kept._fields]
    query = select(STATES.c.plan_id, STATES.c.action_id, *columns).order_by(
        STATES.c.plan_id, STATES.c.action_id, STATES.c.valid_from, STATES.c.id
    )
    for plan_id, action_id, *values in store.session.execute(query):
        kept[plan_id, action_id].append(Kept(*values))
    return kept


def kept_counts(store: SqlPlanStore) -> dict[int, Counter[CountKey]]:
    """Every kept count that is not zero, by plan."""
    counts: dict[int, Counter[CountKey]] = defaultdict(Counter)
    query = select(COUNTS.c.plan_id, COUNTS.c.span, COUNTS.c.due_date, COUNTS.c.rag, COUNTS.c.actions)
    for plan_id, span, due_date, rag, n in store.session.execute(query.where(COUNTS.c.actions != 0)):
        counts[plan_id][span, due_date, rag] = n
    return counts


def shown(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def differences(kept: Sequence[Kept], folded: Sequence[Kept]) -> list[str]:
    """Where two lists of versions part, version by version and field by field."""
    found = []
    for n in range(max(len(kept), len(folded))):
        mine = kept[n] if n < len(kept) else None
        truth = folded[n] if n < len(folded) else None
        if mine is None or truth is None:
            found.append(f"version {n}: kept {mine}, folded {truth}")
        elif mine != truth:
            fields = [
                f"{name} kept {shown(getattr(mine, name))}, folded {shown(getattr(truth, name))}"
                for name in Kept._fields
                if getattr(mine, name) != getattr(truth, name)
            ]
            found.append(f"version {n} (from {truth.valid_from}): " + "; ".join(fields))
    return found


def assert_states_follow_history(engine: Engine) -> None:
    """Every kept version equals the pure fold of its action's history, and the kept counts and
    the plan as it stands, read as the commands read them, agree with that fold."""
    with store_factory(engine)() as store:
        kept = kept_versions(store)
        counts = kept_counts(store)
        plans = store.session.scalars(select(PlanRow.id).order_by(PlanRow.id)).all()
        for plan_id in plans:
            history = store.history(plan_id)
            expected = folded_counts(assert_versions(plan_id, history, kept))
            wrong = {key: (counts[plan_id][key], expected[key]) for key in counts[plan_id] | expected}
            wrong = {key: pair for key, pair in wrong.items() if pair[0] != pair[1]}
            assert not wrong, f"plan {plan_id}'s kept counts (span, due, rag): (kept, folded) {wrong}"
            now = history.at()
            assert store.load(plan_id).actions == now.actions, f"plan {plan_id} as it stands, loaded"
            counted = {key: n for key, n in store.tally(plan_id, TODAY).items() if n}
            assert counted == tally(now.actions.values(), TODAY), f"plan {plan_id}'s counts on {TODAY}"
        strays = sorted(key for key in kept if key[0] not in plans)
        assert not strays, f"kept versions of (plan, action) {strays} outside any plan"


def assert_versions(
    plan_id: int, history: PlanHistory, kept: dict[tuple[int, int], list[Kept]]
) -> list[Kept]:
    """The plan's kept versions are its actions' folded versions, and there are no others;
    returns the folded current versions."""
    refs = {record.id: record.ref for record in history.records}
    wrong: dict[str, list[str]] = {}
    current = []
    for action_id, ref in refs.items():
        folded = folded_versions(history.events.get(action_id, []))
        found = differences(kept.get((plan_id, action_id), []), folded)
        if found:
            wrong[ref] = found
        current += folded[-1:]
    assert not wrong, f"plan {plan_id}'s kept versions differ from the fold of its history: {wrong}"
    others = sorted(action for plan, action in kept if plan == plan_id and action not in refs)
    assert not others, f"plan {plan_id} keeps versions of actions {others} that are not its own"
    return current


def assert_reads_follow_history(engine: Engine) -> None:
    """Every plan, loaded as at every instant an event took effect and as it stands, equals the
    pure fold of its history; its counts on every day an action is due and on TODAY equal the
    counts of that fold."""
    with store_factory(engine)() as store:
        for plan_id in store.session.scalars(select(PlanRow.id)).all():
            history = store.history(plan_id)
            instants = sorted({event.effective_at for events in history.events.values() for event in events})
            for instant in [*instants, None]:
                kept, folded = store.load(plan_id, instant), history.at(instant)
                assert kept.actions == folded.actions, f"plan {plan_id} as at {instant}"
            now = history.at().actions.values()
            for day in sorted({*(action.due_date for action in now if action.due_date), TODAY}):
                counted = {key: n for key, n in store.tally(plan_id, day).items() if n}
                assert counted == tally(now, day), f"plan {plan_id}'s counts on {day}"
