"""The change history as an audit trail: who changed what, from what to what, why, when, how."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plan.clock import LONDON
from plan.history import PlanHistory, event_order
from plan.model import Event, EventKind, PlanView, Rag
from plan.parsing import uk_date

HEADER = ("When", "Recorded", "Ref", "What", "Old", "New", "Reason", "Who", "Via")


@dataclass(frozen=True)
class AuditRow:
    event: Event
    ref: str
    what: str
    old: str
    new: str
    who: str

    def cells(self) -> tuple[str, ...]:
        return (
            _london(self.event.effective_at),
            _london(self.event.recorded_at),
            self.ref,
            self.what,
            self.old,
            self.new,
            self.event.note or "",
            self.who,
            self.event.source.value,
        )


def _london(instant: dt.datetime) -> str:
    return f"{instant.astimezone(LONDON):%d/%m/%Y %H:%M}"


def audit_rows(history: PlanHistory, since: dt.date | None = None, ref: str | None = None) -> list[AuditRow]:
    """Every change, oldest first; ``since`` and ``ref`` narrow it."""
    people = PlanView(history.plan_id, history.priorities, history.people)
    rows = []
    for record in history.records:
        if ref is not None and record.ref != ref:
            continue
        rag: Rag | None = None
        due: dt.date | None = None
        owner: int | None = None
        for event in sorted(history.events.get(record.id, []), key=event_order):
            what, old, new = _describe(event, rag, due, owner, people)
            rag, due, owner = event.rag or rag, event.due_date or due, event.owner_id or owner
            if since is None or event.effective_at.astimezone(LONDON).date() >= since:
                actor = people.person(event.actor_id)
                who = f"{actor.name} ({actor.key})" if actor else ""
                rows.append(AuditRow(event, record.ref, what, old, new, who))
    return sorted(rows, key=lambda row: event_order(row.event))


def _describe(
    event: Event, rag: Rag | None, due: dt.date | None, owner: int | None, people: PlanView
) -> tuple[str, str, str]:
    def name(person_id: int | None) -> str:
        person = people.person(person_id)
        return person.key if person else ""

    def day(value: dt.date | None) -> str:
        return uk_date(value) if value else ""

    def label(value: Rag | None) -> str:
        return value.label if value else ""

    match event.kind:
        case EventKind.CREATED:
            return "Created", "", f"owner {name(event.owner_id)}, due {day(event.due_date)}"
        case EventKind.RAG:
            return "RAG", label(rag), label(event.rag)
        case EventKind.CONFIRM:
            return "RAG confirmed", label(rag), label(event.rag)
        case EventKind.DUE:
            return "Due date", day(due), day(event.due_date)
        case EventKind.OWNER:
            return "Owner", name(owner), name(event.owner_id)
    return event.kind.value, "", ""
