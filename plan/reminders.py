"""Who needs telling what on a working day: reminders before due, overdue nudges, stale RAG,
and escalations. Pure: the same plan and day always give the same notices, which is what lets
the scheduler treat sends as data and never repeat one.

Each rule is also stated as dates (``Attention``, ``escalation_dates``), so that storage can find
the actions it picks through an index instead of reading the plan; ``shortlists`` says, over
plain actions, exactly what storage's query must return, and the tests hold the two together.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from plan.calendar import ONE_DAY, WorkingCalendar
from plan.clock import london_date
from plan.model import ActionState, PlanView, Rag
from plan.rules import sort_by_ref


@dataclass(frozen=True)
class ReminderRules:
    remind_before: tuple[int, ...] = (14, 7, 1)  # working days before due
    escalate_to_lead_after: int = 7  # working days overdue
    escalate_to_management_after: int = 14
    stale_after_days: int = 28  # calendar days since the RAG was last set or confirmed
    stale_repeat_days: int = 7  # flag again weekly until confirmed


class Why(IntEnum):
    """Why an owner hears about an action today, most pressing first; each action has one reason."""

    DUE_SOON = 0
    OVERDUE = 1
    STALE = 2


@dataclass(frozen=True)
class Attention:
    """The owners' reminder rules for one day, as dates."""

    day: dt.date
    due_soon: Mapping[dt.date, int]  # due dates reminded of today, and the working days left
    stale_on: frozenset[dt.date]  # London days of a last confirmation that is flagged today


def attention_on(
    day: dt.date, calendar: WorkingCalendar, rules: ReminderRules, earliest: dt.date | None
) -> Attention:
    """``earliest``: the oldest last confirmation in the plan, or any day before it (None: no
    rated action)."""
    return Attention(day, due_dates_reminded(day, calendar, rules), stale_days(day, rules, earliest))


def due_dates_reminded(day: dt.date, calendar: WorkingCalendar, rules: ReminderRules) -> dict[dt.date, int]:
    """Due dates exactly ``remind_before`` working days after ``day`` (a weekend's due dates
    count as the Friday before, so one count may name several dates)."""
    furthest = max(rules.remind_before, default=0)
    dates: dict[dt.date, int] = {}
    due = day + ONE_DAY
    while (left := calendar.working_days_between(day, due)) <= furthest:
        if left in rules.remind_before:
            dates[due] = left
        due += ONE_DAY
    return dates


def stale_days(day: dt.date, rules: ReminderRules, earliest: dt.date | None) -> frozenset[dt.date]:
    """The days a RAG was last confirmed on that make it newly stale on ``day``: ``stale_after``
    days ago, and every ``stale_repeat`` days before that back to ``earliest``."""
    days: set[dt.date] = set()
    confirmed = day - dt.timedelta(days=rules.stale_after_days)
    while earliest is not None and confirmed >= earliest:
        days.add(confirmed)
        confirmed -= dt.timedelta(days=rules.stale_repeat_days)
    return frozenset(days)


def why(action: ActionState, attention: Attention) -> Why | None:
    """Why the owner hears about ``action`` on the day, or None."""
    if action.rag is Rag.COMPLETE or action.due_date is None or action.owner_id is None:
        return None
    if action.due_date in attention.due_soon:
        return Why.DUE_SOON
    if action.due_date < attention.day:
        return Why.OVERDUE
    if (
        action.rag is not None
        and action.rag_confirmed_at is not None
        and london_date(action.rag_confirmed_at) in attention.stale_on
    ):
        return Why.STALE
    return None


@dataclass(frozen=True)
class OwnerShortlist:
    """One owner's actions to hear about, most pressing first: the first few in full, the refs
    of some more, and how many there are in all."""

    owner_id: int
    shown: list[ActionState]
    more_refs: list[str]
    total: int


def shortlists(
    actions: Iterable[ActionState], attention: Attention, snoozed: Collection[int], shown: int, listed: int
) -> list[OwnerShortlist]:
    """What storage's ``needing_attention`` returns, over plain actions: every owner with something
    to hear, in owner order; within each, by reason, then due date, then action."""
    ranked: dict[int, list[tuple[Why, dt.date, int, ActionState]]] = defaultdict(list)
    for action in actions:
        reason = why(action, attention)
        if reason is not None and action.record.id not in snoozed and action.owner_id is not None:
            due = action.due_date or dt.date.max  # why() gives a reason only to dated actions
            ranked[action.owner_id].append((reason, due, action.record.id, action))
    lists = []
    for owner in sorted(ranked):
        mine = [entry[-1] for entry in sorted(ranked[owner], key=lambda entry: entry[:3])]
        lists.append(
            OwnerShortlist(owner, mine[:shown], [a.ref for a in mine[shown : shown + listed]], len(mine))
        )
    return lists


@dataclass(frozen=True)
class Item:
    action: ActionState
    why: Why
    working_days: int  # left before due (due soon) or past due (overdue); 0 for stale


@dataclass(frozen=True)
class OwnerNotice:
    """One owner's single message for the day."""

    owner_id: int
    items: list[Item]
    more_refs: list[str]
    total: int


def owner_notice(shortlist: OwnerShortlist, attention: Attention, calendar: WorkingCalendar) -> OwnerNotice:
    items = []
    for action in shortlist.shown:
        reason = why(action, attention)
        if reason is None or action.due_date is None:
            continue  # storage and the rules disagree: say nothing rather than something wrong
        days = calendar.working_days_between(attention.day, action.due_date)
        items.append(Item(action, reason, 0 if reason is Why.STALE else abs(days)))
    return OwnerNotice(shortlist.owner_id, items, shortlist.more_refs, shortlist.total)


def escalation_dates(day: dt.date, calendar: WorkingCalendar, after: int) -> frozenset[dt.date]:
    """Due dates that are exactly ``after`` working days overdue on ``day``."""
    dates = set()
    due = day - ONE_DAY
    while (late := calendar.working_days_between(due, day)) <= after:
        if late == after:
            dates.add(due)
        due -= ONE_DAY
    return frozenset(dates)


def escalations(view: PlanView, day: dt.date, calendar: WorkingCalendar, after: int) -> list[Item]:
    """Actions that reach ``after`` working days overdue on ``day``: each is escalated once."""
    return [
        Item(action, Why.OVERDUE, after)
        for action in sort_by_ref(view.actions.values())
        if action.rag is not Rag.COMPLETE
        and action.due_date
        and action.due_date < day
        and calendar.working_days_between(action.due_date, day) == after
    ]


def by_lead(view: PlanView, items: Iterable[Item]) -> dict[int, list[Item]]:
    """Escalations grouped by the lead of each action's priority (actions with no lead drop out)."""
    grouped: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        priority = view.priorities.get(item.action.priority)
        if priority and priority.lead_id is not None:
            grouped[priority.lead_id].append(item)
    return dict(grouped)
