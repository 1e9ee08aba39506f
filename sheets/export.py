"""The plan written back out as a tracker: importing it again changes nothing."""

from __future__ import annotations

from plan.clock import london_date
from plan.model import PlanView
from plan.rules import sort_by_ref
from sheets.cells import Cell

EXPORT_HEADER = (
    "Ref", "Priority", "Priority title", "Lead", "Recommendation", "Action", "Owner",
    "Delegates", "Due date", "Original due date", "RAG", "Last update", "Note",
)  # fmt: skip


def export_grid(view: PlanView) -> list[list[Cell]]:
    """The plan as a tracker, in plan order; importing it again changes nothing."""

    def key(person_id: int | None) -> str:
        person = view.person(person_id)
        return person.key if person else ""

    grid: list[list[Cell]] = [list(EXPORT_HEADER)]
    for action in sort_by_ref(view.actions.values()):
        priority = view.priorities.get(action.priority)
        grid.append([
            action.ref,
            action.priority,
            priority.title if priority else "",
            key(priority.lead_id) if priority else "",
            ", ".join(action.record.recommendations),
            action.record.description,
            key(action.owner_id),
            ", ".join(sorted(key(d) for d in action.record.delegate_ids)),
            action.due_date,
            action.original_due_date,
            action.rag.label if action.rag else "",
            london_date(action.last_update_at) if action.last_update_at else None,
            action.rag_note or "",
        ])  # fmt: skip
    return grid
