"""The SQL side of :class:`plan.ports.PlanStore`: one session, one transaction, plain objects out.

Every read is a fixed handful of indexed queries over ``action_states`` (see ``storage.states``),
sized to its question: one action reads one action. Only the audit and the checks against the
truth read the history itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, delete, func, insert, or_, select, union_all
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler

from plan.clock import utc_now
from plan.figures import Due, PlanCounts, Tally, due_on
from plan.history import PlanHistory
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
from plan.ports import Which
from plan.reminders import Attention, OwnerShortlist, Why
from plan.rules import SEVERITY
from plan.workspaces import WorkspaceSettings
from storage import states, workspaces
from storage.deliveries import SqlDeliveries
from storage.states import (
    ACTIONS,
    CHUNK,
    COUNTS,
    EVENTS,
    FOLD_COLUMNS,
    STATES,
    chunks,
    current_state,
    event_from_row,
)
from storage.tables import (
    BY_DAY,
    BY_MONTH,
    UNDATED,
    UNRATED,
    ActionRow,
    DelegateRow,
    PersonRow,
    PlanRow,
    PriorityRow,
    SnoozeRow,
)

log = logging.getLogger(__name__)


class SqlPlanStore:
    def __init__(self, session: Session, chunk: int = CHUNK) -> None:
        """``chunk`` bounds the rows or ids in one statement, so every write stays well under
        SQLite's (32,766, or 999 on old builds) and PostgreSQL's (65,535) bound parameters
        however large the plan; tests make it small to cross several chunks cheaply."""
        self.session = session
        self.chunk = chunk
        self.deliveries = SqlDeliveries(session)

    # --- reading ------------------------------------------------------------------------

    def find_plan_id(self, team_id: str) -> int | None:
        return self.session.scalar(select(PlanRow.id).where(PlanRow.team_id == team_id))

    def find_or_create_plan(self, team_id: str) -> int:
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

    def plan_teams(self) -> list[str]:
        return workspaces.plan_teams(self.session)

    def workspace_settings(self, team_id: str) -> WorkspaceSettings:
        return workspaces.read(self.session, team_id)

    def change_workspace_settings(
        self, team_id: str, change: Callable[[WorkspaceSettings], WorkspaceSettings], now: dt.datetime
    ) -> WorkspaceSettings:
        return workspaces.change(self.session, team_id, change, now)

    def load(self, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        return self._view(plan_id, valid_at(plan_id, as_at))

    def select(self, plan_id: int, which: Which) -> PlanView:
        return self._view(plan_id, _picks(plan_id, which), whole=False)

    def shortlist(self, plan_id: int, which: Which, limit: int) -> Shortlist:
        """Two statements for the list (its first rows by the index of ``which``'s filters, and
        its count) and two for the people it names, whatever the plan's size."""
        picks = _picks(plan_id, which)
        counted = select(func.count()).select_from(STATES)
        if which.refs is not None or which.priority is not None:  # its conditions name the actions
            counted = counted.join(ACTIONS, ACTIONS.c.id == STATES.c.action_id)
        total = sum(self.session.scalar(counted.where(*conditions)) or 0 for conditions in picks)
        return Shortlist(self._view(plan_id, picks, whole=False, limit=limit), total)

    def needing_attention(
        self, plan_id: int, attention: Attention, shown: int, listed: int
    ) -> list[OwnerShortlist]:
        """Ranked per owner in SQL (a window over the plan's open actions), so only the rows a
        message shows come back: one statement, and one more for the delegates of those shown."""
        due, rag = STATES.c.due_date, STATES.c.rag
        reason = case(
            (due.in_(sorted(attention.due_soon)), Why.DUE_SOON.value),
            (due < attention.day, Why.OVERDUE.value),
            (and_(rag.is_not(None), STATES.c.rag_confirmed_on.in_(sorted(attention.stale_on))),
             Why.STALE.value),
        )  # fmt: skip
        snoozed = select(SnoozeRow.action_id).where(
            SnoozeRow.plan_id == plan_id, SnoozeRow.until > attention.day
        )
        ranked = (
            select(
                STATES.c.action_id,
                func.row_number()
                .over(partition_by=STATES.c.owner_id, order_by=(reason, due, STATES.c.action_id))
                .label("rank"),
                func.count().over(partition_by=STATES.c.owner_id).label("total"),
            )
            .where(
                *_open_states(plan_id),
                STATES.c.owner_id.is_not(None),
                due.is_not(None),
                reason.is_not(None),
                STATES.c.action_id.not_in(snoozed),
            )
            .subquery()
        )
        # Rows past ``shown`` give only their ref: the rest of their columns are not even read.
        in_full = ranked.c.rank <= shown
        columns = [
            column if column.name in RANKED_COLUMNS else case((in_full, column)).label(column.name)
            for column in READ_COLUMNS
        ]
        rows = self.session.execute(
            select(*columns, ranked.c.rank, ranked.c.total)
            .join(STATES, STATES.c.action_id == ACTIONS.c.id)
            .join(ranked, ranked.c.action_id == ACTIONS.c.id)
            .where(current_state(), ranked.c.rank <= shown + listed)
            .order_by(STATES.c.owner_id, ranked.c.rank)
        ).all()
        delegates = self._delegates([row[0] for row in rows if row.rank <= shown])
        lists: dict[int, OwnerShortlist] = {}
        for row in rows:
            owner = row.owner_id
            found = lists.setdefault(owner, OwnerShortlist(owner, [], [], row.total))
            if row.rank <= shown:
                found.shown.append(_action(row[: len(READ_COLUMNS)], delegates.get(row[0])))
            else:
                found.more_refs.append(row.ref)
        return list(lists.values())

    def history_starts(self, plan_id: int) -> dt.datetime | None:
        earliest = select(func.min(EVENTS.c.effective_at)).where(EVENTS.c.plan_id == plan_id)
        started: dt.datetime | None = self.session.scalar(earliest)
        return started

    def earliest_confirmation(self, plan_id: int) -> dt.date | None:
        """Over every current state, so that an index answers (``stale_days`` back to an earlier
        day than needed names days that match nothing)."""
        earliest: dt.date | None = self.session.scalar(
            select(func.min(STATES.c.rag_confirmed_on)).where(STATES.c.plan_id == plan_id, current_state())
        )
        return earliest

    def owners_not_in_slack(self, plan_id: int) -> list[Person]:
        owners = select(STATES.c.owner_id).where(*_open_states(plan_id)).distinct()
        query = select(PersonRow).where(PersonRow.id.in_(owners), PersonRow.slack_user_id.is_(None))
        return [_person(row) for row in self.session.scalars(query)]

    def people(self, plan_id: int, ids: Iterable[int]) -> dict[int, Person]:
        return self._people(plan_id, set(ids))

    def tally(
        self, plan_id: int, on: dt.date, priority: int | None = None, as_at: dt.datetime | None = None
    ) -> Tally:
        """For the whole plan as it stands, summed from the kept counts (a few dozen rows); for a
        priority or a past instant, counted in SQL over the states' (rag, due date) index."""
        if priority is None and as_at is None:
            return self._counted(plan_id, on)
        due = STATES.c.due_date
        timings = {
            Due.UNDATED: due.is_(None),
            Due.PAST: due < on,
            Due.TODAY: due == on,
            Due.LATER: due > on,
        }
        counts: Counter[tuple[Rag | None, Due]] = Counter()
        for conditions in valid_at(plan_id, as_at):
            query = (
                select(STATES.c.rag, *(func.sum(case((test, 1), else_=0)) for test in timings.values()))
                .where(*conditions)
                .group_by(STATES.c.rag)
            )
            if priority is not None:
                query = query.join(ACTIONS, ACTIONS.c.id == STATES.c.action_id).where(
                    ACTIONS.c.priority == priority
                )
            for rag, *sums in self.session.execute(query):
                for timing, n in zip(timings, sums, strict=True):
                    counts[Rag(rag) if rag else None, timing] += n or 0
        return counts

    def _counted(self, plan_id: int, on: dt.date) -> Tally:
        """The kept counts: every month but ``on``'s as a whole, and that month day by day."""
        month = on.replace(day=1)
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        in_plan = [COUNTS.c.plan_id == plan_id]
        other_months = [*in_plan, COUNTS.c.span == BY_MONTH, COUNTS.c.due_date != month]
        this_month = [
            *in_plan,
            COUNTS.c.span == BY_DAY,
            COUNTS.c.due_date >= month,
            COUNTS.c.due_date < next_month,
        ]
        picked = union_all(
            *(
                select(COUNTS.c.rag, COUNTS.c.due_date, COUNTS.c.actions).where(*where)
                for where in (other_months, this_month)
            )
        )
        counts: Counter[tuple[Rag | None, Due]] = Counter()
        for rag, due_date, n in self.session.execute(picked):
            counts[
                Rag(rag) if rag != UNRATED else None,
                Due.UNDATED if due_date == UNDATED else due_on(due_date, on),
            ] += n
        return counts

    def counts(self, plan_id: int, on: dt.date, as_at: dt.datetime | None = None) -> PlanCounts:
        """Counted in SQL by priority, RAG and due date: one row per combination, not per action."""
        by_priority: dict[int, Counter[tuple[Rag | None, Due]]] = defaultdict(Counter)
        rescheduled, first_due = 0, None
        moved = func.sum(case((STATES.c.times_rescheduled > 0, 1), else_=0))
        for conditions in valid_at(plan_id, as_at):
            query = (
                select(ACTIONS.c.priority, STATES.c.rag, STATES.c.due_date, func.count(), moved)
                .join(ACTIONS, ACTIONS.c.id == STATES.c.action_id)
                .where(*conditions)
                .group_by(ACTIONS.c.priority, STATES.c.rag, STATES.c.due_date)
            )
            for priority, rag, due_date, n, times in self.session.execute(query):
                by_priority[priority][Rag(rag) if rag else None, due_on(due_date, on)] += n
                rescheduled += times or 0
                if due_date and (first_due is None or due_date < first_due):
                    first_due = due_date
        return PlanCounts(dict(by_priority), rescheduled, first_due)

    def priorities(self, plan_id: int) -> dict[int, Priority]:
        return {
            row.number: Priority(row.number, row.title, row.lead_id)
            for row in self.session.scalars(select(PriorityRow).where(PriorityRow.plan_id == plan_id))
        }

    def refs(self, plan_id: int) -> list[str]:
        return list(self.session.scalars(select(ActionRow.ref).where(ActionRow.plan_id == plan_id)))

    def rag_moves(self, plan_id: int, rag: Rag, since: dt.datetime) -> tuple[PlanView, frozenset[str]]:
        """Compares each action changed since ``since`` (its current version began later) with
        its version then, in SQL: only the actions that moved are read."""
        then = STATES.alias("then")
        has_now = func.coalesce(STATES.c.rag, UNRATED) == rag.value
        had_then = func.coalesce(then.c.rag, UNRATED) == rag.value  # no version then: not created
        covering = and_(
            then.c.action_id == STATES.c.action_id, then.c.valid_from <= since, then.c.valid_until > since
        )
        moved = self.session.execute(
            select(STATES.c.action_id, had_then)
            .select_from(STATES.outerjoin(then, covering))
            .where(
                STATES.c.plan_id == plan_id, current_state(), STATES.c.valid_from > since, has_now != had_then
            )
        ).all()
        ids = [action_id for action_id, _ in moved]
        view = (
            self._view(
                plan_id,
                [[current_state(), STATES.c.action_id.in_(chunk)] for chunk in chunks(ids)],
                whole=False,
            )
            if ids
            else PlanView(plan_id, self.priorities(plan_id), {}, {})
        )
        by_id = {action.record.id: ref for ref, action in view.actions.items()}
        return view, frozenset(by_id[action_id] for action_id, was in moved if was)

    def _view(self, plan_id: int, picks: Picks, whole: bool = True, limit: int | None = None) -> PlanView:
        """Actions with the states that any of ``picks`` picks (the worst ``limit`` of them, if
        given), and the people they name (all of them when ``whole``): four statements, whatever
        the plan's size."""
        selects = [
            select(*READ_COLUMNS).join(STATES, STATES.c.action_id == ACTIONS.c.id).where(*conditions)
            for conditions in picks
        ]
        picked = selects[0] if len(selects) == 1 else union_all(*selects)
        if limit is not None:
            found = picked.subquery()
            severity = case(SQL_SEVERITY, value=found.c.rag, else_=SEVERITY[None])
            order = (severity, found.c.due_date.is_(None), found.c.due_date, found.c.id)
            picked = select(*found.c).order_by(*order).limit(limit)
        rows = self.session.execute(picked).all()
        delegates: dict[int, set[int]] = defaultdict(set)
        if rows:
            query = select(DelegateRow.action_id, DelegateRow.person_id)
            if whole:
                query = query.join(ActionRow, ActionRow.id == DelegateRow.action_id).where(
                    ActionRow.plan_id == plan_id
                )
            elif len(rows) <= CHUNK:
                query = query.where(DelegateRow.action_id.in_([row[0] for row in rows]))
            else:
                query = query.where(DelegateRow.action_id.in_(select(picked.subquery().c.id)))
            for action_id, person_id in self.session.execute(query):
                delegates[action_id].add(person_id)
        priorities = self.priorities(plan_id)
        actions = {row[1]: _action(row, delegates.get(row[0])) for row in rows}
        named = None if whole else _named(actions.values(), priorities.values())
        return PlanView(plan_id, priorities, self._people(plan_id, named), actions)

    def _delegates(self, action_ids: Sequence[int]) -> dict[int, set[int]]:
        delegates: dict[int, set[int]] = defaultdict(set)
        for chunk in chunks(action_ids):
            for action_id, person_id in self.session.execute(
                select(DelegateRow.action_id, DelegateRow.person_id).where(DelegateRow.action_id.in_(chunk))
            ):
                delegates[action_id].add(person_id)
        return delegates

    def _people(self, plan_id: int, ids: set[int] | None) -> dict[int, Person]:
        """The plan's people, or only those with ``ids``."""
        query = select(PersonRow).where(PersonRow.plan_id == plan_id)
        if ids is None:
            return {row.id: _person(row) for row in self.session.scalars(query)}
        people: dict[int, Person] = {}
        for chunk in chunks(sorted(ids)):
            people.update(
                {row.id: _person(row) for row in self.session.scalars(query.where(PersonRow.id.in_(chunk)))}
            )
        return people

    def history(self, plan_id: int, until: dt.datetime | None = None) -> PlanHistory:
        """The plan's records and every event up to ``until``: five statements, whatever the size."""
        people = self._people(plan_id, None)
        priorities = self.priorities(plan_id)
        delegates: dict[int, set[int]] = defaultdict(set)
        for action_id, person_id in self.session.execute(
            select(DelegateRow.action_id, DelegateRow.person_id)
            .join(ActionRow, ActionRow.id == DelegateRow.action_id)
            .where(ActionRow.plan_id == plan_id)
        ):
            delegates[action_id].add(person_id)
        records = tuple(
            ActionRecord(
                id=row.id,
                ref=row.ref,
                description=row.description,
                priority=row.priority,
                recommendations=tuple(r for r in row.recommendations.split(",") if r),
                delegate_ids=frozenset(delegates[row.id]),
            )
            for row in self.session.execute(select(ACTIONS).where(ACTIONS.c.plan_id == plan_id))
        )
        return PlanHistory(plan_id, priorities, people, records, self.events(plan_id, until))

    def events(self, plan_id: int, as_at: dt.datetime | None) -> dict[int, list[Event]]:
        """Every event of the plan in one query, as plain rows (ORM objects cost ~10x more)."""
        query = select(EVENTS).where(EVENTS.c.plan_id == plan_id)
        if as_at is not None:
            query = query.where(EVENTS.c.effective_at <= as_at)
        query = query.order_by(EVENTS.c.effective_at, EVENTS.c.recorded_at, EVENTS.c.id)
        by_action: dict[int, list[Event]] = defaultdict(list)
        for row in self.session.execute(query):
            by_action[row.action_id].append(event_from_row(row))
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
                name=name_from_key(key),
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
        self.session.flush()
        for ids in chunks(sorted(wanted), self.chunk):
            self.session.execute(delete(DelegateRow).where(DelegateRow.action_id.in_(ids)))
        rows = [
            {"action_id": action_id, "person_id": person_id}
            for action_id, people in wanted.items()
            for person_id in sorted(people)
        ]
        for batch in chunks(rows, self.chunk):
            self.session.execute(insert(DelegateRow), batch)

    def add_events(self, plan_id: int, events: Sequence[Event]) -> None:
        if not events:
            return
        self.session.flush()  # the actions the events are about, if added in this transaction
        rows = [
            {
                "plan_id": plan_id,
                "action_id": event.action_id,
                "kind": event.kind.value,
                "rag": event.rag.value if event.rag else None,
                "due_date": event.due_date,
                "owner_id": event.owner_id,
                "note": event.note,
                "actor_id": event.actor_id,
                "source": event.source.value,
                "effective_at": event.effective_at,
                "recorded_at": event.recorded_at,
            }
            for event in events
        ]
        ids = [
            event_id
            for batch in chunks(rows, self.chunk)
            for event_id in self.session.scalars(
                insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True), batch
            )
        ]
        states.advance(self.session, plan_id, [replace(e, id=i) for e, i in zip(events, ids, strict=True)])

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


