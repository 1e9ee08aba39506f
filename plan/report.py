"""The "as at" report a committee officer pastes into a committee paper, as data and as prose.

Counted as the README says ("As at" reports): "due" is due on or before the date; RAG shares are
of the due actions RAG rated at that date, by largest remainder so they add to 100. The same
``plan.figures`` serve the digest, so a digest and a report for the same day agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

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
from plan.parsing import uk_date
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


# --- prose --------------------------------------------------------------------------------


def paragraph(report: Report) -> str:
    """Section 3.2 of a committee report, as the council writes it."""
    figures, rag = report.figures, report.figures.rag
    red, amber, green = rag.shares
    sentences = [
        f"For the period covering {uk_date(report.period_start)} to {uk_date(report.as_at)} a total of "
        f"{_actions(figures.due)} were due to be completed which is {figures.due_share}% of all actions "
        "outlined in the plan.",
        f"As at {uk_date(report.as_at)} there are a total of {_actions(rag.red)} ({red}%) RAG rated 'Red', "
        f"{_actions(rag.amber)} ({amber}%) RAG rated 'Amber' and {_actions(rag.green)} ({green}%) RAG "
        "rated 'Green'.",
    ]
    if rag.red == 0:
        sentences.append("No actions are RAG rated 'Red'.")
    else:
        sentences += [_without_red(report), _most_red(report)]
    return " ".join(sentence for sentence in sentences if sentence)


def _actions(count: int) -> str:
    return f"{count} action{'s' if count != 1 else ''}"


def _priority(row: PriorityFigures) -> str:
    return f"priority {row.number}" + (f" - {row.title}" if row.title else "")


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _without_red(report: Report) -> str:
    count, total = len(report.without_red), len(report.priorities)
    if count == 0:
        return f"All {total} priorities have at least one RAG rated 'Red' action."
    number = WORDS[count] if count < 10 else str(count)
    verb = "has" if count == 1 else "have"
    noun = "priority" if count == 1 else "priorities"
    names = _join([_priority(row) for row in report.without_red])
    return f"{number} {noun} out of the {total} {verb} no RAG rated 'Red' actions ({names})."


def _most_red(report: Report) -> str:
    top = report.most_red
    reds = top[0].rag.red
    if len(top) == 1:
        return (
            f"The priority with the highest number of RAG rated 'Red' actions is {_priority(top[0])} "
            f"with {_actions(reds)}."
        )
    return (
        f"The priorities with the highest number of RAG rated 'Red' actions are "
        f"{_join([_priority(row) for row in top])} with {_actions(reds)} each."
    )


def movement_lines(movement: Movement) -> list[str]:
    """What moved since the earlier date, one line each, for the text format."""
    lines = [f"Since {uk_date(movement.since)}:"]
    for action, old, new in movement.changed_rag:
        lines.append(f"- {action.ref} RAG {_label(old)} -> {_label(new)}")
    lines += [
        f"- {action.ref} became overdue (due {uk_date(action.due_date)})"
        for action in movement.became_overdue
        if action.due_date
    ]
    for action in movement.rescheduled:
        lines.append(
            f"- {action.ref} rescheduled to {uk_date(action.due_date) if action.due_date else 'no date'}"
        )
    if len(lines) == 1:
        lines.append("- nothing changed")
    return lines


def _label(rag: Rag | None) -> str:
    return rag.label if rag else "not rated"


# --- data ---------------------------------------------------------------------------------


def as_json(report: Report) -> dict[str, Any]:
    figures, rag = report.figures, report.figures.rag
    shares = dict(zip(("red", "amber", "green"), rag.shares, strict=True))
    data: dict[str, Any] = {
        "as_at": report.as_at.isoformat(),
        "period_start": report.period_start.isoformat(),
        "total": figures.total,
        "due": figures.due,
        "due_pct": figures.due_share,
        "rag": {name: {"count": getattr(rag, name), "pct": shares[name]} for name in shares},
        "completed": report.completed,
        "overdue": figures.overdue,
        "rescheduled": report.rescheduled,
        "priorities": [
            {
                "number": r.number,
                "title": r.title,
                "total": r.total,
                "due": r.due,
                "red": r.rag.red,
                "amber": r.rag.amber,
                "green": r.rag.green,
            }
            for r in report.priorities
        ],
        "priorities_without_red": [row.number for row in report.without_red],
        "most_red": [{"number": r.number, "title": r.title, "red": r.rag.red} for r in report.most_red],
        "paragraph": paragraph(report),
    }
    if report.movement:
        movement = report.movement
        data["compare"] = {
            "since": movement.since.isoformat(),
            "changed_rag": [
                {"ref": a.ref, "from": old.value if old else None, "to": new.value if new else None}
                for a, old, new in movement.changed_rag
            ],
            "became_overdue": [a.ref for a in movement.became_overdue],
            "rescheduled": [a.ref for a in movement.rescheduled],
        }
    return data


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
