"""A plan of any size with a year (or more) of history, written quickly through the store's own
write path (``add_events``, which keeps the states), for the benchmarks.

Every action is created and rated at the start; then each month a share of the actions (``churn``,
a tenth by default: what a monthly tracker moves) has its RAG changed, so a plan of 100,000
actions with 12 months has 320,000 events (1.4 million with ``churn=1``, every rating moved
every month). 400 owners are already matched to Slack users.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plan.importing import ActionSpec, PrioritySpec
from plan.model import Event, EventKind, Rag, Source
from plan.ports import StoreFactory

RAGS = [Rag.GREEN, Rag.AMBER, Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE]
OWNERS = 400
CALLERS_ACTIONS = 25  # the owner of 1.1 owns this many at every size: "mine" asks the same question
CHUNK = 5_000  # actions written per transaction


@dataclass(frozen=True)
class Seeded:
    plan_id: int
    team: str
    size: int
    events: int
    start: dt.datetime
    end: dt.datetime  # the last month's changes

    @property
    def owner_slack_id(self) -> str:
        """The owner of 1.1, with ``CALLERS_ACTIONS`` actions (or all of theirs in a small plan)."""
        return owner(0)


def owner(n: int) -> str:
    return f"U{n % OWNERS + 100:08d}"


def owner_of(n: int) -> str:
    """Owners in turn, but the owner of 1.1 keeps ``CALLERS_ACTIONS`` actions however large the plan."""
    if n % OWNERS == 0 and n // OWNERS >= CALLERS_ACTIONS:
        return owner(n + 1)
    return owner(n)


def month(start: dt.datetime, n: int) -> dt.datetime:
    return start + dt.timedelta(days=round(n * 30.44))


def seed_plan(
    open_store: StoreFactory, team: str, size: int, months: int, start: dt.datetime, churn: float = 0.1
) -> Seeded:
    """``size`` actions in 10 priorities, refs "P.N", due over 400 days from ``start``."""
    count, every = 0, max(1, round(1 / churn))
    with open_store() as store:
        plan_id = store.find_or_create_plan(team)
        people = store.ensure_people(plan_id, [owner(n) for n in range(OWNERS)])
        store.save_priorities(
            plan_id, [PrioritySpec(p, f"Priority {p}", owner(p)) for p in range(1, 11)], people
        )
        store.commit()
    for first in range(0, size, CHUNK):
        specs = [
            ActionSpec(
                ref=f"{n % 10 + 1}.{n + 1}",
                description=f"Action {n + 1}: a description of the work",
                priority=n % 10 + 1,
                recommendations=(),
                delegates=(),
            )
            for n in range(first, min(size, first + CHUNK))
        ]
        with open_store() as store:
            ids = store.save_actions(plan_id, specs, people)
            events = []
            for n, spec in enumerate(specs, start=first):
                action_id, who = ids[spec.ref], people[owner_of(n)]
                due = start.date() + dt.timedelta(days=n % 400)
                events.append(
                    Event(
                        action_id, EventKind.CREATED, start, start, Source.IMPORT, owner_id=who, due_date=due
                    )
                )
                for m in range(months + 1):
                    if m and (n + m) % every:
                        continue  # not moved this month
                    at = month(start, m)
                    rag = RAGS[(n + m) % len(RAGS)]
                    events.append(
                        Event(action_id, EventKind.RAG, at, at, Source.IMPORT, rag=rag, note="Tracker")
                    )
            store.add_events(plan_id, events)
            store.commit()
            count += len(events)
    return Seeded(plan_id, team, size, count, start, month(start, months))
