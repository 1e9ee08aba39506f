"""The plan's rules: who may change what, when an action is due or overdue, note limits."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache

from plan.calendar import working_days_between
from plan.errors import InputError
from plan.model import ActionState, Rag
from plan.parsing import plural, uk_date

NOTE_LIMIT = 2000

# Control characters other than a tab and a line break (and lone surrogates, which no database
# stores): a vertical tab pasted from Word or a NUL from a CSV breaks every workbook, and NUL
# cannot be stored in PostgreSQL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(text: str) -> str:
    """User text with its line breaks made plain (``\\r\\n`` and ``\\r`` to ``\\n``) and no other
    control character; one is refused, saying where it is, since it cannot be seen."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = _CONTROL.search(text)
    if found:
        raise InputError(
            f"the text has a control character (U+{ord(found.group()):04X}) at character "
            f"{found.start() + 1:,}, often pasted from Word: delete it and type the text again."
        )
    return text


def is_due_by(action: ActionState, day: dt.date) -> bool:
    """ "Actions due by D" counts those whose due date is on or before D."""
    return action.due_date is not None and action.due_date <= day


def is_overdue(action: ActionState, today: dt.date) -> bool:
    """Past its due date and not complete."""
    return action.due_date is not None and action.due_date < today and action.rag is not Rag.COMPLETE


def working_days_overdue(action: ActionState, today: dt.date) -> int:
    """How late an open action is, in the one unit every message and report uses: working days
    after its due date, up to and including ``today`` (what the scheduler escalates on)."""
    if not is_overdue(action, today) or action.due_date is None:
        return 0
    return max(working_days_between(action.due_date, today), 0)


def overdue_text(days: int) -> str:
    """ "3 working days overdue": the words for how late an action is, everywhere."""
    return f"{plural(days, 'working day')} overdue"


class NoteProblem(InputError):
    """The reason is missing or too long (the modal shows it against the reason box)."""


def check_note(rag: Rag, note: str) -> str:
    """The reason given with a RAG update, checked: Red and Amber need one; 2,000 at most; no
    control characters but tabs and line breaks."""
    try:
        note = check_text(note).strip()
    except InputError as error:
        raise NoteProblem(f"The note cannot be saved: {error}") from None
    if rag.needs_reason and not note:
        raise NoteProblem(f"{rag.label} needs a reason: say what is off track and what is being done.")
    if len(note) > NOTE_LIMIT:
        raise NoteProblem(
            f"The note is {len(note):,} characters; the limit is {NOTE_LIMIT:,}. Please shorten it."
        )
    return note


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the plan knows them: their person id (if known) and admin flag."""

    person_id: int | None
    is_admin: bool = False


def may_update(caller: Caller, action: ActionState, lead_id: int | None) -> bool:
    """Owners and delegates update their actions; the priority lead and admins may too."""
    if caller.is_admin:
        return True
    if caller.person_id is None:
        return False
    return caller.person_id in {action.owner_id, lead_id, *action.record.delegate_ids}


def may_replan(caller: Caller, lead_id: int | None) -> bool:
    """Only the priority lead and admins reschedule or reassign."""
    return caller.is_admin or (caller.person_id is not None and caller.person_id == lead_id)


def nearest_refs(ref: str, known: Collection[str], limit: int = 3) -> list[str]:
    """The refs most like one that was mistyped, to suggest in the reply."""
    return difflib.get_close_matches(ref, list(known), n=limit, cutoff=0.5)


def sort_by_ref(actions: Iterable[ActionState]) -> list[ActionState]:
    """Plan order: 2.10 after 2.9, not after 2.1."""
    return sorted(actions, key=lambda action: ref_key(action.ref))


@cache  # sorting a large plan asks for the same refs' keys again and again
def ref_key(ref: str) -> tuple[tuple[int, str], ...]:
    parts = ref.split(".")
    return tuple((int(p), "") if p.isdigit() else (10**9, p) for p in parts)


# Worst first: Red, Amber, not yet rated, Green, Complete; then the longest overdue.
SEVERITY = {Rag.RED: 0, Rag.AMBER: 1, None: 2, Rag.GREEN: 3, Rag.COMPLETE: 4}


def severity_key(action: ActionState) -> tuple[int, dt.date, int]:
    """The order a long list is shown in (storage sorts the same way in SQL)."""
    return SEVERITY[action.rag], action.due_date or dt.date.max, action.record.id


def worst_first(actions: Iterable[ActionState]) -> list[ActionState]:
    return sorted(actions, key=severity_key)


def check_not_future(day: dt.date, today: dt.date, what: str) -> None:
    """Reports and backfilled trackers are of the past: a later date is a slip of the keyboard."""
    if day > today:
        raise InputError(f"{uk_date(day)} is in the future: {what} can be today or earlier.")