NO_ONE: frozenset[int] = frozenset()
RAG_BY_VALUE = {rag.value: rag for rag in Rag}  # a dict look-up: Rag(value) costs ~20 times more
SQL_SEVERITY = {rag.value: rank for rag, rank in SEVERITY.items() if rag is not None}


READ_COLUMNS = [ACTIONS.c[name] for name in ("id", "ref", "description", "priority", "recommendations")] + [
    STATES.c[name] for name in FOLD_COLUMNS
]


def _action(row: Sequence[Any], delegates: set[int] | None) -> ActionState:
    """An action and its kept state, from one row of ``READ_COLUMNS`` (this runs once per action
    read, so the row is unpacked as a tuple rather than read by name)."""
    (id_, ref, description, priority, recommendations, owner_id, due_date, original_due_date, rag_value,
     rag_note, rag_since, rag_confirmed_at, last_update_at, last_note, times_rescheduled) = row  # fmt: skip
    rag = RAG_BY_VALUE.get(rag_value)
    return ActionState(
        record=ActionRecord(
            id=id_,
            ref=ref,
            description=description,
            priority=priority,
            recommendations=tuple(r for r in recommendations.split(",") if r) if recommendations else (),
            delegate_ids=frozenset(delegates) if delegates else NO_ONE,
        ),
        owner_id=owner_id,
        due_date=due_date,
        original_due_date=original_due_date,
        rag=rag,
        rag_note=rag_note,
        rag_since=rag_since,
        rag_confirmed_at=rag_confirmed_at,
        last_update_at=last_update_at,
        last_note=last_note,
        completed_at=rag_since if rag is Rag.COMPLETE else None,
        times_rescheduled=times_rescheduled,
    )


