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
    Due,
    PlanFigures,
    PriorityFigures,
    Tally,
    figures_from_tally,
    most_red,
    priorities_without_red,
    priority_rows,
)
from plan.model import ActionState, Person, PlanView, Rag, Shortlist
from plan.rules import sort_by_ref, working_days_overdue, worst_first

DUE_SOON_DAYS = 14  # the digest's "due in the next 14 days"


@dataclass(frozen=True)
class Digest:
    """What a Director must act on first (the RAG figures, what moved, the Reds), then the lists.

    ``overdue`` holds the actions past their date and not rated Green, worst first; those still
    rated Green are only counted (``past_due_green``): they need confirming complete or
    re-rating, not chasing."""

    on: dt.date
    figures: PlanFigures
    past_due_green: int
    went_red: list[ActionState]
    left_red: list[ActionState]
    moved: PlanView  # the people and priorities the two lists above name
    longest_red: Shortlist
    priorities: list[PriorityFigures]
    without_red: list[PriorityFigures]
    most_red: list[PriorityFigures]
    due_soon: Shortlist
    overdue: Shortlist
    unreachable: list[Person]

    @property
    def overdue_not_green(self) -> int:
        return self.figures.overdue - self.past_due_green


def build_digest(
    today: dt.date,
    tally: Tally,
    by_priority: Mapping[int, Tally],
    moved: PlanView,
    was_red: Collection[str],
    longest_red: Shortlist,
    due_soon: Shortlist,
    overdue: Shortlist,
    unreachable: Iterable[Person] = (),
) -> Digest:
    """``moved`` holds the actions that went Red or stopped being Red in the week, as they stand;
    ``was_red`` the refs of those that were Red a week ago."""
    went = worst_first(a for a in moved.actions.values() if a.rag is Rag.RED)
    left = sort_by_ref(a for ref, a in moved.actions.items() if ref in was_red and a.rag is not Rag.RED)
    titles = {number: p.title for number, p in moved.priorities.items()}
    rows = priority_rows(by_priority, titles, today)
    return Digest(
        on=today,
        figures=figures_from_tally(tally, today),
        past_due_green=tally.get((Rag.GREEN, Due.PAST), 0),
        went_red=went,
        left_red=left,
        moved=moved,
        longest_red=longest_red,
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
    working_days_overdue: int
    days_red: int

    @property
    def red_since(self) -> dt.date | None:
        return london_date(self.action.rag_since) if self.action.rag_since else None


def exemption_line(action: ActionState, today: dt.date) -> ExemptionLine:
    """A Red action, with how late it is and how long it has been Red."""
    days_red = (today - london_date(action.rag_since)).days if action.rag_since else 0
    return ExemptionLine(action, working_days_overdue(action, today), days_red)


def exemption_lines(view: PlanView, today: dt.date) -> list[ExemptionLine]:
    """Every Red action of ``view``, in plan order."""
    return [exemption_line(a, today) for a in sort_by_ref(view.actions.values()) if a.rag is Rag.RED]
