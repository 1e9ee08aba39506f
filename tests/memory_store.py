"""A ``PlanStore`` in memory, for fast tests of the use cases, the Slack app's work and the scheduler.

The history is kept as SQL keeps it (events appended, never changed), but no states are kept
beside it: every read folds the history (``plan.history``) and applies the plain rule the SQL
stands for (``plan.reminders.shortlists``, ``plan.rules.worst_first``, ``plan.figures``). The
contract tests (``tests/test_store_contract.py``, ``tests/test_scheduled_reads.py``) hold it and
``SqlPlanStore`` to the same answers.

A store is a unit of work, as SQL's is: what it writes is its own until ``commit`` (its first
write takes a copy of what is committed, and ``commit`` puts the copy in its place); a store
closed without a commit leaves nothing. Deliveries commit on each call, as in SQL, and a claim
happens under a lock, so two claims never take the same delivery. Plan writes are one writer at
a time: two stores writing at once would each commit over the other (no test does).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from plan.clock import london_date
from plan.deliveries import (
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    Delivery,
    DeliveryKey,
    Message,
    NewDelivery,
)
from plan.figures import PlanCounts, Tally, count_plan, tally
from plan.history import PlanHistory, event_order
from plan.importing import ActionSpec, PrioritySpec
from plan.model import (
    ActionRecord,
    ActionState,
    Event,
    Person,
    PlanView,
    Priority,
    Rag,
    Shortlist,
    name_from_key,
)
from plan.ports import StoreFactory, Which
from plan.reminders import Attention, OwnerShortlist, shortlists
from plan.rules import is_overdue, worst_first
from plan.workspaces import WorkspaceSettings


@dataclass(frozen=True)
class Snooze:
    plan_id: int
    action_id: int
    person_id: int | None
    until: dt.date
    created_at: dt.datetime


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery as the deliveries table holds it; replaced whole on every change."""

    id: int
    plan_id: int
    key: DeliveryKey
    status: str
    messages: str  # JSON, as SQL keeps it: what a caller passed in is never shared
    created_at: dt.datetime
    parts_sent: int = 0
    channel: str | None = None
    slack_ts: str | None = None
    attempts: int = 0
    last_error: str | None = None
    claim: str | None = None
    claimed_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    unsure_since: dt.datetime | None = None


@dataclass
class MemoryData:
    """Everything stored, in containers of immutable values: a copy is a copy of the containers."""

    plans: dict[str, int] = field(default_factory=dict)
    people: dict[int, tuple[int, Person]] = field(default_factory=dict)  # by id: (plan, person)
    priorities: dict[int, dict[int, Priority]] = field(default_factory=dict)  # by plan, by number
    actions: dict[int, tuple[int, ActionRecord]] = field(default_factory=dict)  # by id: (plan, record)
    events: dict[int, list[Event]] = field(default_factory=dict)  # by plan, as appended
    snoozes: list[Snooze] = field(default_factory=list)
    workspaces: dict[str, WorkspaceSettings] = field(default_factory=dict)
    deliveries: dict[int, DeliveryRecord] = field(default_factory=dict)
    last_id: int = 0  # one sequence for every kind of id

    def copy(self) -> MemoryData:
        return MemoryData(
            plans=dict(self.plans),
            people=dict(self.people),
            priorities={plan: dict(numbers) for plan, numbers in self.priorities.items()},
            actions=dict(self.actions),
            events={plan: list(events) for plan, events in self.events.items()},
            snoozes=list(self.snoozes),
            workspaces=dict(self.workspaces),
            deliveries=dict(self.deliveries),
            last_id=self.last_id,
        )

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id


