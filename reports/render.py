"""A report as at a date, in any of its formats, from the states kept beside the plan's history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from plan.clock import end_of_day, london_date
from plan.errors import InputError
from plan.figures import RagFigures, figures_from_tally
from plan.parsing import uk_date
from plan.ports import PlanStore
from plan.report import Report, build_report, month_ends, report_from_counts
from reports.data import as_json
from reports.prose import report_text

FORMATS = ("text", "json", "docx", "xlsx", "png")
BINARY = {"docx", "xlsx", "png"}


Trend = list[tuple[dt.date, RagFigures]]


@dataclass(frozen=True)
class AsAt:
    report: Report
    trend: Trend | None = None  # RAG at each month's end, for the chart


def rag_trend(store: PlanStore, plan_id: int, days: Sequence[dt.date]) -> Trend:
    """RAG of the due actions at the end of each day: one count in the database per day."""
    return [
        (day, figures_from_tally(store.tally(plan_id, day, as_at=end_of_day(day)), day).rag) for day in days
    ]


def report_as_at(
    store: PlanStore,
    plan_id: int,
    as_at: dt.date,
    *,
    start: dt.date | None = None,
    compare: dt.date | None = None,
    fmt: str = "text",
) -> AsAt:
    """The plan as it stood at the end of ``as_at`` (never today's values), read from the states
    kept beside the history. The paragraph and its data need only counts; the Word and Excel
    versions and ``compare`` read every action, and the chart counts once a month."""
    if compare is not None and compare >= as_at:
        raise InputError("--compare must be a date before the report's date.")
    _check_history(store, plan_id, compare or as_at)
    instant = end_of_day(as_at)
    if compare or fmt in {"docx", "xlsx"}:
        earlier = store.load(plan_id, end_of_day(compare)) if compare else None
        report = build_report(store.load(plan_id, instant), as_at, start, earlier, compare)
    else:
        titles = {n: p.title for n, p in store.priorities(plan_id).items()}
        report = report_from_counts(store.counts(plan_id, as_at, instant), titles, as_at, start)
    trend = None
    if fmt == "png":  # the trend starts where the history starts: before it there are no figures
        started = store.history_starts(plan_id)
        days = [
            d for d in month_ends(report.period_start, as_at) if started is None or end_of_day(d) >= started
        ]
        trend = rag_trend(store, plan_id, days)
    return AsAt(report, trend)


def _check_history(store: PlanStore, plan_id: int, day: dt.date) -> None:
    """A date before the history begins has no figures: saying "0 actions were due" would be
    read as true. Say where the history starts and how to reach further back instead."""
    started = store.history_starts(plan_id)
    if started is not None and end_of_day(day) < started:
        first = london_date(started)
        raise InputError(
            f"The plan's history in csip starts on {uk_date(first)}, after {uk_date(day)}: "
            "import the tracker of that time with `csip import TRACKER --as-of DATE` to backfill "
            "it, then ask again."
        )


def render(built: AsAt, fmt: str) -> bytes:
    report = built.report
    if fmt == "text":
        return report_text(report).encode()
    if fmt == "json":
        return (json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "docx":
        from reports.document import report_docx

        return report_docx(report)
    if fmt == "xlsx":
        from reports.workbook import report_xlsx

        return report_xlsx(report)
    if fmt == "png":
        from reports.charts import report_charts

        if built.trend is None:
            raise ValueError("a chart needs the report built for fmt='png'")
        return report_charts(report.priorities, report.as_at, built.trend)
    raise InputError(f"'{fmt}' is not a report format: use one of {', '.join(FORMATS)}.")
