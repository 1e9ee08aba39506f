"""The report as a workbook: a summary sheet, then every action, one sheet per priority."""

from __future__ import annotations

import io

from openpyxl import Workbook

from plan.parsing import uk_date
from plan.report import Report, paragraph
from plan.rules import sort_by_ref

UK_DATE_FORMAT = "DD/MM/YYYY"


def report_xlsx(report: Report) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append([f"Improvement plan as at {uk_date(report.as_at)}"])
    summary.append([paragraph(report)])
    summary.append([])
    summary.append(["Priority", "Title", "Actions", "Due", "Red", "Amber", "Green"])
    for row in report.priorities:
        summary.append([row.number, row.title, row.total, row.due, row.rag.red, row.rag.amber, row.rag.green])
    view = report.view
    for row in report.priorities:
        sheet = book.create_sheet(f"Priority {row.number}")
        sheet.append(["Ref", "Action", "Owner", "Due date", "RAG", "Latest note"])
        actions = [a for a in view.actions.values() if a.priority == row.number]
        for action in sort_by_ref(actions):
            owner = view.person(action.owner_id)
            sheet.append(
                [
                    action.ref,
                    action.record.description,
                    owner.key if owner else "",
                    action.due_date,
                    action.rag.label if action.rag else "",
                    action.rag_note or "",
                ]
            )
            sheet.cell(sheet.max_row, 4).number_format = UK_DATE_FORMAT
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
