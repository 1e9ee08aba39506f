"""What the weekly digest and the monthly exemption report say, as plain data.

The Slack messages are built from these in ``schedules.messages``; the committee report counts
through the same ``plan.figures`` functions, so the numbers agree everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from plan.clock import london_date
from plan.figures import (
    PlanFigures,
    PriorityFigures,
    most_red,
    plan_figures,
    priorities_without_red,
    priority_figures,
)
from plan.model import ActionState, Person, PlanView, Rag
from plan.rules import days_overdue, is_overdue, sort_by_ref


@dataclass(frozen=True)
class Digest:
    on: dt.date
    figures: PlanFigures
    went_red: list[ActionState]
    left_red: list[ActionState]
    priorities: list[PriorityFigures]
    without_red: list[PriorityFigures]
    most_red: list[PriorityFigures]
    due_soon: list[ActionState]
    overdue: list[ActionState]
    unreachable: list[Person]


def build_digest(
    now: PlanView, week_ago: PlanView, today: dt.date, unreachable: Collection[int] = (), horizon: int = 14
) -> Digest:
    """``week_ago`` is the plan as it stood seven days earlier, for "what moved"."""
    was_red = {ref for ref, action in week_ago.actions.items() if action.rag is Rag.RED}
    is_red = {ref for ref, action in now.actions.items() if action.rag is Rag.RED}
    rows = priority_figures(now.actions, {n: p.title for n, p in now.priorities.items()}, today)
    soon_end = today + dt.timedelta(days=horizon)
    return Digest(
        on=today,
        figures=plan_figures(now.actions, today),
        went_red=sort_by_ref(now.actions[ref] for ref in is_red - was_red),
        left_red=sort_by_ref(now.actions[ref] for ref in was_red - is_red if ref in now.actions),
        priorities=rows,
        without_red=priorities_without_red(rows),
        most_red=most_red(rows),
        due_soon=sort_by_ref(
            a
            for a in now.actions.values()
            if a.due_date and today <= a.due_date <= soon_end and a.rag is not Rag.COMPLETE
        ),
        overdue=sort_by_ref(a for a in now.actions.values() if is_overdue(a, today)),
        unreachable=sorted((now.people[i] for i in unreachable if i in now.people), key=lambda p: p.name),
    )


@dataclass(frozen=True)
class ExemptionLine:
    action: ActionState
    days_overdue: int
    days_red: int


def exemption_lines(view: PlanView, today: dt.date) -> list[ExemptionLine]:
    """Every Red action, with how late it is and how long it has been Red."""
    return [
        ExemptionLine(
            action,
            days_overdue(action, today),
            (today - london_date(action.rag_since)).days if action.rag_since else 0,
        )
        for action in sort_by_ref(view.actions.values())
        if action.rag is Rag.RED
    ]