@dataclass
class Committed:
    """What every store of one factory shares: the committed data, and the deliveries' lock."""

    data: MemoryData = field(default_factory=MemoryData)
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemoryPlanStore:
    def __init__(self, committed: Committed) -> None:
        self._committed = committed
        self._pending: MemoryData | None = None
        self.deliveries = MemoryDeliveries(self)

    # --- the unit of work ---------------------------------------------------------------

    @property
    def data(self) -> MemoryData:
        """What this store sees: its own changes if it has made any, else what is committed."""
        return self._pending if self._pending is not None else self._committed.data

    def writing(self) -> MemoryData:
        if self._pending is None:
            self._pending = self._committed.data.copy()
        return self._pending

    def commit(self) -> None:
        if self._pending is not None:
            self._committed.data, self._pending = self._pending, None

    def rollback(self) -> None:
        self._pending = None

    @property
    def lock(self) -> threading.RLock:
        """Held by each writing call of the deliveries, from its read to its commit."""
        return self._committed.lock

    # --- plans --------------------------------------------------------------------------

    def find_plan_id(self, team_id: str) -> int | None:
        return self.data.plans.get(team_id)

    def plan_teams(self) -> list[str]:
        return sorted(self.data.plans, key=self.data.plans.__getitem__)

    def workspace_settings(self, team_id: str) -> WorkspaceSettings:
        return self.data.workspaces.get(team_id, WorkspaceSettings(team_id))

    def change_workspace_settings(
        self, team_id: str, change: Callable[[WorkspaceSettings], WorkspaceSettings], now: dt.datetime
    ) -> WorkspaceSettings:
        data = self.writing()
        data.workspaces[team_id] = changed = change(data.workspaces.get(team_id, WorkspaceSettings(team_id)))
        return changed

    def find_or_create_plan(self, team_id: str) -> int:
        found = self.find_plan_id(team_id)
        if found is not None:
            return found
        data = self.writing()
        data.plans[team_id] = plan_id = data.new_id()
        self.commit()  # as SQL: the new plan is committed at once
        return plan_id

    # --- actions, folded from the history -----------------------------------------------

    def history(self, plan_id: int, until: dt.datetime | None = None) -> PlanHistory:
        data = self.data
        records = tuple(record for plan, record in data.actions.values() if plan == plan_id)
        events: dict[int, list[Event]] = defaultdict(list)
        for event in sorted(data.events.get(plan_id, ()), key=event_order):
            if until is None or event.effective_at <= until:
                events[event.action_id].append(event)
        return PlanHistory(plan_id, self.priorities(plan_id), self._people(plan_id), records, dict(events))

    def load(self, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        return self.history(plan_id).at(as_at)

    def select(self, plan_id: int, which: Which) -> PlanView:
        return self._view(plan_id, [a for a in self._now(plan_id) if picks(which, a)])

    def shortlist(self, plan_id: int, which: Which, limit: int) -> Shortlist:
        picked = worst_first(a for a in self._now(plan_id) if picks(which, a))
        return Shortlist(self._view(plan_id, picked[:limit]), len(picked))

    def needing_attention(
        self, plan_id: int, attention: Attention, shown: int, listed: int
    ) -> list[OwnerShortlist]:
        snoozed = self.snoozed(plan_id, attention.day)
        return shortlists(self._now(plan_id), attention, snoozed, shown, listed)

    def history_starts(self, plan_id: int) -> dt.datetime | None:
        events = self.data.events.get(plan_id, [])
        return min((event.effective_at for event in events), default=None)

    def earliest_confirmation(self, plan_id: int) -> dt.date | None:
        confirmed = [london_date(a.rag_confirmed_at) for a in self._now(plan_id) if a.rag_confirmed_at]
        return min(confirmed, default=None)

    def tally(
        self, plan_id: int, on: dt.date, priority: int | None = None, as_at: dt.datetime | None = None
    ) -> Tally:
        actions = self.load(plan_id, as_at).actions.values()
        return tally((a for a in actions if priority is None or a.priority == priority), on)

    def counts(self, plan_id: int, on: dt.date, as_at: dt.datetime | None = None) -> PlanCounts:
        return count_plan(self.load(plan_id, as_at).actions.values(), on)

    def priorities(self, plan_id: int) -> dict[int, Priority]:
        return dict(self.data.priorities.get(plan_id, {}))

    def refs(self, plan_id: int) -> list[str]:
        return [record.ref for plan, record in self.data.actions.values() if plan == plan_id]

    def rag_moves(self, plan_id: int, rag: Rag, since: dt.datetime) -> tuple[PlanView, frozenset[str]]:
        then = self.load(plan_id, since).actions
        was = {ref for ref, action in then.items() if action.rag is rag}
        moved = [a for a in self._now(plan_id) if (a.rag is rag) != (a.ref in was)]
        view = self._view(plan_id, moved) if moved else PlanView(plan_id, self.priorities(plan_id), {}, {})
        return view, frozenset(a.ref for a in moved if a.ref in was)

    def _now(self, plan_id: int) -> list[ActionState]:
        return list(self.load(plan_id).actions.values())

    def _view(self, plan_id: int, actions: Sequence[ActionState]) -> PlanView:
        """``actions`` in their order, with every priority and the people they name: owners,
        delegates and the priorities' leads."""
        priorities = self.priorities(plan_id)
        named = {p.lead_id for p in priorities.values() if p.lead_id is not None}
        for action in actions:
            named |= action.record.delegate_ids | ({action.owner_id} if action.owner_id else set())
        return PlanView(plan_id, priorities, self.people(plan_id, named), {a.ref: a for a in actions})

    # --- writing the plan ---------------------------------------------------------------

    def save_priorities(
        self, plan_id: int, specs: Sequence[PrioritySpec], person_ids: dict[str, int]
    ) -> None:
        numbers = self.writing().priorities.setdefault(plan_id, {})
        for spec in specs:
            numbers[spec.number] = Priority(
                spec.number, spec.title, person_ids[spec.lead] if spec.lead else None
            )

    def save_actions(
        self, plan_id: int, specs: Sequence[ActionSpec], person_ids: dict[str, int]
    ) -> dict[str, int]:
        data = self.writing()
        ids = {record.ref: id_ for id_, (plan, record) in data.actions.items() if plan == plan_id}
        for spec in specs:
            id_ = ids.get(spec.ref) or data.new_id()
            data.actions[id_] = (
                plan_id,
                ActionRecord(
                    id=id_,
                    ref=spec.ref,
                    description=spec.description,
                    priority=spec.priority,
                    recommendations=tuple(r for r in spec.recommendations if r),
                    delegate_ids=frozenset(person_ids[key] for key in spec.delegates),
                ),
            )
            ids[spec.ref] = id_
        return ids

    def add_events(self, plan_id: int, events: Sequence[Event]) -> None:
        if not events:
            return
        data = self.writing()
        for event in events:
            if data.actions.get(event.action_id, (None,))[0] != plan_id:
                raise ValueError(f"no action {event.action_id} in plan {plan_id}")
        data.events.setdefault(plan_id, []).extend(replace(event, id=data.new_id()) for event in events)

    # --- people -------------------------------------------------------------------------

    def _people(self, plan_id: int) -> dict[int, Person]:
        return {id_: person for id_, (plan, person) in self.data.people.items() if plan == plan_id}

    def people(self, plan_id: int, ids: Iterable[int]) -> dict[int, Person]:
        everyone = self._people(plan_id)
        return {id_: everyone[id_] for id_ in ids if id_ in everyone}

    def _person(self, plan_id: int, found: Callable[[Person], bool]) -> Person | None:
        return next((person for person in self._people(plan_id).values() if found(person)), None)

    def person_by_slack_id(self, plan_id: int, user_id: str) -> Person | None:
        return self._person(plan_id, lambda person: person.slack_user_id == user_id)

    def person_by_email(self, plan_id: int, email: str) -> Person | None:
        return self._person(plan_id, lambda person: person.email == email.lower())

    def owners_not_in_slack(self, plan_id: int) -> list[Person]:
        owners = {a.owner_id for a in self._now(plan_id) if a.rag is not Rag.COMPLETE}
        return [
            p for id_, p in sorted(self._people(plan_id).items()) if id_ in owners and not p.slack_user_id
        ]

    def ensure_people(self, plan_id: int, keys: Iterable[str]) -> dict[str, int]:
        wanted = set(keys)
        data = self.writing()
        ids = {
            key: person.id
            for person in self._people(plan_id).values()
            for key in (person.email, person.slack_user_id)
            if key in wanted
        }
        for key in sorted(wanted - ids.keys()):
            email = key if "@" in key else None
            person = Person(data.new_id(), name_from_key(key), email, None if email else key)
            data.people[person.id] = (plan_id, person)
            ids[key] = person.id
        return ids

    def save_person(self, plan_id: int, name: str, email: str | None, slack_user_id: str | None) -> Person:
        email = email.lower() if email else email
        found = self.person_by_email(plan_id, email) if email else None
        if found is None and slack_user_id:
            found = self.person_by_slack_id(plan_id, slack_user_id)
        data = self.writing()
        if found is None:
            person = Person(data.new_id(), name, email, slack_user_id)
        else:
            person = Person(
                found.id, name or found.name, found.email or email, slack_user_id or found.slack_user_id
            )
        data.people[person.id] = (plan_id, person)
        return person

    # --- snoozes ------------------------------------------------------------------------

    def add_snooze(
        self, plan_id: int, action_id: int, person_id: int | None, until: dt.date, now: dt.datetime
    ) -> None:
        self.writing().snoozes.append(Snooze(plan_id, action_id, person_id, until, now))

    def snoozed(self, plan_id: int, day: dt.date) -> set[int]:
        return {s.action_id for s in self.data.snoozes if s.plan_id == plan_id and s.until > day}


def picks(which: Which, action: ActionState) -> bool:
    """Whether ``which`` picks ``action``: every filter given must hold."""
    due = action.due_date
    person = which.person_id
    tests = (
        which.refs is None or action.ref in which.refs,
        person is None or person == action.owner_id or person in action.record.delegate_ids,
        which.priority is None or action.priority == which.priority,
        which.overdue_on is None or is_overdue(action, which.overdue_on),
        not which.open_only or action.rag is not Rag.COMPLETE,
        which.rag is None or action.rag is which.rag,
        which.not_rag is None or action.rag is not which.not_rag,
        which.due_on is None or due in which.due_on,
        which.due_between is None
        or (due is not None and which.due_between[0] <= due <= which.due_between[1]),
    )
    return all(tests)


class MemoryDeliveries:
    """``plan.deliveries.Deliveries`` in a dict, committing the store on each writing call."""

    def __init__(self, store: MemoryPlanStore) -> None:
        self._store = store

    def existing(self, plan_id: int, slot_dates: Iterable[dt.date]) -> set[DeliveryKey]:
        days = set(slot_dates)
        rows = self._store.data.deliveries.values()
        return {row.key for row in rows if row.plan_id == plan_id and row.key.slot_date in days}

    def add(self, plan_id: int, deliveries: Sequence[NewDelivery], now: dt.datetime) -> None:
        if not deliveries:
            return
        with self._store.lock:
            data = self._store.writing()
            taken = {(row.plan_id, row.key) for row in data.deliveries.values()}
            for new in deliveries:
                if (plan_id, new.key) not in taken:
                    id_ = data.new_id()
                    messages = json.dumps(list(new.messages))
                    data.deliveries[id_] = DeliveryRecord(id_, plan_id, new.key, new.status, messages, now)
                    taken.add((plan_id, new.key))
            self._store.commit()

    def claim(
        self, plan_id: int, now: dt.datetime, lease: dt.timedelta, limit: int, tick_start: dt.datetime
    ) -> list[Delivery]:
        token = str(uuid.uuid4())
        with self._store.lock:
            data = self._store.writing()
            claimed: list[DeliveryRecord] = []
            for id_, row in sorted(data.deliveries.items()):
                if len(claimed) == limit:
                    break
                untried = row.claimed_at is None or row.claimed_at < tick_start
                lapsed = row.status == SENDING and row.claimed_at is not None and row.claimed_at < now - lease
                if row.plan_id == plan_id and ((row.status == PENDING and untried) or lapsed):
                    data.deliveries[id_] = row = replace(row, status=SENDING, claim=token, claimed_at=now)
                    claimed.append(row)
            self._store.commit()
        return [as_delivery(row) for row in claimed]

    def posting(self, delivery: Delivery, now: dt.datetime) -> bool:
        row = self._store.data.deliveries.get(delivery.id)
        unsure = (row.unsure_since if row else None) or now.astimezone(dt.UTC)  # as SQL keeps it
        return self._claimed(delivery, {"claimed_at": now, "unsure_since": unsure})

    def part_sent(self, delivery: Delivery, parts_sent: int, channel: str, ts: str | None) -> bool:
        progress: dict[str, Any] = {"parts_sent": parts_sent, "channel": channel, "unsure_since": None}
        if ts is not None:
            progress["slack_ts"] = ts
        return self._claimed(delivery, progress)

    def delivered(self, delivery: Delivery, now: dt.datetime) -> bool:
        return self._claimed(delivery, {"status": DELIVERED, "delivered_at": now, "claim": None})

    def retry_later(self, delivery: Delivery, error: str, *, unsure: bool = False) -> bool:
        row = self._store.data.deliveries.get(delivery.id)
        changes: dict[str, Any] = {"status": PENDING, "claim": None, "last_error": error[:200]}
        changes["attempts"] = row.attempts + 1 if row else 0
        if not unsure:
            changes["unsure_since"] = None
        return self._claimed(delivery, changes)

    def give_up(self, delivery: Delivery, error: str) -> bool:
        changes = {"status": FAILED, "claim": None, "last_error": error[:200], "unsure_since": None}
        return self._claimed(delivery, changes)

    def _claimed(self, delivery: Delivery, changes: Mapping[str, Any]) -> bool:
        with self._store.lock:
            data = self._store.writing()
            row = data.deliveries.get(delivery.id)
            if row is None or row.claim != delivery.claim:
                return False
            data.deliveries[delivery.id] = replace(row, **changes)
            self._store.commit()
        return True

    def replace_messages(self, delivery_id: int, messages: list[Message]) -> None:
        self._set(delivery_id, {"messages": json.dumps(messages)})

    def find_by_message(self, channel: str, ts: str) -> Delivery | None:
        rows = self._store.data.deliveries.values()
        found = next((row for row in rows if row.channel == channel and row.slack_ts == ts), None)
        return as_delivery(found) if found else None

    def _set(self, delivery_id: int, changes: Mapping[str, Any]) -> None:
        with self._store.lock:
            data = self._store.writing()
            if delivery_id in data.deliveries:
                data.deliveries[delivery_id] = replace(data.deliveries[delivery_id], **changes)
            self._store.commit()


def as_delivery(row: DeliveryRecord) -> Delivery:
    return Delivery(
        id=row.id,
        key=row.key,
        messages=json.loads(row.messages),
        parts_sent=row.parts_sent,
        channel=row.channel,
        slack_ts=row.slack_ts,
        attempts=row.attempts,
        claim=row.claim,
        unsure_since=row.unsure_since,
    )


def memory_store_factory() -> StoreFactory:
    """A fresh, empty store: ``with open_store() as store:``, rolled back unless committed."""
    committed = Committed()

    @contextmanager
    def open_store() -> Iterator[MemoryPlanStore]:
        store = MemoryPlanStore(committed)
        try:
            yield store
        finally:
            store.rollback()

    return open_store


class MemorySeenRequests:
    """``plan.ports.SeenRequests`` in memory."""

    def __init__(self) -> None:
        self.seen: dict[str, dt.datetime] = {}
        self.lock = threading.Lock()

    def first_time(self, signature: str, now: dt.datetime, window: dt.timedelta) -> bool:
        with self.lock:
            if signature in self.seen:
                return False
            self.seen = {key: at for key, at in self.seen.items() if at >= now - window}
            self.seen[signature] = now
            return True
