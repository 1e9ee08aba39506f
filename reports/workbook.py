"""The report as a workbook: a summary sheet, then every action, one sheet per priority.

Written in openpyxl's write-only mode, which streams rows out instead of keeping every cell
object: several times faster for a large plan. Every text cell is a string, never a formula,
whatever a title, description or note begins with.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from plan.model import ActionState, Shortlist
from plan.parsing import uk_date
from plan.report import Report
from plan.rules import sort_by_ref, working_days_overdue
from reports.files import UK_DATE_FORMAT
from reports.inert import text_cell
from reports.prose import paragraph


def report_xlsx(report: Report) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    summary.append([f"Improvement plan as at {uk_date(report.as_at)}"])
    summary.append([text_cell(summary, paragraph(report))])
    summary.append([])
    summary.append(["Priority", "Title", "Actions", "Due", "Red", "Amber", "Green"])
    for row in report.priorities:
        summary.append(
            [
                row.number,
                text_cell(summary, row.title),
                row.total,
                row.due,
                row.rag.red,
                row.rag.amber,
                row.rag.green,
            ]
        )
    view = report.view
    if view is None:
        raise ValueError("the workbook lists every action: build the report from the plan's actions")
    by_priority: dict[int, list[ActionState]] = {row.number: [] for row in report.priorities}
    for action in sort_by_ref(view.actions.values()):
        by_priority.setdefault(action.priority, []).append(action)
    for number, actions in by_priority.items():
        sheet = book.create_sheet(f"Priority {number}")
        sheet.freeze_panes = "A2"
        sheet.append(["Ref", "Action", "Owner", "Due date", "RAG", "Latest note"])
        for action in actions:
            owner = view.person(action.owner_id)
            due = _date(sheet, action.due_date)
            rag = action.rag.label if action.rag else ""
            sheet.append([action.ref, text_cell(sheet, action.record.description),
                          text_cell(sheet, owner.key if owner else ""), due, rag,
                          text_cell(sheet, action.rag_note or "")])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def lists_xlsx(lists: dict[str, Shortlist], on: dt.date) -> bytes:
    """Lists of actions, a sheet each in the order given, worst first: what a message shows the
    first few of, in full."""
    book = Workbook(write_only=True)
    for title, shortlist in lists.items():
        sheet = book.create_sheet(title[:31])  # Excel's longest sheet name
        sheet.freeze_panes = "A2"
        sheet.append(["Ref", "Priority", "Action", "Owner", "Due date", "RAG", "Working days overdue",
                      "Latest reason"])  # fmt: skip
        view = shortlist.view
        for action in shortlist.actions:
            owner = view.person(action.owner_id)
            sheet.append([action.ref, action.priority, text_cell(sheet, action.record.description),
                          text_cell(sheet, owner.name if owner else ""), _date(sheet, action.due_date),
                          action.rag.label if action.rag else "", working_days_overdue(action, on),
                          text_cell(sheet, action.rag_note or "")])  # fmt: skip
        if shortlist.more:
            sheet.append([f"…and {shortlist.more} more, not listed here"])
    sheet = book.create_sheet("About")
    sheet.append(
        [f"Lists as at {uk_date(on)}, worst first: Red, then Amber, then Green; the longest overdue first."]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _date(sheet: WriteOnlyWorksheet, day: dt.date | None) -> WriteOnlyCell | None:
    if day is None:
        return None
    cell = WriteOnlyCell(sheet, value=day)
    cell.number_format = UK_DATE_FORMAT
    return cell
