"""A report as at a date, in any of its formats, from one read of the plan's history."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from plan.clock import end_of_day
from plan.history import PlanHistory
from plan.parsing import InputError
from plan.ports import PlanStore
from plan.report import Report, as_json, build_report, month_ends, movement_lines, paragraph, rag_trend

FORMATS = ("text", "json", "docx", "xlsx", "png")
BINARY = {"docx", "xlsx", "png"}


@dataclass(frozen=True)
class AsAt:
    report: Report
    history: PlanHistory


def report_as_at(
    store: PlanStore,
    plan_id: int,
    as_at: dt.date,
    *,
    start: dt.date | None = None,
    compare: dt.date | None = None,
) -> AsAt:
    """The plan as it stood at the end of ``as_at``, rebuilt from the history (never today's values)."""
    if compare is not None and compare >= as_at:
        raise InputError("--compare must be a date before the report's date.")
    history = store.history(plan_id, until=end_of_day(as_at))
    earlier = history.at(end_of_day(compare)) if compare else None
    report = build_report(history.at(end_of_day(as_at)), as_at, start, earlier, compare)
    return AsAt(report, history)


def render(built: AsAt, fmt: str) -> bytes:
    report = built.report
    if fmt == "text":
        lines = [paragraph(report)]
        if report.movement:
            lines += ["", *movement_lines(report.movement)]
        return ("\n".join(lines) + "\n").encode()
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

        trend = rag_trend(built.history, month_ends(report.period_start, report.as_at))
        return report_charts(report.priorities, report.as_at, trend)
    raise InputError(f"'{fmt}' is not a report format: use one of {', '.join(FORMATS)}.")
