"""The "as at" report as JSON: the figures, the paragraph and what moved, for other systems."""

from __future__ import annotations

from typing import Any

from plan.report import Report
from reports.prose import paragraph


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
