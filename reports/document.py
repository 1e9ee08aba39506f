"""The Word section a committee officer drops into the council's report template.

Text is written through ``printable``: a control character stored before notes were checked
would make python-docx refuse the whole document.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as WordDocument

from plan.model import PlanView
from plan.parsing import uk_date
from plan.report import Report
from reports.inert import printable
from reports.prose import movement_lines, paragraph


def report_docx(report: Report) -> bytes:
    """The paragraph, a RAG table by priority, and the exemption list of Red actions."""
    document = Document()
    document.add_heading(f"Progress against the improvement plan as at {uk_date(report.as_at)}", level=2)
    document.add_paragraph(printable(paragraph(report)))
    document.add_heading("RAG by priority (due actions)", level=3)
    _table(
        document,
        ["Priority", "Title", "Actions", "Due", "Red", "Amber", "Green"],
        [
            [
                str(r.number),
                r.title,
                str(r.total),
                str(r.due),
                str(r.rag.red),
                str(r.rag.amber),
                str(r.rag.green),
            ]
            for r in report.priorities
        ],
    )
    document.add_heading("Exemption report: Red actions", level=3)
    if report.exemptions:
        _table(
            document,
            ["Ref", "Action", "Owner", "Working days overdue", "Days Red", "Reason"],
            [
                [
                    e.action.ref,
                    e.action.record.description,
                    _owner(report.view, e.action.owner_id),
                    str(e.working_days_overdue),
                    str(e.days_red),
                    e.action.rag_note or "",
                ]
                for e in report.exemptions
            ],
        )
    else:
        document.add_paragraph("No actions are RAG rated Red.")
    if report.movement:
        document.add_heading(f"What moved since {uk_date(report.movement.since)}", level=3)
        for line in movement_lines(report.movement)[1:]:
            document.add_paragraph(printable(line.removeprefix("- ")), style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _owner(view: PlanView | None, person_id: int | None) -> str:
    person = view.person(person_id) if view else None
    return person.name if person else ""


def _table(document: WordDocument, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = printable(text)