RANKED_COLUMNS = {"id", "ref", "priority", "owner_id", "due_date", "rag", "times_rescheduled"}

Picks = Sequence[Sequence[ColumnElement[bool]]]
"""Sets of conditions on actions and their states; a view holds the rows any set picks."""


def valid_at(plan_id: int, instant: dt.datetime | None) -> Picks:
    """Each action's version at ``instant`` (None: as it stands): the current one if it had
    started by then, else the one that ended after it. Two picks, so that each uses an index."""
    plan = STATES.c.plan_id == plan_id
    if instant is None:
        return [[plan, current_state()]]
    return [
        [plan, current_state(), unindexed(STATES.c.valid_from) <= instant],
        [plan, STATES.c.valid_until > instant, STATES.c.valid_from <= instant],
    ]


class unindexed(ColumnElement[Any]):
    """A column SQLite must not choose an index for: without statistics it would walk every
    version of the plan by (plan, valid from) to find the current ones, where the index of
    current versions finds them directly. Written ``+column`` there (SQLite's documented way);
    other databases plan with statistics and get the column as it is."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"+{column}" if compiler.dialect.name == "sqlite" else column


def _is_open() -> ColumnElement[bool]:
    return or_(STATES.c.rag.is_(None), STATES.c.rag != Rag.COMPLETE.value)


def _open_states(plan_id: int) -> list[ColumnElement[bool]]:
    return [STATES.c.plan_id == plan_id, current_state(), _is_open()]


def _picks(plan_id: int, which: Which) -> Picks:
    """The current states ``which`` asks for. Owned and delegated actions are two picks, so
    that each is an indexed lookup rather than one scan of the plan."""
    due = STATES.c.due_date
    found: list[ColumnElement[bool]] = [current_state()]
    if which.overdue_on is not None:
        found += [due < which.overdue_on, _is_open()]
    if which.open_only:
        found.append(_is_open())
    if which.rag is not None:
        found.append(STATES.c.rag == which.rag.value)
    if which.not_rag is not None:
        found.append(or_(STATES.c.rag.is_(None), STATES.c.rag != which.not_rag.value))
    if which.due_on is not None:
        found.append(due.in_(sorted(which.due_on)))
    if which.due_between is not None:
        found.append(due.between(*which.due_between))
    if which.refs is not None or which.priority is not None:
        # Found through the actions' own (plan, ref) and (plan, priority) indexes.
        found.append(ACTIONS.c.plan_id == plan_id)
        if which.refs is not None:
            found.append(ACTIONS.c.ref.in_(sorted(which.refs)))
        if which.priority is not None:
            found.append(ACTIONS.c.priority == which.priority)
        in_plan: list[ColumnElement[bool]] = []
    else:
        # Only the states are filtered by plan, so the query planner starts from their indexes.
        in_plan = [STATES.c.plan_id == plan_id]
    if which.person_id is None:
        return [[*found, *in_plan]]
    # A person belongs to one plan, so the actions delegated to them need no plan filter: with
    # none, the planner looks them up from the delegates' index instead of scanning the plan.
    delegated = select(DelegateRow.action_id).where(DelegateRow.person_id == which.person_id)
    return [
        [*found, *in_plan, STATES.c.owner_id == which.person_id],
        [*found, STATES.c.action_id.in_(delegated)],
    ]


def _named(actions: Iterable[ActionState], priorities: Iterable[Priority]) -> set[int]:
    """The people a view's actions and priorities name: owners, delegates and leads."""
    named = {lead for lead in (p.lead_id for p in priorities) if lead is not None}
    for action in actions:
        named |= action.record.delegate_ids
        if action.owner_id is not None:
            named.add(action.owner_id)
    return named


SqlStoreFactory = Callable[[], AbstractContextManager[SqlPlanStore]]
"""A ``plan.ports.StoreFactory`` whose stores are known to be SQL (the wiring's and the tests')."""


def store_factory(engine: Engine, chunk: int = CHUNK) -> SqlStoreFactory:
    """``with open_store() as store:``; anything not committed is rolled back on the way out."""
    sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def open_store() -> Iterator[SqlPlanStore]:
        with sessions() as session:
            try:
                yield SqlPlanStore(session, chunk)
            finally:
                try:
                    session.rollback()
                except SQLAlchemyError:  # the connection is gone: the server rolled back already
                    log.debug("rolling back on a lost connection", exc_info=True)

    return open_store
