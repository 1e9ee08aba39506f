"""The "as at" report in words: the committee paragraph and what moved, as the council writes
them. The figures come from ``plan.report``; every format (text, Word, Excel, JSON, Slack's
summary) takes its prose from here."""

from __future__ import annotations

from collections.abc import Sequence

from plan.figures import PriorityFigures
from plan.model import Rag
from plan.parsing import due_text, uk_date
from plan.report import Movement, Report

WORDS = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]


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
        lines.append(f"- {action.ref} rescheduled to {due_text(action.due_date)}")
    if len(lines) == 1:
        lines.append("- nothing changed")
    return lines


def _label(rag: Rag | None) -> str:
    return rag.label if rag else "not rated"


def report_text(report: Report) -> str:
    """The text format: the paragraph, then what moved when there is a comparison."""
    lines = [paragraph(report)]
    if report.movement:
        lines += ["", *movement_lines(report.movement)]
    return "\n".join(lines) + "\n"
