"""What the scheduler asks storage for, checked against the plain rules it stands for.

The planner never reads the whole plan: storage picks each owner's actions needing a word, the
worst of a list and the actions reaching an escalation, in SQL. Here a varied plan is written
through the store, and for every day of several weeks each of those reads must equal the pure
rule (``plan.reminders``, ``plan.rules.worst_first``) applied to the whole plan.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from plan.calendar import WorkingCalendar
from plan.clock import london_date
from plan.importing import ActionSpec, PrioritySpec
from plan.model import Event, EventKind, Rag, Source
from plan.ports import StoreFactory, Which
from plan.reminders import (
    OwnerShortlist,
    ReminderRules,
    Why,
    attention_on,
    escalation_dates,
    escalations,
    shortlists,
    why,
)
from plan.rules import is_overdue, worst_first
from storage.store import SqlStoreFactory
from storage.tables import ActionRow, StateRow
from tests.conftest import Databases
from tests.stores import STORES, fresh_store

CALENDAR = WorkingCalendar()
RULES = ReminderRules()
START = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2025, 10, 27) + dt.timedelta(days=n) for n in range(0, 36, 3)]
LATE_EVENING = dt.datetime(2025, 10, 20, 23, 30, tzinfo=dt.UTC)  # already 21 October in London
OWNERS = [f"owner{n}@council.example" for n in range(5)]


def varied_plan(open_store: StoreFactory) -> int:
    """60 actions: owned by five people or nobody, some undated, some complete, rated and
    confirmed at all hours (late evenings in summer time fall on the next London day), some
    snoozed, due all around the weeks checked."""
    pick = random.Random(7)
    with open_store() as store:
        plan_id = store.find_or_create_plan("TVARIED")
        people = store.ensure_people(plan_id, OWNERS)
        store.save_priorities(
            plan_id, [PrioritySpec(n, f"Priority {n}", OWNERS[n]) for n in (1, 2, 3)], people
        )
        specs = [ActionSpec(f"{n % 3 + 1}.{n}", f"Action {n}", n % 3 + 1, (), ()) for n in range(1, 61)]
        ids = store.save_actions(plan_id, specs, people)
        events = []
        for spec in specs:
            owner = None if pick.random() < 0.1 else people[pick.choice(OWNERS)]
            due = (
                None if pick.random() < 0.1 else dt.date(2025, 10, 1) + dt.timedelta(days=pick.randrange(90))
            )
            created = START + dt.timedelta(hours=pick.randrange(24 * 40))
            events.append(_event(ids[spec.ref], EventKind.CREATED, created, owner_id=owner, due_date=due))
            for _ in range(pick.randrange(4)):
                at = created + dt.timedelta(hours=pick.randrange(1, 24 * 30))
                rag = pick.choice([Rag.RED, Rag.AMBER, Rag.GREEN, Rag.GREEN, Rag.COMPLETE])
                kind = pick.choice([EventKind.RAG, EventKind.RAG, EventKind.CONFIRM])
                events.append(_event(ids[spec.ref], kind, at, rag=rag, note="Because"))
        events.append(_event(ids["1.3"], EventKind.RAG, LATE_EVENING, rag=Rag.AMBER, note="Late"))
        store.add_events(plan_id, events)
        for action_id in pick.sample(sorted(ids.values()), 6):
            until = DAYS[0] + dt.timedelta(days=pick.randrange(20))
            store.add_snooze(plan_id, action_id, None, until, START)
        store.commit()
    return plan_id


def _event(action_id: int, kind: EventKind, at: dt.datetime, **fields: object) -> Event:
    if kind is EventKind.CONFIRM:
        fields = {}
    return Event(action_id, kind, at, at, Source.IMPORT, **fields)  # type: ignore[arg-type]


@pytest.fixture(params=STORES)
def plan(
    request: pytest.FixtureRequest, tmp_path: Path, databases: Databases
) -> Iterator[tuple[StoreFactory, int]]:
    """The varied plan in each kind of store: the memory store's reads answer to the same rules."""
    with fresh_store(request.param, databases, ("the varied plan", varied_plan)) as open_store:
        with open_store() as store:
            plan_id = store.find_plan_id("TVARIED")
        assert plan_id is not None
        yield open_store, plan_id


@pytest.fixture
def sql_plan(open_store: SqlStoreFactory) -> tuple[SqlStoreFactory, int]:
    return open_store, varied_plan(open_store)


