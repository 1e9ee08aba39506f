"""The "as at" report's figures: what a committee paper reports, as data (its words and file
formats are in ``reports/``).

Counted as the README says ("As at" reports): "due" is due on or before the date; RAG shares are
of the due actions RAG rated at that date, by largest remainder so they add to 100. The same
``plan.figures`` serve the digest, so a digest and a report for the same day agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from plan.digest import ExemptionLine, exemption_lines
from plan.figures import (
    PlanCounts,
    PlanFigures,
    PriorityFigures,
    count_plan,
    figures_from_tally,
    most_red,
    priorities_without_red,
    priority_rows,
)
from plan.model import ActionState, PlanView, Rag
from plan.rules import is_overdue, sort_by_ref

WORDS = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]


@dataclass(frozen=True)
class Movement:
    """What changed between an earlier date and the report's."""

    since: dt.date
    changed_rag: list[tuple[ActionState, Rag | None, Rag | None]]
    became_overdue: list[ActionState]
    rescheduled: list[ActionState]


@dataclass(frozen=True)
class Report:
    """``view`` and ``exemptions`` are there when the report was built from every action (the
    Word and Excel versions list them); the figures alone come from counts."""

    as_at: dt.date
    period_start: dt.date
    view: PlanView | None
    figures: PlanFigures
    priorities: list[PriorityFigures]
    without_red: list[PriorityFigures]
    most_red: list[PriorityFigures]
    completed: int
    rescheduled: int
    exemptions: list[ExemptionLine]
    movement: Movement | None = None


def build_report(
    view: PlanView,
    as_at: dt.date,
    period_start: dt.date | None = None,
    earlier: PlanView | None = None,
    earlier_date: dt.date | None = None,
) -> Report:
    """The report from ``view`` (the plan as at the end of ``as_at``), with every action."""
    counts = count_plan(view.actions.values(), as_at)
    return replace(
        report_from_counts(counts, {n: p.title for n, p in view.priorities.items()}, as_at, period_start),
        view=view,
        exemptions=exemption_lines(view, as_at),
        movement=_movement(earlier, view, earlier_date, as_at) if earlier and earlier_date else None,
    )


def report_from_counts(
    counts: PlanCounts, titles: Mapping[int, str], as_at: dt.date, period_start: dt.date | None = None
) -> Report:
    """The report's figures, from counts alone: enough for its paragraph and its data."""
    rows = priority_rows(counts.by_priority, titles, as_at)
    return Report(
        as_at=as_at,
        period_start=period_start or counts.first_due or as_at,
        view=None,
        figures=figures_from_tally(counts.tally, as_at),
        priorities=rows,
        without_red=priorities_without_red(rows),
        most_red=most_red(rows),
        completed=counts.completed,
        rescheduled=counts.rescheduled,
        exemptions=[],
    )


def _movement(before: PlanView, after: PlanView, since: dt.date, as_at: dt.date) -> Movement:
    changed, late, moved = [], [], []
    for action in sort_by_ref(after.actions.values()):
        old = before.actions.get(action.ref)
        old_rag = old.rag if old else None
        if old_rag is not action.rag:
            changed.append((action, old_rag, action.rag))
        if is_overdue(action, as_at) and not (old and is_overdue(old, since)):
            late.append(action)
        if old and old.due_date != action.due_date:
            moved.append(action)
    return Movement(since, changed, late, moved)


# --- the trend ----------------------------------------------------------------------------


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of every month from ``start``'s to ``end``'s, ending on ``end`` itself."""
    days: list[dt.date] = []
    day = start
    while True:
        next_month = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        last = next_month - dt.timedelta(days=1)
        if last >= end:
            return [*days, end]
        days.append(last)
        day = next_month
