"""One cell of a tracker to a value, or an InputError saying what is wrong with it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar

from plan.errors import InputError
from plan.parsing import parse_date
from plan.rules import NOTE_LIMIT, check_text
from reports.inert import restore

Cell = str | int | float | dt.date | dt.datetime | None
T = TypeVar("T")
Parser = Callable[[Cell], T]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def cell_text(cell: Cell) -> str:
    """The cell as text, trimmed, without the quote an export put before text that looks like a
    formula (so importing an export gives back what was typed). Never raises."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return restore(str(cell).strip())


def free_text(cell: Cell) -> str:
    """Free text (a description, a title): no control characters but tabs and line breaks."""
    return check_text(cell_text(cell))


def required(parse: Callable[[str], T], message: str) -> Parser[T]:
    def parse_cell(cell: Cell) -> T:
        text = cell_text(cell)
        if not text:
            raise InputError(message)
        return parse(text)

    return parse_cell


def optional(parse: Callable[[str], T]) -> Parser[T | None]:
    def parse_cell(cell: Cell) -> T | None:
        text = cell_text(cell)
        return parse(text) if text else None

    return parse_cell


def priority(cell: Cell) -> int:
    text = cell_text(cell)
    match = re.match(r"^(?:priority\s*)?(\d+)$", text, re.IGNORECASE)
    if not match:
        raise InputError(f"'{text}' is not a priority number." if text else "the priority is missing.")
    return int(match.group(1))


def person(text: str) -> str:
    """An owner or lead: an e-mail address (kept lower case) or a Slack user id."""
    text = text.strip()
    if _EMAIL.match(text):
        return text.lower()
    if _SLACK_ID.match(text):
        return text
    raise InputError(f"'{text}' is neither an e-mail address nor a Slack user id (U…).")


def date(cell: Cell) -> dt.date:
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time(0, 0):
            raise InputError(f"'{cell}' has a time of day; a due date is a plain date.")
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, int | float):
        raise InputError(
            f"'{cell_text(cell)}' is a number, not a date (Excel shows dates as numbers when the cell "
            "is not formatted as a date): format the cell as a date."
        )
    if not cell_text(cell):
        raise InputError("the due date is missing.")
    return parse_date(cell_text(cell))


def note(cell: Cell) -> str:
    checked = free_text(cell)
    if len(checked) > NOTE_LIMIT:
        raise InputError(f"the note is {len(checked):,} characters; the limit is {NOTE_LIMIT:,}.")
    return checked


def split(cell: Cell) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", cell_text(cell)) if part]
