"""What the weekly digest and the monthly exemption report say, as plain data.

The Slack messages are built from these in ``schedules.messages``; the committee report counts
through the same ``plan.figures`` functions, so the numbers agree everywhere. A digest is built
from counts and short lists that storage makes without reading the whole plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from plan.clock import london_date
from plan.figures import (
    PlanFigures,
    PriorityFigures,
    Tally,
    figures_from_tally,
    most_red,
    priorities_without_red,
    priority_rows,
)
from plan.model import ActionState, Person, PlanView, Rag, Shortlist
from plan.rules import days_overdue, sort_by_ref

DUE_SOON_DAYS = 14  # the digest's "due in the next 14 days"


@dataclass(frozen=True)
class Digest:
    on: dt.date
    figures: PlanFigures
    went_red: list[ActionState]
    left_red: list[ActionState]
    priorities: list[PriorityFigures]
    without_red: list[PriorityFigures]
    most_red: list[PriorityFigures]
    due_soon: Shortlist
    overdue: Shortlist
    unreachable: list[Person]


def build_digest(
    today: dt.date,
    tally: Tally,
    by_priority: Mapping[int, Tally],
    moved: PlanView,
    was_red: Collection[str],
    due_soon: Shortlist,
    overdue: Shortlist,
    unreachable: Iterable[Person] = (),
) -> Digest:
    """``moved`` holds the actions that went Red or stopped being Red in the week, as they stand;
    ``was_red`` the refs of those that were Red a week ago."""
    went = sort_by_ref(a for a in moved.actions.values() if a.rag is Rag.RED)
    left = sort_by_ref(a for ref, a in moved.actions.items() if ref in was_red and a.rag is not Rag.RED)
    titles = {number: p.title for number, p in moved.priorities.items()}
    rows = priority_rows(by_priority, titles, today)
    return Digest(
        on=today,
        figures=figures_from_tally(tally, today),
        went_red=went,
        left_red=left,
        priorities=rows,
        without_red=priorities_without_red(rows),
        most_red=most_red(rows),
        due_soon=due_soon,
        overdue=overdue,
        unreachable=sorted(unreachable, key=lambda p: p.name),
    )


@dataclass(frozen=True)
class ExemptionLine:
    action: ActionState
    days_overdue: int
    days_red: int


def exemption_line(action: ActionState, today: dt.date) -> ExemptionLine:
    """A Red action, with how late it is and how long it has been Red."""
    days_red = (today - london_date(action.rag_since)).days if action.rag_since else 0
    return ExemptionLine(action, days_overdue(action, today), days_red)


def exemption_lines(view: PlanView, today: dt.date) -> list[ExemptionLine]:
    """Every Red action of ``view``, in plan order."""
    return [exemption_line(a, today) for a in sort_by_ref(view.actions.values()) if a.rag is Rag.RED]