def test_each_owners_shortlist_is_what_the_rules_pick(plan: tuple[StoreFactory, int]) -> None:
    open_store, plan_id = plan
    with open_store() as store:
        whole = list(store.load(plan_id).actions.values())
        earliest = min(
            london_date(a.rag_confirmed_at)
            for a in whole
            if a.rag_confirmed_at and a.rag is not Rag.COMPLETE and a.due_date and a.owner_id
        )
        kept_earliest = store.earliest_confirmation(plan_id)
        assert kept_earliest is not None
        assert kept_earliest <= earliest
        reasons = set()
        for day in DAYS:
            attention = attention_on(day, CALENDAR, RULES, earliest)
            as_planned = attention_on(day, CALENDAR, RULES, kept_earliest)  # as the scheduler asks
            snoozed = store.snoozed(plan_id, day)
            for shown, listed in ((3, 2), (60, 0)):
                expected = shortlists(whole, attention, snoozed, shown, listed)
                found = store.needing_attention(plan_id, as_planned, shown, listed)
                assert [_summary(s) for s in found] == [_summary(s) for s in expected], (day, shown)
                assert all(a in whole for s in found for a in s.shown)  # whole states, delegates and all
            reasons |= {why(a, attention) for a in whole if a.record.id not in snoozed}
        assert reasons == {*Why, None}  # the plan exercises every rule


def test_a_confirmation_late_on_a_summer_evening_counts_on_the_london_day(
    sql_plan: tuple[SqlStoreFactory, int],
) -> None:
    open_store, plan_id = sql_plan
    with open_store() as store:
        kept = store.session.scalar(
            select(StateRow.rag_confirmed_on)
            .join(ActionRow, ActionRow.id == StateRow.action_id)
            .where(ActionRow.plan_id == plan_id, ActionRow.ref == "1.3", StateRow.valid_until.is_(None))
        )
    assert kept == dt.date(2025, 10, 21)


def _summary(shortlist: OwnerShortlist) -> tuple[object, ...]:
    return (shortlist.owner_id, [a.ref for a in shortlist.shown], shortlist.more_refs, shortlist.total)


def test_the_worst_of_a_list_and_its_count(plan: tuple[StoreFactory, int]) -> None:
    open_store, plan_id = plan
    with open_store() as store:
        whole = list(store.load(plan_id).actions.values())
        for day in DAYS:
            fortnight = day + dt.timedelta(days=14)
            cases = {
                Which(overdue_on=day): [a for a in whole if is_overdue(a, day)],
                Which(rag=Rag.RED): [a for a in whole if a.rag is Rag.RED],
                Which(open_only=True, due_between=(day, fortnight)): [
                    a
                    for a in whole
                    if a.rag is not Rag.COMPLETE
                    and a.due_date
                    and day <= a.due_date <= day + dt.timedelta(days=14)
                ],
            }
            for which, expected in cases.items():
                found = store.shortlist(plan_id, which, limit=4)
                assert found.actions == worst_first(expected)[:4], which
                assert found.total == len(expected), which
                owners = {a.owner_id for a in found.actions if a.owner_id}
                assert owners <= set(found.view.people), "names every owner it lists"


def test_escalations_read_only_the_dates_that_reach_them(plan: tuple[StoreFactory, int]) -> None:
    open_store, plan_id = plan
    with open_store() as store:
        whole = store.load(plan_id)
        reached = 0
        for day in DAYS:
            for after in (RULES.escalate_to_lead_after, RULES.escalate_to_management_after):
                dates = escalation_dates(day, CALENDAR, after)
                picked = store.select(plan_id, Which(open_only=True, due_on=dates))
                found = escalations(picked, day, CALENDAR, after)
                assert found == escalations(whole, day, CALENDAR, after), (day, after)
                reached += len(found)
        assert reached  # some action reaches an escalation in the weeks checked


def test_what_went_red_or_stopped_is_read_from_the_week_alone(plan: tuple[StoreFactory, int]) -> None:
    open_store, plan_id = plan
    with open_store() as store:
        now = store.load(plan_id).actions
        movers = 0
        for day in DAYS:
            since = dt.datetime.combine(day, dt.time(8), dt.UTC) - dt.timedelta(days=40)
            then = store.load(plan_id, since).actions
            was = {ref for ref, a in then.items() if a.rag is Rag.RED}
            expected = {ref for ref, a in now.items() if (a.rag is Rag.RED) != (ref in was)}
            moved, was_red = store.rag_moves(plan_id, Rag.RED, since)
            assert set(moved.actions) == expected, day
            assert was_red == expected & was, day
            assert all(moved.actions[ref] == now[ref] for ref in expected)
            movers += len(expected)
        assert movers
