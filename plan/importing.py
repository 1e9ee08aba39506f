"""What importing a tracker would change, worked out before anything is written.

A dry run prints this; a real import writes exactly this, in one transaction. Comparing with
the plan as it stood on the file's as-of date is what makes re-importing the same file (or an
export) change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from plan.model import PlanView, Rag


@dataclass(frozen=True)
class SheetRow:
    """One checked row of a tracker: what an import is made of (``sheets`` reads them)."""

    row: int
    ref: str
    priority: int
    priority_title: str
    lead: str | None
    description: str
    owner: str
    delegates: tuple[str, ...]
    recommendations: tuple[str, ...]
    due: dt.date
    rag: Rag | None
    note: str


@dataclass(frozen=True)
class ActionSpec:
    """An action's fixed facts as the file gives them; people named by e-mail or Slack id."""

    ref: str
    description: str
    priority: int
    recommendations: tuple[str, ...]
    delegates: tuple[str, ...]


@dataclass(frozen=True)
class PrioritySpec:
    number: int
    title: str
    lead: str | None


@dataclass
class ImportChanges:
    actions: list[ActionSpec] = field(default_factory=list)
    priorities: list[PrioritySpec] = field(default_factory=list)
    people: set[str] = field(default_factory=set)
    new: dict[str, tuple[str, dt.date]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    due_dates: dict[str, dt.date] = field(default_factory=dict)
    rags: dict[str, tuple[Rag, str]] = field(default_factory=dict)
    unchanged: int = 0

    def summary_lines(self) -> list[str]:
        went = {rag: sum(1 for r, _ in self.rags.values() if r is rag) for rag in Rag}
        rag_detail = ", ".join(f"{n} to {rag.label}" for rag, n in went.items() if n)
        return [
            f"new actions: {len(self.new)}",
            f"RAG changes: {len(self.rags)}" + (f" ({rag_detail})" if rag_detail else ""),
            f"rescheduled: {len(self.due_dates)}",
            f"reassigned: {len(self.owners)}",
            f"unchanged: {self.unchanged}",
        ]


def plan_import(rows: Sequence[SheetRow], current: PlanView) -> ImportChanges:
    """Compare the file's rows with ``current`` (the plan as at the file's date)."""
    changes = ImportChanges()
    person_key = {person.id: person.key for person in current.people.values()}
    for row in rows:
        changes.actions.append(
            ActionSpec(row.ref, row.description, row.priority, row.recommendations, row.delegates)
        )
        changes.people.update({row.owner, *row.delegates, *([row.lead] if row.lead else [])})
        _diff_row(row, current, person_key, changes)
    changes.priorities = _priorities(rows, current)
    changes.people.update(spec.lead for spec in changes.priorities if spec.lead)
    return changes


def _diff_row(row: SheetRow, current: PlanView, person_key: dict[int, str], changes: ImportChanges) -> None:
    action = current.actions.get(row.ref)
    changed = False
    if action is None:
        changes.new[row.ref] = (row.owner, row.due)
        changed = True
    else:
        if person_key.get(action.owner_id or -1) != row.owner:
            changes.owners[row.ref] = row.owner
            changed = True
        if action.due_date != row.due:
            changes.due_dates[row.ref] = row.due
            changed = True
    if row.rag is not None and (action is None or action.rag is not row.rag):
        changes.rags[row.ref] = (row.rag, row.note)
        changed = True
    if not changed:
        changes.unchanged += 1


def _priorities(rows: Sequence[SheetRow], current: PlanView) -> list[PrioritySpec]:
    """One entry per priority in the file; a blank title or lead keeps what is stored."""
    specs: dict[int, PrioritySpec] = {}
    for row in rows:
        known = current.priorities.get(row.priority)
        stored_lead = current.person(known.lead_id) if known else None
        spec = specs.get(row.priority) or PrioritySpec(
            row.priority,
            known.title if known else "",
            stored_lead.key if stored_lead else None,
        )
        specs[row.priority] = PrioritySpec(
            row.priority, row.priority_title or spec.title, row.lead or spec.lead
        )
    return sorted(specs.values(), key=lambda spec: spec.number)
