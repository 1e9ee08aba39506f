"""The SQL side of :class:`plan.ports.PlanStore`: one session, one transaction, plain objects out.

Reading the plan costs a fixed handful of queries however many actions there are: every table
is read once and the history is folded in Python (``plan.history``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Engine, Row, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plan.clock import utc_now
from plan.history import PlanHistory
from plan.importing import ActionSpec, PrioritySpec
from plan.model import ActionRecord, Event, EventKind, Person, PlanView, Priority, Rag, Source
from storage.deliveries import SqlDeliveries
from storage.tables import ActionRow, DelegateRow, EventRow, PersonRow, PlanRow, PriorityRow, SnoozeRow


def name_from_email(key: str) -> str:
    """A readable name until Slack tells us the real one: jo.bloggs@x -> Jo Bloggs."""
    local = key.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part) or key


class SqlPlanStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.deliveries = SqlDeliveries(session)

    # --- reading ------------------------------------------------------------------------

    def find_plan_id(self, team_id: str) -> int | None:
        return self.session.scalar(select(PlanRow.id).where(PlanRow.team_id == team_id))

    def plan_id(self, team_id: str) -> int:
        found = self.find_plan_id(team_id)
        if found is not None:
            return found
        row = PlanRow(team_id=team_id, created_at=utc_now())
        self.session.add(row)
        try:
            self.session.commit()
        except IntegrityError:  # another process created it first
            self.session.rollback()
            return self.session.scalars(select(PlanRow.id).where(PlanRow.team_id == team_id)).one()
        return row.id

    def load(self, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        return self.history(plan_id, until=as_at).at(as_at)

    def history(self, plan_id: int, until: dt.datetime | None = None) -> PlanHistory:
        """The plan's records and every event up to ``until``: five statements, whatever the size."""
        people = {
            row.id: _person(row)
            for row in self.session.scalars(select(PersonRow).where(PersonRow.plan_id == plan_id))
        }
        priorities = {
            row.number: Priority(row.number, row.title, row.lead_id)
            for row in self.session.scalars(select(PriorityRow).where(PriorityRow.plan_id == plan_id))
        }
        delegates: dict[int, set[int]] = defaultdict(set)
        for action_id, person_id in self.session.execute(
            select(DelegateRow.action_id, DelegateRow.person_id)
            .join(ActionRow, ActionRow.id == DelegateRow.action_id)
            .where(ActionRow.plan_id == plan_id)
        ):
            delegates[action_id].add(person_id)
        actions = ActionRow.__table__
        records = tuple(
            ActionRecord(
                id=row.id,
                ref=row.ref,
                description=row.description,
                priority=row.priority,
                recommendations=tuple(r for r in row.recommendations.split(",") if r),
                delegate_ids=frozenset(delegates[row.id]),
            )
            for row in self.session.execute(select(actions).where(actions.c.plan_id == plan_id))
        )
        return PlanHistory(plan_id, priorities, people, records, self.events(plan_id, until))

    def events(self, plan_id: int, as_at: dt.datetime | None) -> dict[int, list[Event]]:
        """Every event of the plan in one query, as plain rows (ORM objects cost ~10x more)."""
        table = EventRow.__table__
        query = select(table).where(table.c.plan_id == plan_id)
        if as_at is not None:
            query = query.where(table.c.effective_at <= as_at)
        query = query.order_by(table.c.effective_at, table.c.recorded_at, table.c.id)
        by_action: dict[int, list[Event]] = defaultdict(list)
        for row in self.session.execute(query):
            by_action[row.action_id].append(_event(row))
        return by_action

    def person_by_slack_id(self, plan_id: int, user_id: str) -> Person | None:
        row = self.session.scalar(
            select(PersonRow).where(PersonRow.plan_id == plan_id, PersonRow.slack_user_id == user_id)
        )
        return _person(row) if row else None

    def person_by_email(self, plan_id: int, email: str) -> Person | None:
        row = self.session.scalar(
            select(PersonRow).where(PersonRow.plan_id == plan_id, PersonRow.email == email.lower())
        )
        return _person(row) if row else None

    # --- writing ------------------------------------------------------------------------

    def ensure_people(self, plan_id: int, keys: Iterable[str]) -> dict[str, int]:
        wanted = set(keys)
        rows = self.session.scalars(select(PersonRow).where(PersonRow.plan_id == plan_id)).all()
        ids = {key: row.id for row in rows for key in (row.email, row.slack_user_id) if key in wanted}
        new_rows = [
            PersonRow(
                plan_id=plan_id,
                name=name_from_email(key),
                email=key if "@" in key else None,
                slack_user_id=None if "@" in key else key,
            )
            for key in sorted(wanted - ids.keys())
        ]
        self.session.add_all(new_rows)
        self.session.flush()
        ids.update({row.email or row.slack_user_id or "": row.id for row in new_rows})
        return ids

    def save_person(self, plan_id: int, name: str, email: str | None, slack_user_id: str | None) -> Person:
        row = None
        if email:
            email = email.lower()
            row = self.session.scalar(
                select(PersonRow).where(PersonRow.plan_id == plan_id, PersonRow.email == email)
            )
        if row is None and slack_user_id:
            row = self.session.scalar(
                select(PersonRow).where(
                    PersonRow.plan_id == plan_id, PersonRow.slack_user_id == slack_user_id
                )
            )
        if row is None:
            row = PersonRow(plan_id=plan_id, name=name, email=email, slack_user_id=slack_user_id)
            self.session.add(row)
        else:
            row.name = name or row.name
            row.email = row.email or email
            row.slack_user_id = slack_user_id or row.slack_user_id
        self.session.flush()
        return _person(row)

    def save_priorities(
        self, plan_id: int, specs: Sequence[PrioritySpec], person_ids: dict[str, int]
    ) -> None:
        rows = {
            row.number: row
            for row in self.session.scalars(select(PriorityRow).where(PriorityRow.plan_id == plan_id))
        }
        for spec in specs:
            row = rows.get(spec.number) or PriorityRow(plan_id=plan_id, number=spec.number)
            row.title = spec.title
            row.lead_id = person_ids[spec.lead] if spec.lead else None
            self.session.add(row)
        self.session.flush()

    def save_actions(
        self, plan_id: int, specs: Sequence[ActionSpec], person_ids: dict[str, int]
    ) -> dict[str, int]:
        rows = {
            row.ref: row
            for row in self.session.scalars(select(ActionRow).where(ActionRow.plan_id == plan_id))
        }
        for spec in specs:
            row = rows.get(spec.ref) or ActionRow(plan_id=plan_id, ref=spec.ref)
            row.description = spec.description
            row.priority = spec.priority
            row.recommendations = ",".join(spec.recommendations)
            rows[spec.ref] = row
            self.session.add(row)
        self.session.flush()
        self._save_delegates(
            {rows[spec.ref].id: {person_ids[key] for key in spec.delegates} for spec in specs}
        )
        return {ref: row.id for ref, row in rows.items()}

    def _save_delegates(self, wanted: dict[int, set[int]]) -> None:
        if not wanted:
            return
        self.session.execute(delete(DelegateRow).where(DelegateRow.action_id.in_(wanted.keys())))
        self.session.add_all(
            DelegateRow(action_id=action_id, person_id=person_id)
            for action_id, people in wanted.items()
            for person_id in people
        )
        self.session.flush()

    def add_events(self, plan_id: int, events: Sequence[Event]) -> None:
        self.session.add_all(
            EventRow(
                plan_id=plan_id,
                action_id=event.action_id,
                kind=event.kind.value,
                rag=event.rag.value if event.rag else None,
                due_date=event.due_date,
                owner_id=event.owner_id,
                note=event.note,
                actor_id=event.actor_id,
                source=event.source.value,
                effective_at=event.effective_at,
                recorded_at=event.recorded_at,
            )
            for event in events
        )
        self.session.flush()

    def add_snooze(
        self, plan_id: int, action_id: int, person_id: int | None, until: dt.date, now: dt.datetime
    ) -> None:
        self.session.add(
            SnoozeRow(plan_id=plan_id, action_id=action_id, person_id=person_id, until=until, created_at=now)
        )
        self.session.flush()

    def snoozed(self, plan_id: int, day: dt.date) -> set[int]:
        """Actions whose reminders are snoozed on ``day`` (a snooze lasts until, not including, its date)."""
        return set(
            self.session.scalars(
                select(SnoozeRow.action_id).where(SnoozeRow.plan_id == plan_id, SnoozeRow.until > day)
            )
        )

    def commit(self) -> None:
        self.session.commit()


def _person(row: PersonRow) -> Person:
    return Person(id=row.id, name=row.name, email=row.email, slack_user_id=row.slack_user_id)


def _event(row: Row[Any]) -> Event:
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


StoreFactory = Callable[[], AbstractContextManager[SqlPlanStore]]


def store_factory(engine: Engine) -> StoreFactory:
    """``with open_store() as store:``; anything not committed is rolled back on the way out."""
    sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def open_store() -> Iterator[SqlPlanStore]:
        with sessions() as session:
            try:
                yield SqlPlanStore(session)
            finally:
                session.rollback()

    return open_store
