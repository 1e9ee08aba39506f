"""Report maths: RAG counts, shares that add up to 100, due and overdue totals.

These are the figures a committee report prints (the README, "'As at' reports"),
so the digest, the reports and `/csip summary` all count through here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from plan.model import ActionState, Rag


def largest_remainder(counts: Sequence[int], total: int = 100) -> list[int]:
    """Whole-number shares of ``total`` that add up to it exactly (Hamilton's method).

    23, 142 and 133 of 298 print as 8%, 48%, 44%, as the committee report does; plain rounding
    would print 8%, 48%, 45% (101%). Ties in the remainder go to the earlier item.
    """
    whole = sum(counts)
    if whole == 0:
        return [0 for _ in counts]
    quotas = [count * total / whole for count in counts]
    shares = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def percent_of(part: int, whole: int) -> int:
    """A single share rounded half up, as "298 is 97% of 306" is printed."""
    return 0 if whole == 0 else int(part * 100 / whole + 0.5)


@dataclass(frozen=True)
class RagFigures:
    """Red, Amber and Green counts with shares that add to 100.

    Complete actions count as Green here: Green means "on track or done", and the
    committee's three shares cover every rated action. ``complete`` says how many of the Green
    are finished.
    """

    red: int
    amber: int
    green: int
    complete: int
    unrated: int

    @property
    def rated(self) -> int:
        return self.red + self.amber + self.green

    @property
    def shares(self) -> tuple[int, int, int]:
        red, amber, green = largest_remainder([self.red, self.amber, self.green])
        return red, amber, green


def rag_figures(actions: Iterable[ActionState]) -> RagFigures:
    counts = {rag: 0 for rag in Rag}
    unrated = 0
    for action in actions:
        if action.rag is None:
            unrated += 1
        else:
            counts[action.rag] += 1
    return RagFigures(
        red=counts[Rag.RED],
        amber=counts[Rag.AMBER],
        green=counts[Rag.GREEN] + counts[Rag.COMPLETE],
        complete=counts[Rag.COMPLETE],
        unrated=unrated,
    )


@dataclass(frozen=True)
class PlanFigures:
    """The headline figures for the whole plan, or one priority, on a day."""

    on: dt.date
    total: int
    due: int
    overdue: int
    rag: RagFigures

    @property
    def due_share(self) -> int:
        return percent_of(self.due, self.total)


class Due(StrEnum):
    """When an action is due, seen from one day: all the figures need to know of its date."""

    UNDATED = "undated"
    PAST = "past"
    TODAY = "today"
    LATER = "later"


def due_on(due_date: dt.date | None, on: dt.date) -> Due:
    if due_date is None:
        return Due.UNDATED
    if due_date < on:
        return Due.PAST
    return Due.TODAY if due_date == on else Due.LATER


Tally = Mapping[tuple[Rag | None, Due], int]
"""How many actions have each RAG and due timing: enough for every headline figure, and what
storage can count in SQL without reading the actions."""


def tally(actions: Iterable[ActionState], on: dt.date) -> Counter[tuple[Rag | None, Due]]:
    return Counter((action.rag, due_on(action.due_date, on)) for action in actions)


def figures_from_tally(counts: Tally, on: dt.date) -> PlanFigures:
    """Figures as the report counts them: RAG shares are of the actions due by ``on``."""
    due = Counter[Rag | None]()
    for (rag, when), n in counts.items():
        if when in (Due.PAST, Due.TODAY):
            due[rag] += n
    return PlanFigures(
        on=on,
        total=sum(counts.values()),
        due=sum(due.values()),
        overdue=sum(n for (rag, when), n in counts.items() if when is Due.PAST and rag is not Rag.COMPLETE),
        rag=RagFigures(
            red=due[Rag.RED],
            amber=due[Rag.AMBER],
            green=due[Rag.GREEN] + due[Rag.COMPLETE],
            complete=due[Rag.COMPLETE],
            unrated=due[None],
        ),
    )


def plan_figures(actions: Mapping[str, ActionState], on: dt.date) -> PlanFigures:
    return figures_from_tally(tally(actions.values(), on), on)


@dataclass(frozen=True)
class PriorityFigures:
    """One row of the per-priority table: RAG counts are of the priority's due actions."""

    number: int
    title: str
    total: int
    due: int
    rag: RagFigures


def priority_figures(
    actions: Mapping[str, ActionState], titles: Mapping[int, str], on: dt.date
) -> list[PriorityFigures]:
    """Every priority that has actions or a title, in number order."""
    return priority_rows(count_plan(actions.values(), on).by_priority, titles, on)


def priority_rows(
    by_priority: Mapping[int, Tally], titles: Mapping[int, str], on: dt.date
) -> list[PriorityFigures]:
    rows = []
    for number in sorted(set(by_priority) | set(titles)):
        figures = figures_from_tally(by_priority.get(number, {}), on)
        rows.append(PriorityFigures(number, titles.get(number, ""), figures.total, figures.due, figures.rag))
    return rows


@dataclass(frozen=True)
class PlanCounts:
    """Everything a report's figures need, counted: storage can count these in SQL, so a report
    on a large plan need not read every action."""

    by_priority: Mapping[int, Tally]
    rescheduled: int  # actions whose due date has moved at least once
    first_due: dt.date | None

    @property
    def tally(self) -> Counter[tuple[Rag | None, Due]]:
        whole: Counter[tuple[Rag | None, Due]] = Counter()
        for counts in self.by_priority.values():
            whole.update(counts)
        return whole

    @property
    def completed(self) -> int:
        return sum(n for (rag, _), n in self.tally.items() if rag is Rag.COMPLETE)


def count_plan(actions: Iterable[ActionState], on: dt.date) -> PlanCounts:
    by_priority: dict[int, Counter[tuple[Rag | None, Due]]] = {}
    rescheduled, first_due = 0, None
    for action in actions:
        by_priority.setdefault(action.priority, Counter())[action.rag, due_on(action.due_date, on)] += 1
        rescheduled += bool(action.times_rescheduled)
        if action.due_date and (first_due is None or action.due_date < first_due):
            first_due = action.due_date
    return PlanCounts(by_priority, rescheduled, first_due)


def priorities_without_red(rows: Iterable[PriorityFigures]) -> list[PriorityFigures]:
    return [row for row in rows if row.rag.red == 0]


def most_red(rows: Iterable[PriorityFigures]) -> list[PriorityFigures]:
    """The priority with the most Red actions; all of them when tied; none when nothing is Red."""
    rows = list(rows)
    top = max((row.rag.red for row in rows), default=0)
    return [row for row in rows if top and row.rag.red == top]
