"""Who needs telling what on a working day: reminders before due, overdue nudges, stale RAG,
and escalations. Pure: the same plan and day always give the same notices, which is what lets
the scheduler treat sends as data and never repeat one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from plan.calendar import WorkingCalendar
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


@dataclass(frozen=True)
class Item:
    action: ActionState
    working_days: int  # left before due (due soon) or past due (overdue)


@dataclass
class OwnerNotice:
    """One owner's single message for the day."""

    owner_id: int
    due_soon: list[Item] = field(default_factory=list)
    overdue: list[Item] = field(default_factory=list)
    stale: list[ActionState] = field(default_factory=list)

    @property
    def refs(self) -> list[str]:
        return [i.action.ref for i in self.due_soon + self.overdue] + [a.ref for a in self.stale]


def _open(view: PlanView) -> Iterable[ActionState]:
    return sort_by_ref(a for a in view.actions.values() if a.rag is not Rag.COMPLETE and a.due_date)


def owner_notices(
    view: PlanView,
    day: dt.date,
    calendar: WorkingCalendar,
    rules: ReminderRules,
    snoozed: Collection[int] = (),
) -> list[OwnerNotice]:
    """Every owner with something to hear about on ``day``, one notice each (snoozed actions out)."""
    notices: dict[int, OwnerNotice] = {}
    for action in _open(view):
        if action.owner_id is None or action.record.id in snoozed or action.due_date is None:
            continue
        notice = notices.get(action.owner_id) or OwnerNotice(action.owner_id)
        left = calendar.working_days_between(day, action.due_date)
        if left in rules.remind_before:
            notice.due_soon.append(Item(action, left))
        elif action.due_date < day:
            notice.overdue.append(Item(action, -left))
        if _is_newly_stale(action, day, rules):
            notice.stale.append(action)
        if notice.due_soon or notice.overdue or notice.stale:
            notices[action.owner_id] = notice
    return [notices[owner] for owner in sorted(notices)]


def _is_newly_stale(action: ActionState, day: dt.date, rules: ReminderRules) -> bool:
    if action.rag is None or action.rag_confirmed_at is None:
        return False
    age = (day - london_date(action.rag_confirmed_at)).days
    return age >= rules.stale_after_days and (age - rules.stale_after_days) % rules.stale_repeat_days == 0


def escalations(view: PlanView, day: dt.date, calendar: WorkingCalendar, after: int) -> list[Item]:
    """Actions that reach ``after`` working days overdue on ``day``: each is escalated once."""
    return [
        Item(action, after)
        for action in _open(view)
        if action.due_date
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
