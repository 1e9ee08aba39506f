"""The check that the kept states are what the history folds to: the history is the truth."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from plan.figures import tally
from storage.store import store_factory
from storage.tables import PlanRow

TODAY = dt.date(2017, 9, 5)


def assert_states_follow_history(engine: Engine) -> None:
    """Every plan, as at every instant an event took effect and as it stands, read from the kept
    states, equals the pure fold of its history (``plan.history``)."""
    with store_factory(engine)() as store:
        for plan_id in store.session.scalars(select(PlanRow.id)).all():
            history = store.history(plan_id)
            instants = sorted({event.effective_at for events in history.events.values() for event in events})
            for instant in [*instants, None]:
                kept, folded = store.load(plan_id, instant), history.at(instant)
                assert kept.actions == folded.actions, f"plan {plan_id} as at {instant}"
            for day in {*(e.due_date for e in history.at().actions.values() if e.due_date), TODAY}:
                counted = {key: n for key, n in store.tally(plan_id, day).items() if n}
                assert counted == tally(history.at().actions.values(), day), f"plan {plan_id}'s counts"
