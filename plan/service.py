"""The plan's use cases: import a tracker, update RAG, reschedule, reassign.

Each takes a :class:`~plan.ports.PlanStore` and an explicit ``now`` so that Slack handlers, the
command line and tests drive the same code. A refused or invalid request raises
:class:`~plan.errors.InputError` before anything is written. Only the import creates a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from plan.clock import end_of_day, start_of_day
from plan.errors import ChangeSaved, InputError, NoPlanYet
from plan.importing import ImportChanges, SheetRow, plan_import
from plan.model import ActionState, Event, EventKind, Person, PlanView, Rag, Source
from plan.parsing import parse_ref
from plan.ports import PlanStore, Which
from plan.rules import Caller, check_note, may_replan, may_update, nearest_refs


class Refused(InputError):
    """The caller may not make this change; the message says who may."""


class UnknownRef(InputError):
    def __init__(self, ref: str, suggestions: Sequence[str]) -> None:
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"There is no action {ref}.{hint}")
        self.suggestions = list(suggestions)


def existing_plan(store: PlanStore, team_id: str) -> int:
    """The workspace's plan, for a read: a read never creates one, so none is a setup problem."""
    plan_id = store.find_plan_id(team_id)
    if plan_id is None:
        raise NoPlanYet()
    return plan_id


def find_action(store: PlanStore, plan_id: int, ref_text: str) -> tuple[PlanView, ActionState]:
    """One action as it stands, with its priority and people: the plan is not read."""
    ref = parse_ref(ref_text)
    view = store.select(plan_id, Which(refs=frozenset({ref})))
    action = view.actions.get(ref)
    if action is None:
        raise UnknownRef(ref, nearest_refs(ref, store.refs(plan_id)))
    return view, action


def import_sheet(
    store: PlanStore,
    team_id: str,
    rows: Sequence[SheetRow],
    *,
    now: dt.datetime,
    as_of: dt.date | None = None,
    dry_run: bool = False,
) -> ImportChanges:
    """Import checked rows; RAG values count from the start of ``as_of`` (default: now)."""
    as_at = end_of_day(as_of) if as_of else None
    if dry_run:  # compare without creating anything, not even the plan
        existing = store.find_plan_id(team_id)
        current = store.load(existing, as_at) if existing else PlanView(0, {}, {})
        return plan_import(rows, current)
    plan_id = store.find_or_create_plan(team_id)
    changes = plan_import(rows, store.load(plan_id, as_at))
    person_ids = store.ensure_people(plan_id, changes.people)
    store.save_priorities(plan_id, changes.priorities, person_ids)
    action_ids = store.save_actions(plan_id, changes.actions, person_ids)
    stamp = partial(
        Event, effective_at=start_of_day(as_of) if as_of else now, recorded_at=now, source=Source.IMPORT
    )
    events = [
        *(
            stamp(action_ids[ref], EventKind.CREATED, owner_id=person_ids[owner], due_date=due)
            for ref, (owner, due) in changes.new.items()
        ),
        *(
            stamp(action_ids[ref], EventKind.OWNER, owner_id=person_ids[owner])
            for ref, owner in changes.owners.items()
        ),
        *(
            stamp(action_ids[ref], EventKind.DUE, due_date=due, note="Due date changed by import")
            for ref, due in changes.due_dates.items()
        ),
        *(
            stamp(action_ids[ref], EventKind.RAG, rag=rag, note=note or None)
            for ref, (rag, note) in changes.rags.items()
        ),
    ]
    store.add_events(plan_id, events)
    store.commit()
    return changes


@dataclass(frozen=True)
class Change:
    """What a Slack or CLI user asked to change, before it is checked."""

    plan_id: int
    caller: Caller
    ref: str
    now: dt.datetime
    source: Source = Source.SLACK


def update_rag(store: PlanStore, change: Change, rag: Rag, note: str) -> PlanView:
    """Set the RAG; the view returned holds the action as it now stands."""
    action = _updatable(store, change)
    note = check_note(rag, note)
    return _record(store, change, action, EventKind.RAG, rag=rag, note=note or None)


def confirm_rag(store: PlanStore, change: Change) -> PlanView:
    """The owner says the RAG still stands: recorded, so the action is no longer stale."""
    action = _updatable(store, change)
    if action.rag is None:
        raise InputError(f"{action.ref} has no RAG yet: set one with /csip update.")
    return _record(store, change, action, EventKind.CONFIRM, rag=action.rag, note=action.rag_note)


def snooze(store: PlanStore, change: Change, until: dt.date) -> ActionState:
    """No reminders about the action until ``until``; escalations still go."""
    action = _updatable(store, change)
    store.add_snooze(change.plan_id, action.record.id, change.caller.person_id, until, change.now)
    store.commit()
    return action


def _updatable(store: PlanStore, change: Change) -> ActionState:
    view, action = find_action(store, change.plan_id, change.ref)
    lead = view.priorities.get(action.priority)
    if not may_update(change.caller, action, lead.lead_id if lead else None):
        raise Refused(
            f"Only the owner of {action.ref}, a delegate, the priority lead or an admin can update it."
        )
    return action


def reschedule(store: PlanStore, change: Change, due: dt.date, reason: str) -> PlanView:
    view, action = find_action(store, change.plan_id, change.ref)
    _check_may_replan(view, change.caller, action)
    if not reason.strip():
        raise InputError("Say why the due date is changing: committees ask.")
    if due == action.due_date:
        raise InputError(f"{action.ref} is already due on that date.")
    return _record(store, change, action, EventKind.DUE, due_date=due, note=check_note(Rag.GREEN, reason))


def reassign(store: PlanStore, change: Change, find_owner: Callable[[], Person]) -> PlanView:
    """``find_owner`` is asked only once the caller is known to be allowed to reassign."""
    view, action = find_action(store, change.plan_id, change.ref)
    _check_may_replan(view, change.caller, action)
    new_owner = find_owner()
    if action.owner_id == new_owner.id:
        raise InputError(f"{action.ref} is already owned by {new_owner.name}.")
    return _record(store, change, action, EventKind.OWNER, owner_id=new_owner.id)


def _check_may_replan(view: PlanView, caller: Caller, action: ActionState) -> None:
    lead = view.priorities.get(action.priority)
    if not may_replan(caller, lead.lead_id if lead else None):
        raise Refused(
            f"Only the lead of priority {action.priority} or an admin can reschedule or reassign "
            f"{action.ref}."
        )


def _record(
    store: PlanStore,
    change: Change,
    action: ActionState,
    kind: EventKind,
    *,
    rag: Rag | None = None,
    due_date: dt.date | None = None,
    owner_id: int | None = None,
    note: str | None = None,
) -> PlanView:
    """Append one event for ``action`` and return a view of the action as it now stands."""
    event = Event(
        action_id=action.record.id,
        kind=kind,
        effective_at=change.now,
        recorded_at=change.now,
        source=change.source,
        rag=rag,
        due_date=due_date,
        owner_id=owner_id,
        note=note,
        actor_id=change.caller.person_id,
    )
    store.add_events(change.plan_id, [event])
    store.commit()
    try:
        return store.select(change.plan_id, Which(refs=frozenset({action.ref})))
    except Exception as error:  # the database went away after the commit: the change stands
        raise ChangeSaved(action.ref) from error
